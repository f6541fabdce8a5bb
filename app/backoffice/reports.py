"""Sales, profit and targets (考核) for HQ and branches: SQL aggregates, never loops over orders,
always within the caller's data scope. Days are Asia/Shanghai days.

Per group (branch, rep, customer, product, category, brand, channel, shop or day): `orders` and
`amount` — orders submitted in the period and not rejected or cancelled (for products, categories
and brands: their lines' amount); `shipped_amount` — shipments in the period; `returned_amount` —
returns received in the period; `receipts` — money received in the period (not a return's credit;
none per product, category or brand); `cost` — goods shipped less goods returned in the period,
each at the cost it moved at; `gross_profit` and `gross_margin` (percent of net shipped).

Channels: the dealer mall's orders are `mall` (by shop: no shop); each online shop's are
`shop:<id>`, from the shops' own tables (app/shops/reports.py): orders paid, shipped at their
totals, cost as their shop_shipment movements left the warehouse.

The profit report (独立核算) nets the same shipped, returned and cost figures with the customer
fees of the period, by branch, rep, customer or brand.
"""

from __future__ import annotations

import datetime as dt
import operator
from decimal import Decimal
from functools import reduce

from peewee import Case, fn

from app.auth.scopes import (
    branch_in_scope,
    customer_condition,
    require,
    require_branch,
    scoped,
    staff_in_scope,
)
from app.core.models import (
    Branch,
    Category,
    Customer,
    Order,
    OrderLine,
    Product,
    Receipt,
    ReturnLine,
    ReturnRequest,
    Shipment,
    ShipmentLine,
    Staff,
    StockMovement,
    Target,
)
from app.core.rules import OrderStatus
from app.db import local_day, transaction, utcnow
from app.errors import NotFound, ValidationFailed
from app.inventory.models import CustomerFee
from app.inventory.rules import margin_pct
from app.money import ZERO, cost_from_units, money, money_from_fen
from app.replica import reports_database
from app.shops import reports as shop_reports
from app.timeutil import end_of_local_day_utc, start_of_local_day_utc

GROUPS = ("branch", "rep", "customer", "product", "category", "brand", "channel", "shop", "day")
PROFIT_GROUPS = ("branch", "rep", "customer", "brand")
LINE_GROUPS = ("product", "category", "brand")
# Groups every row of the dealer mall falls in as one: its channel, and "no shop".
MALL_KEYS = {"channel": "mall", "shop": None}
NOT_SALES = (OrderStatus.REJECTED.value, OrderStatus.CANCELLED.value)
SOLD = (
    OrderStatus.APPROVED.value,
    OrderStatus.PARTIALLY_SHIPPED.value,
    OrderStatus.SHIPPED.value,
    OrderStatus.COMPLETED.value,
)
BUSINESS_OFFSET_HOURS = 8  # Asia/Shanghai has no daylight saving


def _grouping(group: str, *, customer, product=None, time=None) -> tuple:
    """The group's key and the joins it needs, given the query's customer, product and time
    columns: only branch and rep need the customer row, only category the product row."""
    if group in ("branch", "rep"):
        key = Customer.branch if group == "branch" else Customer.rep
        return key, [(Customer, customer == Customer.id)]
    if group in ("category", "brand"):
        key = Product.category if group == "category" else Product.brand
        return key, [(Product, product == Product.id)]
    if group == "day":
        return local_day(time), []
    return {"customer": customer, "product": product}[group], []


def _customers_in(staff: Staff, branch_id: int | None, rep_id: int | None):
    """The customers the report covers, as a condition on a customer id column's values (None:
    all of them). A subquery, so that rows need not be joined to customers just to be scoped."""
    conditions = [c for c in (customer_condition(staff),) if c is not None]
    if branch_id is not None:
        conditions.append(Customer.branch == branch_id)
    if rep_id is not None:
        conditions.append(Customer.rep == rep_id)
    if not conditions:
        return None
    return Customer.select(Customer.id).where(reduce(operator.and_, conditions))


