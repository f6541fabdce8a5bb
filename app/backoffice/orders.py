"""Orders for staff, within their data scope: lists, the review queue, one order with what the
caller may do, adjusting lines, signing (the approval engine, app/approval), rejecting, shipping.

Customer service reviews first (step 0); the first approval rule for orders that matches then adds
steps signed in order by the roles it names; the last signature pushes the order into core (stock
reserved, credit held) in the same transaction. Every signature, adjustment and credit override is
audited; an adjustment is also an order event the dealer hears of.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from app.approval import services as approvals
from app.approval.rules import Document, Facts, allowed_actions, next_role
from app.auth.permissions import ROLE_LABELS
from app.auth.scopes import actor, customer_in_scope, order_in_scope, require, scoped
from app.backoffice import queries
from app.core import credit, stock, units
from app.core import orders as core_orders
from app.core.catalog import with_customer_prices
from app.core.models import (
    Customer,
    Order,
    OrderDiscount,
    OrderLine,
    Product,
    Shipment,
    Staff,
)
from app.core.orders import LineRequest
from app.core.promotions import allocate
from app.core.queries import (
    events_and_shipments,
    lines_by_order,
    orders_by_id,
    orders_with_details,
    shipment_detail,
)
from app.core.rules import OrderStatus, line_amount
from app.db import transaction, utcnow
from app.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from app.mall import addresses as customer_addresses
from app.mall import cart as dealer_cart
from app.mall import catalog as dealer_catalog
from app.mall import ordering
from app.mall.models import OrderAudit
from app.money import money

AUDIT_LABELS = {
    "review": "客服审核",
    "sign": "审批签字",
    "adjust_lines": "调整商品行",
    "credit_override": "超信用额度特批",
    "reject": "驳回",
}


def _audit(order_id: int, staff: Staff, action: str, before=None, after=None, reason: str = ""):
    OrderAudit.create(
        order=order_id,
        staff=staff.id,
        action=action,
        before=json.dumps(before, ensure_ascii=False, default=str) if before is not None else "",
        after=json.dumps(after, ensure_ascii=False, default=str) if after is not None else "",
        reason=reason,
    )


def _document(order: Order, steps) -> Document:
    return Document("order", order.status, steps)


def order_facts(order: Order, customer: Customer) -> Facts:
    lines = list(order.lines)
    spendable = credit.available_to_spend(customer)
    return Facts(
        total=order.total,
        list_total=money(sum((line_amount(ln.list_price, ln.qty) for ln in lines), Decimal(0))),
        branch_id=customer.branch_id,
        customer_id=customer.id,
        credit_exceeded=spendable is not None and order.total > spendable,
    )


# --- reading ----------------------------------------------------------------------------------


def orders_page(staff: Staff, filters: dict, page: int, per_page: int) -> tuple[list[Order], int]:
    """Orders in the caller's scope matching the filters, newest first, with their details."""
    require(staff, "orders.view")
    query = queries.orders_query(staff, filters)
    total = query.count()
    ids = [o.id for o in query.paginate(page, per_page)]
    return orders_by_id(ids), total


def order_for(staff: Staff, order_id: int) -> Order:
    """One order in the caller's scope, whole (lines, events, shipments). Raises: NotFound."""
    require(staff, "orders.view")
    query = scoped(Order.select(Order, Customer).join(Customer).where(Order.id == order_id), staff)
    found = orders_with_details(query, shipment_lines=True)
    if not found:
        raise NotFound("订单不存在", order_id=order_id)
    return found[0]


@dataclass
class QueueEntry:
    order: Order
    customer: Customer
    credit: dict
    lines: list
    steps: list
    next_role: str | None


def review_queue(
    staff: Staff, page: int, per_page: int, mine: bool = False
) -> tuple[list[QueueEntry], int]:
    """Orders awaiting review or approval in the caller's scope, oldest first, with the customer's
    credit position and the stock available for every line; `mine`: only those whose next
    signature is the caller's role's."""
    require(staff, "orders.view")
    query = scoped(
        Order.select(Order, Customer)
        .join(Customer)
        .where(Order.status == OrderStatus.PENDING_REVIEW.value),
        staff,
    )
    if mine:
        query = query.where(approvals.awaiting("order", Order.id, staff.role))
    total = query.count()
    page_orders = list(query.order_by(Order.created_at, Order.id).paginate(page, per_page))
    return _entries(page_orders), total


