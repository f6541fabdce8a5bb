"""Promotions for staff: create, schedule, target, change, end early, list, and preview what a
dealer would pay. Whoever manages prices manages promotions (`promotions.manage`: admins); staff
with a branch scope only promote to their own branch and its customers. Every change bumps the
catalogue (CatalogueChanged), so cached catalogue pages show the new labels at once.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal

from app.auth.scopes import actor, customer_in_scope, require, scoped
from app.core import orders as core_orders
from app.core import promotion_book, promotions
from app.core.models import (
    Branch,
    Customer,
    Order,
    OrderDiscount,
    OrderLine,
    Product,
    Promotion,
    Shipment,
    ShipmentLine,
    Staff,
)
from app.core.orders import LineRequest, Quote
from app.core.promotions import KINDS, Offer, check_rules, product_ids_named, rules_json
from app.core.rules import PRICE_LEVELS
from app.db import transaction, utcnow
from app.errors import Forbidden, NotFound, ValidationFailed
from app.events import CatalogueChanged, emit
from app.inventory.rules import margin_pct
from app.money import money

# What a promotion is now, as the console and `GET /promotions?status=` name it.
STATUS_LABELS = {
    "scheduled": "未开始",
    "open": "进行中",
    "ended": "已结束",
    "inactive": "已停用",
}


def status_of(promotion: Promotion, now: dt.datetime | None = None) -> str:
    now = now or utcnow()
    if not promotion.active:
        return "inactive"
    if now < promotion.starts_at:
        return "scheduled"
    return "open" if now < promotion.ends_at else "ended"


def _decorate(promotion: Promotion) -> Promotion:
    """What the schemas read besides the row: rules, targets as lists, status, label."""
    offer = promotion_book.offer_of(promotion)
    promotion.rules_out = rules_json(offer.rules)
    promotion.branch_id_list = sorted(offer.branch_ids)
    promotion.price_level_list = sorted(offer.price_levels)
    promotion.customer_id_list = sorted(offer.customer_ids)
    promotion.status = status_of(promotion)
    promotion.status_label = STATUS_LABELS[promotion.status]
    promotion.label = offer.label
    promotion.kind_label = KINDS[promotion.kind]
    return promotion


def _check_targets(staff: Staff, branch_ids, price_levels, customer_ids) -> None:
    """Raises: ValidationFailed (unknown ids or levels), Forbidden (outside the caller's scope)."""
    bad_levels = sorted(set(price_levels) - set(PRICE_LEVELS))
    if bad_levels:
        raise ValidationFailed(
            "价格等级须为 1-10", price_levels=[f"无效等级 {b}" for b in bad_levels]
        )
    known = {b.id for b in Branch.select(Branch.id).where(Branch.id << list(branch_ids))}
    if set(branch_ids) - known:
        raise NotFound("分支机构不存在", branch_ids=sorted(set(branch_ids) - known))
    # A branch's staff promote to their own branch only, never to everyone.
    if staff.data_scope != "all" and sorted(set(branch_ids)) != [staff.branch_id]:
        raise Forbidden("只能面向本分支机构设置促销：请只选择本分支机构", branch_ids=branch_ids)
    for customer_id in customer_ids:
        customer_in_scope(staff, customer_id)  # NotFound also outside the scope


def _check_products(kind: str, rules: dict) -> None:
    named = product_ids_named(kind, rules)
    known = {p.id for p in Product.select(Product.id).where(Product.id << list(named))}
    if named - known:
        raise NotFound("促销规则中的商品不存在", product_ids=sorted(named - known))


def _checked_rules(kind: str, rules) -> dict:
    checked, errors = check_rules(kind, rules)
    if errors:
        raise ValidationFailed("促销规则不正确", rules=errors)
    _check_products(kind, checked)
    return checked


def _window(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationFailed("结束时间须晚于开始时间", ends_at=["须晚于开始时间"])


def create_promotion(staff: Staff, data: dict) -> Promotion:
    """A promotion as the schema loads it (`rules` checked here against its kind).

    Raises: Forbidden, NotFound (products, branches, customers), ValidationFailed.
    """
    require(staff, "promotions.manage")
    kind = data["kind"]
    with transaction():
        rules = _checked_rules(kind, data["rules"])
        _window(data["starts_at"], data["ends_at"])
        targets = [data.get(k) or [] for k in ("branch_ids", "price_levels", "customer_ids")]
        _check_targets(staff, *targets)
        emit(CatalogueChanged())
        now = utcnow()
        promotion = Promotion.create(
            name=data["name"],
            kind=kind,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            active=data.get("active", True),
            branch_ids=json.dumps(sorted(set(targets[0]))),
            price_levels=json.dumps(sorted(set(targets[1]))),
            customer_ids=json.dumps(sorted(set(targets[2]))),
            rules=json.dumps(rules_json(rules), ensure_ascii=False),
            created_by=actor(staff),
            created_at=now,
            updated_at=now,
        )
        return _decorate(promotion)


def _in_scope(staff: Staff, promotion_id: int) -> Promotion:
    promotion = Promotion.get_or_none(Promotion.id == promotion_id)
    if promotion is None or not _visible(staff, promotion):
        raise NotFound("促销不存在", promotion_id=promotion_id)
    return promotion


def _visible(staff: Staff, promotion: Promotion) -> bool:
    if staff.data_scope == "all":
        return True
    branches = json.loads(promotion.branch_ids)
    return not branches or staff.branch_id in branches


def update_promotion(staff: Staff, promotion_id: int, changes: dict) -> Promotion:
    """Change a promotion: name, window, active, targets, rules (its kind stays). Orders already
    placed keep what they were given. Ending early is `ends_at` now (or `active: false`).

    Raises: Forbidden, NotFound, ValidationFailed.
    """
    require(staff, "promotions.manage")
    with transaction():
        promotion = _in_scope(staff, promotion_id)
        if staff.data_scope != "all" and not json.loads(promotion.branch_ids):
            raise Forbidden("该促销面向所有分支机构，只有数据范围为“全部”的员工可以修改")
        if "rules" in changes:
            promotion.rules = json.dumps(
                rules_json(_checked_rules(promotion.kind, changes["rules"])), ensure_ascii=False
            )
        for key in ("name", "starts_at", "ends_at", "active"):
            if key in changes:
                setattr(promotion, key, changes[key])
        _window(promotion.starts_at, promotion.ends_at)
        targets = {
            key: (changes[key] or []) if key in changes else json.loads(getattr(promotion, key))
            for key in ("branch_ids", "price_levels", "customer_ids")
        }
        if any(key in changes for key in targets):
            _check_targets(staff, *targets.values())
            for key, value in targets.items():
                setattr(promotion, key, json.dumps(sorted(set(value))))
        emit(CatalogueChanged())
        promotion.updated_at = utcnow()
        promotion.save()
        return _decorate(promotion)


def end_promotion(staff: Staff, promotion_id: int) -> Promotion:
    """提前结束: an open promotion ends now; one not yet begun is switched off."""
    require(staff, "promotions.manage")
    promotion = _in_scope(staff, promotion_id)
    now = utcnow()
    if promotion.starts_at >= now:
        return update_promotion(staff, promotion_id, {"active": False})
    return update_promotion(staff, promotion_id, {"ends_at": min(promotion.ends_at, now)})


def promotion(staff: Staff, promotion_id: int) -> Promotion:
    require(staff, "promotions.view")
    return with_results(staff, [_decorate(_in_scope(staff, promotion_id))])[0]


def promotions_page(staff: Staff, filters: dict, page: int, per_page: int):
    """Promotions the caller may see (a branch's staff: those for everyone or their branch),
    newest first; `status` narrows to scheduled, open, ended or inactive; `kind` to a kind."""
    require(staff, "promotions.view")
    now = utcnow()
    query = Promotion.select().order_by(Promotion.id.desc())
    if filters.get("kind"):
        query = query.where(Promotion.kind == filters["kind"])
    status = filters.get("status")
    if status == "inactive":
        query = query.where(~Promotion.active)
    elif status == "scheduled":
        query = query.where(Promotion.active & (Promotion.starts_at > now))
    elif status == "open":
        query = query.where(
            Promotion.active & (Promotion.starts_at <= now) & (Promotion.ends_at > now)
        )
    elif status == "ended":
        query = query.where(Promotion.active & (Promotion.ends_at <= now))
    rows = [p for p in query if _visible(staff, p)]  # targets are JSON: narrowed here
    chosen = rows[(page - 1) * per_page : page * per_page]
    return with_results(staff, [_decorate(p) for p in chosen]), len(rows)


@dataclass
class Preview:
    customer: Customer
    offers: list[Offer]
    quote: Quote | None


def preview(staff: Staff, customer_id: int, lines: list[dict] | None = None) -> Preview:
    """What a dealer (in the caller's scope) would be offered now: the promotions open to them,
    and, for `lines` ({product_id, qty}), the order priced as it would be placed. Writes nothing.

    Raises: Forbidden, NotFound, BelowMinQty, BadStep, ValidationFailed.
    """
    require(staff, "promotions.view")
    customer = customer_in_scope(staff, customer_id)
    offers = promotions.open_offers(
        promotion_book.open_now(), core_orders.audience_of(customer), utcnow()
    )
    quote = None
    if lines:
        quote = core_orders.price_lines(
            customer,
            [LineRequest(ln["product_id"], ln["qty"]) for ln in lines],
            offers,
            words=True,
        )
    return Preview(customer, offers, quote)


# --- what each promotion did ------------------------------------------------------------------

# Orders that count: placed and not turned down or withdrawn.
_DROPPED = ("rejected", "cancelled")


@dataclass
class Results:
    """What a promotion did in the caller's scope: orders it applied to, their sales (the lines it
    priced or gave; for a 满减, the orders it discounted), the discount given (price cuts and gifts
    at the dealer's own price; the 满减 taken off), and what has shipped of them at cost."""

    orders: set = field(default_factory=set)
    sales: Decimal = Decimal("0.00")
    discount: Decimal = Decimal("0.00")
    shipped: Decimal = Decimal("0.00")
    cost: Decimal = Decimal("0.0000")

    @property
    def order_count(self) -> int:
        return len(self.orders)

    @property
    def gross_profit(self) -> Decimal:
        return money(self.shipped - self.cost)

    @property
    def gross_margin(self) -> Decimal | None:
        return margin_pct(self.gross_profit, self.shipped)


def results_for(staff: Staff, promotion_ids: list[int]) -> dict[int, Results]:
    """Each promotion's results over the orders in the caller's scope: four queries whatever the
    number of promotions or orders, sums in Python (exact on SQLite too)."""
    found = {pid: Results() for pid in promotion_ids}
    if not promotion_ids:
        return found
    placed = ~(Order.status << list(_DROPPED))
    lines = list(
        scoped(
            OrderLine.select(
                OrderLine.id,
                OrderLine.order,
                OrderLine.promotion,
                OrderLine.qty,
                OrderLine.price,
                OrderLine.base_price,
                OrderLine.amount,
            )
            .join(Order)
            .join(Customer)
            .where((OrderLine.promotion << promotion_ids) & placed),
            staff,
        )
    )
    by_line = {}
    for line in lines:
        r = found[line.promotion_id]
        r.orders.add(line.order_id)
        r.sales += line.amount
        r.discount += money((line.base_price - line.price) * line.qty)
        by_line[line.id] = r
    if by_line:
        for sl in ShipmentLine.select(
            ShipmentLine.order_line, ShipmentLine.amount, ShipmentLine.cost
        ).where(ShipmentLine.order_line << list(by_line)):
            by_line[sl.order_line_id].shipped += sl.amount
            by_line[sl.order_line_id].cost += sl.cost
    discounts = list(
        scoped(
            OrderDiscount.select(
                OrderDiscount.promotion,
                OrderDiscount.order,
                OrderDiscount.amount,
                Order.id,
                Order.total,
                Order.discount_total,
            )
            .join(Order)
            .join(Customer)
            .where((OrderDiscount.promotion << promotion_ids) & placed),
            staff,
        )
    )
    by_order: dict[int, list[Results]] = {}
    for d in discounts:
        r = found[d.promotion_id]
        r.orders.add(d.order_id)
        r.sales += d.order.total + d.order.discount_total
        r.discount += d.amount
        by_order.setdefault(d.order_id, []).append(r)
    if by_order:
        for shipment in Shipment.select(Shipment.order, Shipment.amount, Shipment.cost).where(
            Shipment.order << list(by_order)
        ):
            for r in by_order[shipment.order_id]:
                r.shipped += shipment.amount
                r.cost += shipment.cost
    return found


def with_results(staff: Staff, items: list[Promotion]) -> list[Promotion]:
    """Each promotion gets `results` (what it did, in the caller's scope)."""
    results = results_for(staff, [p.id for p in items])
    for p in items:
        p.results = results[p.id]
    return items