def _aggregate(
    model, measures, joins, where, group, covered, *, customer, customer_via=(), **columns
) -> dict:
    """{key: measures} for SELECT key, measures FROM model JOIN joins WHERE where GROUP BY key,
    over the covered customers. `customer_via`: joins that only lead to the customer column,
    left out when neither the key nor the scope needs it (HQ's reports by product or day)."""
    if group in MALL_KEYS:  # one group for everything: no GROUP BY (PostgreSQL refuses a constant)
        key, key_joins = None, []
    else:
        key, key_joins = _grouping(group, customer=customer, **columns)
    if covered is not None or group in ("branch", "rep", "customer"):
        joins = [*joins, *customer_via]
    query = model.select(*measures) if key is None else model.select(key, *measures)
    for dest, on in [*joins, *key_joins]:
        query = query.join(dest, on=on)
    if covered is not None:
        where &= customer << covered
    if key is None:
        row = query.where(where).tuples().get()
        return {MALL_KEYS[group]: row} if any(row) else {}
    return _sums(query.where(where).group_by(key))


# Groups whose key is a row's id: API.md gives it as an integer (ids as integers).
ID_GROUPS = ("branch", "rep", "customer", "product", "category")


def _key_out(group: str, key: str | None):
    """A row's key as the report answers it: an id as an integer, else its text; none: null."""
    if not key:
        return None
    return int(key) if group in ID_GROUPS else key


def _text(value) -> str | None:
    """A group key as the report shows it: an id as digits, a day as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, dt.date):  # also a datetime, as some drivers give DATE()
        return value.isoformat()[:10]
    return str(value)


def _sums(query) -> dict:
    return {_text(row[0]): row[1:] for row in query.tuples()}


def _period(staff: Staff, date_from: dt.date, date_to: dt.date, group_by: str, groups, branch_id):
    """Checks shared by the reports: the group, the dates, the branch the caller may see."""
    require(staff, "reports.ar")
    if group_by not in groups:
        raise ValidationFailed("分组方式无效", group_by=[f"须为 {', '.join(groups)} 之一"])
    if date_from > date_to:
        raise ValidationFailed("开始日期不能晚于结束日期", date_from=["不能晚于结束日期"])
    branch_id = branch_in_scope(staff, branch_id)
    return start_of_local_day_utc(date_from), end_of_local_day_utc(date_to), branch_id


def _shipped_and_returned(aggregate, by_line: bool, start, end) -> tuple[dict, dict]:
    """{key: (amount, cost)} of shipments and {key: (amount, cost)} of returns received in the
    period: amounts at the orders' prices, costs as the goods moved (raw fen and cost units)."""
    in_period = (Shipment.shipped_at >= start) & (Shipment.shipped_at < end)
    of_order = {"customer": Order.customer, "customer_via": [(Order, Shipment.order == Order.id)]}
    if by_line:
        to_lines = [
            (Shipment, ShipmentLine.shipment == Shipment.id),
            (OrderLine, ShipmentLine.order_line == OrderLine.id),
        ]
        measures = [fn.SUM(ShipmentLine.amount), fn.SUM(ShipmentLine.cost)]
        shipped = aggregate(
            ShipmentLine, measures, to_lines, in_period, product=OrderLine.product, **of_order
        )
    else:
        measures = [fn.SUM(Shipment.amount), fn.SUM(Shipment.cost)]
        shipped = aggregate(Shipment, measures, [], in_period, time=Shipment.shipped_at, **of_order)
    # Returns received in the period: the `return` stock movements, at the return's prices and
    # at the cost they came back at.
    returned = aggregate(
        StockMovement,
        [fn.SUM(StockMovement.on_hand_delta * ReturnLine.price), fn.SUM(StockMovement.value)],
        [
            (ReturnRequest, ReturnRequest.number == StockMovement.ref),
            (
                ReturnLine,
                (ReturnLine.request == ReturnRequest.id)
                & (ReturnLine.product == StockMovement.product),
            ),
        ],
        (StockMovement.kind == "return")
        & (StockMovement.created_at >= start)
        & (StockMovement.created_at < end),
        customer=ReturnRequest.customer,
        product=StockMovement.product,
        time=StockMovement.created_at,
    )
    return shipped, returned


def _margin_figures(shipped_row, returned_row) -> dict:
    """shipped, returned, cost (goods shipped less goods returned), gross profit and margin."""
    shipped_amount, shipped_cost = shipped_row
    returned_amount, returned_cost = returned_row
    shipped = money_from_fen(shipped_amount)
    returned = money_from_fen(returned_amount)
    cost = money(cost_from_units(shipped_cost) - cost_from_units(returned_cost))
    gross_profit = shipped - returned - cost
    return {
        "shipped_amount": shipped,
        "returned_amount": returned,
        "cost": cost,
        "gross_profit": gross_profit,
        "gross_margin": margin_pct(gross_profit, shipped - returned),
    }