def review_entry(staff: Staff, order_id: int) -> QueueEntry:
    """One order in the caller's scope with the facts a reviewer decides on (any status)."""
    require(staff, "orders.view")
    return _entries([order_in_scope(staff, order_id)])[0]


def _entries(page_orders: list[Order]) -> list[QueueEntry]:
    ids = [o.id for o in page_orders]
    lines = lines_by_order(ids)
    steps_by_order = approvals.steps_by_document("order", ids)
    by_warehouse: dict[int, set] = {}
    for o in page_orders:
        by_warehouse.setdefault(o.warehouse_id, set()).update(ln.product_id for ln in lines[o.id])
    available = {w: stock.availability(w, list(p)) for w, p in by_warehouse.items()}
    entries = []
    for o in page_orders:
        c = o.customer
        spendable = credit.available_to_spend(c)
        steps = steps_by_order[o.id]
        pending = o.status == OrderStatus.PENDING_REVIEW.value
        entries.append(
            QueueEntry(
                order=o,
                customer=c,
                credit={
                    "settlement_method": c.settlement_method,
                    "credit_limit": c.credit_limit,
                    "used": c.ar_balance + c.held,
                    "prepaid_balance": max(-c.ar_balance, 0),  # money paid ahead, unspent
                    "held": c.held,
                    "available": spendable,
                    "would_exceed": pending and spendable is not None and o.total > spendable,
                },
                lines=[
                    {"line": ln, "available": available[o.warehouse_id][ln.product_id]}
                    for ln in lines[o.id]
                ],
                steps=steps,
                next_role=next_role(_document(o, steps)),
            )
        )
    return entries


@dataclass
class OrderPage:
    """What a reviewer sees of one order: credit, stock per line, steps, history, and the actions
    the caller may take (`allowed_actions`)."""

    entry: QueueEntry
    events: list
    shipments: list
    audits: list[dict]
    names: dict[int, str]
    actors: dict[str, str]  # who placed the order and who did each event, in words
    actions: frozenset[str]

    @property
    def order(self) -> Order:
        return self.entry.order


def order_page(staff: Staff, order_id: int) -> OrderPage:
    entry = review_entry(staff, order_id)
    order = entry.order
    audit_rows = list(
        OrderAudit.select().where(OrderAudit.order == order.id).order_by(OrderAudit.id)
    )
    shown = {a.staff_id for a in audit_rows} | {s.signed_by_id for s in entry.steps}
    names = {
        s.id: s.name or s.username
        for s in Staff.select(Staff.id, Staff.name, Staff.username).where(Staff.id << list(shown))
    }
    events, shipments = events_and_shipments(order.id)
    changes = [_changed_lines(a.before) + _changed_lines(a.after) for a in audit_rows]
    products = _product_names({pid for lines in changes for pid in lines})
    return OrderPage(
        entry=entry,
        events=events,
        shipments=shipments,
        audits=[
            {
                "at": a.created_at,
                "who": names.get(a.staff_id, ""),
                "action": AUDIT_LABELS.get(a.action, "修改订单"),
                "before": _in_words(a.before, products),
                "after": _in_words(a.after, products),
                "reason": a.reason,
            }
            for a in audit_rows
        ],
        names=names,
        actors=queries.actor_names([order.placed_by, *(e.actor for e in events)]),
        actions=allowed_actions(_document(order, entry.steps), staff),
    )


def _changed_lines(text: str) -> list[int]:
    value = _parsed(text)
    if isinstance(value, list):
        return [v["product_id"] for v in value if isinstance(v, dict) and "product_id" in v]
    return []


def _product_names(ids: set[int]) -> dict[int, str]:
    query = Product.select(Product.id, Product.name).where(Product.id << list(ids))
    return {p.id: p.name for p in query}


def _parsed(text: str):
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def _in_words(text: str, products: dict[int, str]) -> str:
    """An audit's before or after as people read it: lines by product name, the rule and the
    roles that sign, never the JSON it is stored as."""
    value = _parsed(text)
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, list):
        return "；".join(_line_in_words(v, products) for v in value)
    if not isinstance(value, dict):
        return str(value)
    parts = []
    if value.get("rule") is not None:
        parts.append(f"规则：{value['rule'] or '无需额外审批'}")
    if "steps" in value:
        roles = [ROLE_LABELS.get(r, "审批人") for r in value["steps"]]
        parts.append(f"审批步骤：{' → '.join(roles) or '无'}")
    if "step" in value:
        parts.append(f"第 {value['step']} 步（{ROLE_LABELS.get(value.get('role'), '审批人')}）")
    return "；".join(parts)


def _line_in_words(line, products: dict[int, str]) -> str:
    if not isinstance(line, dict):
        return str(line)
    name = line.get("name") or products.get(line.get("product_id"), "已删除的商品")
    return f"{name} × {line.get('qty')}，单价 ¥{line.get('price')}"


def waiting_for(order_id: int) -> str | None:
    """The role the next unsigned step of an order waits for, if any."""
    unsigned = [s for s in approvals.steps_of("order", order_id) if s.signed_by_id is None]
    return unsigned[0].role if unsigned else None


# --- acting ---------------------------------------------------------------------------------------


def adjust(staff: Staff, order_id: int, lines: list[dict], reason: str) -> Order:
    """Customer service changes quantities or prices before approval: audited before → after,
    and an order event the dealer sees (timeline, inbox, WeChat). Signatures already given are
    withdrawn: what they approved is no longer the order. Returns the order, whole.

    Raises: Forbidden, NotFound, InvalidState, ValidationFailed.
    """
    require(staff, "orders.review")
    if not reason.strip():
        raise ValidationFailed("调整订单须填写原因", reason=["必填"])
    ids = [ln["product_id"] for ln in lines]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("同一商品请合并为一行", lines=["同一商品请合并为一行"])
    with transaction():
        order = order_in_scope(staff, order_id)
        locked = (
            Order.update(updated_at=utcnow())
            .where((Order.id == order.id) & (Order.status == OrderStatus.PENDING_REVIEW.value))
            .execute()
        )
        if not locked:
            raise InvalidState("订单已不在待审核状态，不能调整", status=order.status)
        current = list(order.lines)
        old = {ln.product_id: ln for ln in current if not ln.gift}
        gifts = [ln for ln in current if ln.gift]  # what promotions gave stays given
        before = [{"product_id": p, "qty": ln.qty, "price": ln.price} for p, ln in old.items()]
        involved = set(ids) | old.keys()
        products = {p.id: p for p in Product.select().where(Product.id << list(involved))}
        missing = sorted(pid for pid in ids if pid not in products or not products[pid].active)
        if missing:
            raise NotFound("商品不存在或已下架", product_ids=missing)
        new_ids = [pid for pid in ids if pid not in old]
        resolved = {}
        if new_ids:
            query = Product.select().where(Product.id << new_ids)
            resolved = {p.id: p.price for p in with_customer_prices(query, order.customer)}
        rows, after = [], []
        for ln in lines:
            pid = ln["product_id"]
            price = money(
                ln["price"]
                if ln.get("price") is not None
                else (old[pid].price if pid in old else resolved[pid])
            )
            # A line keeps the promotion that priced it while its price stays.
            kept = pid in old and money(old[pid].price) == price and old[pid].promotion_id
            rows.append(
                {
                    "order": order.id,
                    "product": pid,
                    "qty": ln["qty"],
                    "price": price,
                    "list_price": products[pid].list_price,
                    "amount": line_amount(price, ln["qty"]),
                    "promotion": old[pid].promotion_id if kept else None,
                    "promotion_label": old[pid].promotion_label if kept else "",
                    "base_price": old[pid].base_price if kept else price,
                    "gift": False,
                    "discount": Decimal("0.00"),
                    # In the unit the dealer ordered in while the quantity fills it.
                    **dict(
                        zip(
                            ("unit", "unit_qty"),
                            units.in_unit(
                                products[pid], ln["qty"], old[pid].unit if pid in old else None
                            ),
                            strict=True,
                        )
                    ),
                }
            )
            after.append({"product_id": pid, "qty": ln["qty"], "price": price})
        subtotal = money(sum((r["amount"] for r in rows), Decimal(0)))
        discount = _keep_discounts(order, subtotal)
        # The order's discounts (满减) are shared over its lines again, as placing shares them.
        shares = allocate(discount, [r["amount"] for r in rows])
        for row, share in zip(rows, shares, strict=True):
            row["discount"] = share
        rows += [
            {
                "order": order.id,
                "product": g.product_id,
                "qty": g.qty,
                "price": g.price,
                "list_price": g.list_price,
                "amount": g.amount,
                "promotion": g.promotion_id,
                "promotion_label": g.promotion_label,
                "base_price": g.base_price,
                "gift": True,
                "discount": Decimal("0.00"),
                "unit": g.unit,
                "unit_qty": g.unit_qty,
            }
            for g in gifts
        ]
        OrderLine.delete().where(OrderLine.order == order.id).execute()
        OrderLine.insert_many(rows).execute()
        total = money(subtotal - discount)
        Order.update(total=total, discount_total=discount).where(Order.id == order.id).execute()
        approvals.withdraw("order", order.id)
        _audit(order.id, staff, "adjust_lines", before, after, reason)
        order.total = total
        note = f"{_changes_in_words(before, after, products)}；原因：{reason.strip()}"
        core_orders.record_event(order, "adjust", order.status, order.status, actor(staff), note)
    return orders_by_id([order_id])[0]