def _money_sums(rows: list[dict], fields) -> dict:
    """Each of `fields` summed over the rows, as money: a report's totals."""
    return {f: money(sum((r[f] for r in rows), ZERO)) for f in fields}


def _report(date_from: dt.date, date_to: dt.date, group_by: str, rows: list, totals: dict) -> dict:
    """A report as it is answered: its period and grouping, its rows (`items`) and `totals`."""
    return {
        "date_from": date_from,
        "date_to": date_to,
        "group_by": group_by,
        "items": rows,
        "totals": totals,
    }


NO_MOVES = (0, 0)


@reports_database()
def sales_report(
    staff: Staff,
    date_from: dt.date,
    date_to: dt.date,
    group_by: str,
    branch_id: int | None = None,
    rep_id: int | None = None,
) -> dict:
    """Rows `key, name, orders, amount, shipped_amount, returned_amount, receipts, cost,
    gross_profit, gross_margin` and `totals`."""
    start, end, branch_id = _period(staff, date_from, date_to, group_by, GROUPS, branch_id)
    by_line = group_by in LINE_GROUPS

    covered = _customers_in(staff, branch_id, rep_id)

    def aggregate(model, measures, joins, where, **columns):
        return _aggregate(model, measures, joins, where, group_by, covered, **columns)

    # Orders submitted in the period, not rejected or cancelled.
    submitted = (
        (Order.created_at >= start) & (Order.created_at < end) & ~(Order.status << NOT_SALES)
    )
    if by_line:
        # An order has one bought line per product (unique index; a promotion's gift is a line
        # of its own), so a product's bought lines count its orders; a category's or a brand's
        # need DISTINCT.
        count = (
            fn.SUM(Case(None, [(OrderLine.gift, 0)], 1))
            if group_by == "product"
            else fn.COUNT(fn.DISTINCT(Order.id))
        )
        ordered = aggregate(
            OrderLine,
            [count, fn.SUM(OrderLine.amount)],
            [(Order, OrderLine.order == Order.id)],
            submitted,
            customer=Order.customer,
            product=OrderLine.product,
        )
    else:
        ordered = aggregate(
            Order,
            [fn.COUNT(Order.id), fn.SUM(Order.total)],
            [],
            submitted,
            customer=Order.customer,
            time=Order.created_at,
        )

    shipped, returned = _shipped_and_returned(aggregate, by_line, start, end)

    # Money received in the period (per product, category or brand there is none).
    received: dict = {}
    if not by_line:
        received = aggregate(
            Receipt,
            [fn.SUM(Receipt.amount)],
            [],
            (Receipt.received_at >= start)
            & (Receipt.received_at < end)
            & (Receipt.method != "return")
            & Receipt.voided_at.is_null(),
            customer=Receipt.customer,
            time=Receipt.received_at,
        )

    keys = sorted(set(ordered) | set(shipped) | set(returned) | set(received), key=_sort_key)
    names = _names(group_by, keys)
    rows = []
    for k in keys:
        count, amount = ordered.get(k, (0, 0))
        rows.append(
            {
                "key": _key_out(group_by, k),
                "name": names.get(k, _unnamed(group_by, k)),
                "orders": int(count or 0),
                "amount": money_from_fen(amount),
                "receipts": money_from_fen(received.get(k, (0,))[0]),
                **_margin_figures(shipped.get(k, NO_MOVES), returned.get(k, NO_MOVES)),
            }
        )
    if group_by in ("channel", "shop"):  # the online shops' own figures, a row per shop
        rows += [
            {
                "key": f"shop:{shop.id}",
                "name": shop.label,
                "orders": shop.orders,
                "amount": money_from_fen(shop.amount),
                "receipts": ZERO,
                **_margin_figures(shop.shipped, NO_MOVES),
            }
            for shop in shop_reports.shop_figures(staff, start, end)
        ]
    rows.sort(key=lambda r: (r["key"] if group_by == "day" else -r["amount"], str(r["key"])))
    if by_line:  # an order with several products or categories is still one order
        counted = Order.select(fn.COUNT(Order.id)).where(submitted)
        order_count = (
            counted if covered is None else counted.where(Order.customer << covered)
        ).scalar()
    else:
        order_count = sum(r["orders"] for r in rows)
    sums = _money_sums(rows, ("amount", "shipped_amount", "returned_amount", "receipts", "cost"))
    gross_profit = sums["shipped_amount"] - sums["returned_amount"] - sums["cost"]
    totals = {
        "orders": order_count,
        **sums,
        "gross_profit": gross_profit,
        "gross_margin": margin_pct(gross_profit, sums["shipped_amount"] - sums["returned_amount"]),
    }
    return _report(date_from, date_to, group_by, rows, totals)


@reports_database()
def profit_report(
    staff: Staff,
    date_from: dt.date,
    date_to: dt.date,
    group_by: str,
    branch_id: int | None = None,
) -> dict:
    """独立核算: rows `key, name, net_sales` (shipped less returned), `cost, gross_profit,
    gross_margin, fees` (customer fees dated in the period) and `profit` (after fees), with
    `totals`; by branch, rep, customer or brand, within the caller's scope (a branch manager:
    their branch's own figures). Per brand, a fee bears on the brand it names (none: 未指定品牌)."""
    start, end, branch_id = _period(staff, date_from, date_to, group_by, PROFIT_GROUPS, branch_id)
    covered = _customers_in(staff, branch_id, None)

    def aggregate(model, measures, joins, where, **columns):
        return _aggregate(model, measures, joins, where, group_by, covered, **columns)

    shipped, returned = _shipped_and_returned(aggregate, group_by == "brand", start, end)
    in_period = (
        (CustomerFee.date >= date_from)
        & (CustomerFee.date <= date_to)
        & CustomerFee.voided_at.is_null()  # a fee voided as a mistake was never spent
    )
    if group_by == "brand":
        query = CustomerFee.select(CustomerFee.brand, fn.SUM(CustomerFee.amount)).where(in_period)
        if covered is not None:
            query = query.where(CustomerFee.customer << covered)
        fees = _sums(query.group_by(CustomerFee.brand))
    else:
        fees = aggregate(
            CustomerFee, [fn.SUM(CustomerFee.amount)], [], in_period, customer=CustomerFee.customer
        )
    keys = sorted(set(shipped) | set(returned) | set(fees), key=_sort_key)
    names = _names(group_by, keys)
    rows = []
    for k in keys:
        figures = _margin_figures(shipped.get(k, NO_MOVES), returned.get(k, NO_MOVES))
        fee = money_from_fen(fees.get(k, (0,))[0])
        rows.append(
            {
                "key": _key_out(group_by, k),
                "name": names.get(k, _unnamed(group_by, k)),
                "net_sales": figures["shipped_amount"] - figures["returned_amount"],
                "cost": figures["cost"],
                "gross_profit": figures["gross_profit"],
                "gross_margin": figures["gross_margin"],
                "fees": fee,
                "profit": figures["gross_profit"] - fee,
            }
        )
    rows.sort(key=lambda r: (-r["profit"], str(r["key"])))
    totals = _money_sums(rows, ("net_sales", "cost", "gross_profit", "fees", "profit"))
    totals["gross_margin"] = margin_pct(totals["gross_profit"], totals["net_sales"])
    return _report(date_from, date_to, group_by, rows, totals)


def _unnamed(group: str, key) -> str:
    if group == "brand":
        return key or "未指定品牌"
    if group == "channel":
        return {"mall": "订货商城"}.get(key, key)
    if group == "shop":
        return "订货商城（非网店）" if key is None else key
    return "未分配" if key is None else key


def _sort_key(k):
    return (k is None, str(k))


def _names(group: str, keys: list) -> dict:
    if group not in ("branch", "rep", "customer", "product", "category"):
        return {}  # days, brands and channels name themselves
    ids = [int(k) for k in keys if k is not None]
    model = {"branch": Branch, "rep": Staff, "customer": Customer, "product": Product}.get(group)
    if group == "category":
        model = Category
    if model is None or not ids:
        return {}
    return {
        str(row.id): (getattr(row, "name", "") or getattr(row, "username", ""))
        for row in model.select().where(model.id << ids)
    }


# --- targets ---------------------------------------------------------------------------------