def _keep_discounts(order: Order, subtotal: Decimal) -> Decimal:
    """The order keeps the discounts it was placed with (a promotion changed since changes
    nothing), but never more than its lines now come to: the last ones shrink first."""
    left = subtotal
    kept = Decimal("0.00")
    for d in (
        OrderDiscount.select().where(OrderDiscount.order == order.id).order_by(OrderDiscount.id)
    ):
        amount = min(d.amount, left)
        if amount <= 0:
            d.delete_instance()
            continue
        if amount != d.amount:
            OrderDiscount.update(amount=amount).where(OrderDiscount.id == d.id).execute()
        left -= amount
        kept += amount
    return money(kept)


def _changes_in_words(before: list[dict], after: list[dict], products: dict) -> str:
    """What an adjustment changed, as the dealer reads it: "花生油 10→15，删除 茶叶，新增 …"."""
    was = {b["product_id"]: b for b in before}
    now = {a["product_id"]: a for a in after}
    words = []
    for pid, line in now.items():
        name = products[pid].name
        if pid not in was:
            words.append(f"新增 {name} {line['qty']}")
            continue
        old = was[pid]
        if old["qty"] != line["qty"]:
            words.append(f"{name} 数量 {old['qty']}→{line['qty']}")
        if money(old["price"]) != money(line["price"]):
            words.append(f"{name} 单价 {money(old['price'])}→{money(line['price'])}")
    words += [f"删除 {products[pid].name}" for pid in was if pid not in now]
    return "，".join(words) or "商品行未变"


def approve(staff: Staff, order_id: int, comment: str = "", credit_override: bool = False) -> Order:
    """Sign the order's next step; the last signature approves it into stock and credit. Returns
    the order, whole.

    Raises: Forbidden (wrong role, or override without the right), NotFound (out of scope),
    InvalidState (not pending, step already signed), CreditExceeded, InsufficientStock.
    """
    require(staff, "orders.approve")
    with transaction():
        order = order_in_scope(staff, order_id)
        if order.status != OrderStatus.PENDING_REVIEW.value:
            raise InvalidState("订单已不在待审核状态", status=order.status)
        facts = order_facts(order, order.customer)
        signature = approvals.sign("order", order.id, order, facts, staff, comment)
        step = signature.step
        if step.seq == 0:
            roles = [s.role for s in signature.steps[1:]]
            after = {"rule": step.rule_name, "steps": roles}
            _audit(order.id, staff, "review", after=after, reason=comment)
        else:
            _audit(
                order.id, staff, "sign", after={"step": step.seq, "role": step.role}, reason=comment
            )
        if signature.approved:
            override_by = staff.id if credit_override else None
            if credit_override:
                _audit(order.id, staff, "credit_override", reason=comment or "超信用额度特批")
            core_orders.approve_order(order, actor(staff), credit_override_by=override_by)
    return orders_by_id([order_id])[0]