def _month(period: str) -> tuple[dt.date, dt.date]:
    try:
        first = dt.date.fromisoformat(f"{period}-01")
    except ValueError:
        first = None
    if first is None or not 2000 <= first.year <= 2099:
        raise ValidationFailed(
            "期间格式应为 YYYY-MM", period=["格式应为 YYYY-MM（2000 到 2099 年）"]
        )
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return first, last


def set_target(
    staff: Staff, period: str, amount: Decimal, branch_id: int | None, staff_id: int | None
) -> Target:
    """A month's target for a branch or for a rep (exactly one of them), within scope."""
    require(staff, "field.manage")
    _month(period)
    if (branch_id is None) == (staff_id is None):
        raise ValidationFailed("请指定分支机构或业务员之一", branch_id=["二选一"])
    if branch_id is not None:
        require_branch(staff, branch_id)
        if not Branch.select().where(Branch.id == branch_id).exists():
            raise NotFound("分支机构不存在", branch_id=branch_id)
    else:
        rep = staff_in_scope(staff, staff_id)
        if rep.role != "rep":
            raise ValidationFailed("目标只能设给业务员", staff_id=["不是业务员"])
    with transaction():
        existing = Target.get_or_none(
            (Target.period == period)
            & (Target.branch == branch_id if branch_id else Target.branch.is_null())
            & (Target.staff == staff_id if staff_id else Target.staff.is_null())
        )
        if existing:
            Target.update(amount=money(amount), updated_at=utcnow()).where(
                Target.id == existing.id
            ).execute()
            return Target.get_by_id(existing.id)
        return Target.create(period=period, branch=branch_id, staff=staff_id, amount=money(amount))


@reports_database()
def targets_report(staff: Staff, period: str) -> dict:
    """Target, achieved (approved orders' amount in the month) and receipts, per branch and per
    rep in the caller's scope, with the percentage achieved."""
    require(staff, "reports.ar")
    first, last = _month(period)
    start, end = start_of_local_day_utc(first), end_of_local_day_utc(last)

    def achieved(key):
        query = (
            Order.select(key, fn.SUM(Order.total))
            .join(Customer)
            .where(
                (Order.approved_at >= start) & (Order.approved_at < end) & (Order.status << SOLD)
            )
        )
        return {
            row[0]: money_from_fen(row[1]) for row in scoped(query, staff).group_by(key).tuples()
        }

    def received(key):
        query = (
            Receipt.select(key, fn.SUM(Receipt.amount))
            .join(Customer)
            .where(
                (Receipt.received_at >= start)
                & (Receipt.received_at < end)
                & (Receipt.method != "return")
                & Receipt.voided_at.is_null()
            )
        )
        return {
            row[0]: money_from_fen(row[1]) for row in scoped(query, staff).group_by(key).tuples()
        }

    targets = list(Target.select().where(Target.period == period))
    rows = {"branches": [], "reps": []}
    for kind, key, field, model in (
        ("branches", Customer.branch, "branch_id", Branch),
        ("reps", Customer.rep, "staff_id", Staff),
    ):
        done, paid = achieved(key), received(key)
        goal = {getattr(t, field): t.amount for t in targets if getattr(t, field) is not None}
        ids = sorted(i for i in set(done) | set(paid) | set(goal) if i is not None)
        visible = _visible(staff, model, ids)
        for i in ids:
            if i not in visible:
                continue
            target = goal.get(i)
            amount = done.get(i, ZERO)
            rows[kind].append(
                {
                    "id": i,
                    "name": visible[i],
                    "target": target,
                    "achieved": amount,
                    "receipts": paid.get(i, ZERO),
                    "percent": (
                        (amount / target * 100).quantize(Decimal("0.1")) if target else None
                    ),
                }
            )
    return {"period": period, **rows}


def _visible(staff: Staff, model, ids: list[int]) -> dict[int, str]:
    query = model.select().where(model.id << ids)
    if staff.data_scope != "all" and model is Branch:
        query = query.where(Branch.id == staff.branch_id)
    if staff.data_scope != "all" and model is Staff:
        query = (
            query.where(Staff.branch == staff.branch_id)
            if staff.data_scope == "branch"
            else query.where(Staff.id == staff.id)
        )
    return {row.id: getattr(row, "name", "") or getattr(row, "username", "") for row in query}