def reject(staff: Staff, order_id: int, reason: str) -> Order:
    """Customer service, or whoever the next step waits for, rejects with a reason."""
    require(staff, "orders.approve")
    with transaction():
        order = order_in_scope(staff, order_id)
        document = _document(order, approvals.steps_of("order", order.id))
        if document.awaiting and "reject" not in allowed_actions(document, staff):
            raise Forbidden("当前角色不能驳回该订单")
        core_orders.reject_order(order, actor(staff), reason)
        _audit(order.id, staff, "reject", reason=reason)
    return orders_by_id([order_id])[0]


def ship(
    staff: Staff, order_id: int, lines: list[dict], carrier: str, tracking_no: str
) -> Shipment:
    """Ship lines ({order_line_id, qty}) fully or partly, with carrier and tracking number.

    Raises: Forbidden, NotFound (out of scope), InvalidState, ValidationFailed.
    """
    require(staff, "orders.ship")
    order_in_scope(staff, order_id)
    shipment = core_orders.ship_order(
        order_id,
        [(ln["order_line_id"], ln["qty"]) for ln in lines],
        carrier,
        tracking_no,
        actor(staff),
    )
    return shipment_detail(shipment.id)


# --- 代下单: an order placed by staff for a dealer ------------------------------------------------

STAFF_KEY_PREFIX = "staff:"  # a staff member's key never finds an order the dealer's own key made


def dealer_for_order(staff: Staff, customer_id: int) -> Customer:
    """A customer in the caller's scope that can be ordered for. Raises: Forbidden, NotFound,
    InvalidState (a disabled customer)."""
    require(staff, "orders.place")
    customer = customer_in_scope(staff, customer_id)
    if not customer.active:
        raise InvalidState(f"客户“{customer.name}”已停用，不能下单", customer_id=customer_id)
    return customer


def dealer_products(
    staff: Staff,
    customer_id: int,
    low_threshold: int,
    *,
    q: str = "",
    product_ids: list[int] | None = None,
    limit: int = 20,
):
    """Products on sale at this dealer's prices with what their warehouse has available (staff
    see quantities): those matching `q` (SKU or name), or those named by id (a form's lines, in
    the order given). Raises: as dealer_for_order."""
    customer = dealer_for_order(staff, customer_id)
    query = Product.select().where(Product.active)
    if product_ids is not None:
        query = query.where(Product.id << (product_ids or [0]))
    elif q.strip():
        words = q.strip()
        query = query.where(Product.sku.contains(words) | Product.name.contains(words))
    views = dealer_catalog.views_for(
        customer, query.order_by(Product.sku).limit(limit), low_threshold
    )
    if product_ids is not None:
        views.sort(key=lambda v: product_ids.index(v.product.id))
    return customer, views


@dataclass
class OrderDesk:
    """What the 代客下单 page shows of the dealer: who, at which prices, their funds, addresses."""

    customer: Customer
    branch_name: str
    funds: object  # app.mall.cart.Funds: available credit or prepaid balance, in words
    addresses: list


def order_desk(staff: Staff, customer_id: int) -> OrderDesk:
    """The dealer an order is being placed for. Raises: as dealer_for_order."""
    customer = dealer_for_order(staff, customer_id)
    return OrderDesk(
        customer,
        customer.branch.name if customer.branch_id else "",
        dealer_cart.funds_for(customer, Decimal("0")),
        customer_addresses.addresses_of(customer.id),
    )


def place_for_dealer(
    staff: Staff,
    customer_id: int,
    lines: list[dict],
    *,
    idempotency_key: str | None = None,
    remark: str = "",
    address_id: int | None = None,
) -> tuple[Order, bool]:
    """代下单: an order awaiting review for a dealer in the caller's scope, at that dealer's prices
    and rules, `source` "staff", placed by the caller; the dealer hears of it in the inbox (and
    WeChat) through the order's submit event. The same Idempotency-Key for the same dealer gives
    back the first order, also when two requests race (invariant 3).

    Raises: Forbidden, NotFound (customer, product or address), InvalidState, BelowMinQty,
    BadStep, ValidationFailed.
    """
    customer = dealer_for_order(staff, customer_id)
    key = f"{STAFF_KEY_PREFIX}{idempotency_key}" if idempotency_key else None
    return ordering.submit_order(
        customer,
        [LineRequest(ln["product_id"], ln["qty"], ln.get("unit")) for ln in lines],
        idempotency_key=key,
        remark=remark,
        address_id=address_id,
        placed_by=actor(staff),
        source="staff",
    )
