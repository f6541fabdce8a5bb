"""Read-side queries shared by the admin API, the console and its Excel exports; all scoped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from peewee import JOIN, fn, prefetch

from app.auth.permissions import ROLE_LABELS
from app.auth.scopes import PERMISSIONS, branch_in_scope, scoped
from app.auth.scopes import warehouses_in_scope as warehouses_in_scope  # its callers' import
from app.core import receivables
from app.core.models import Customer, Order, OrderLine, Product, Staff
from app.core.rules import OrderStatus
from app.db import matching, utcnow, where_given, within_local_days
from app.money import money, money_from_fen
from app.replica import reports_database
from app.timeutil import BUSINESS_TZ, local_today, start_of_local_day_utc

# Orders that count as sales on the dashboard: approved or further along.
SOLD = (
    OrderStatus.APPROVED.value,
    OrderStatus.PARTIALLY_SHIPPED.value,
    OrderStatus.SHIPPED.value,
    OrderStatus.COMPLETED.value,
)


def orders_query(staff: Staff, filters: dict):
    """Orders (with their customer) in the caller's scope matching status / branch / customer /
    words (order number, customer, product) / local date range, newest first."""
    query = scoped(Order.select(Order, Customer).join(Customer), staff)
    query = where_given(
        query,
        filters,
        status=Order.status,
        branch_id=Customer.branch,
        customer_id=Order.customer,
    )
    if filters.get("q"):
        query = query.where(_matching(filters["q"]))
    query = within_local_days(
        query, Order.created_at, filters.get("date_from"), filters.get("date_to")
    )
    return query.order_by(Order.created_at.desc(), Order.id.desc())


def lines_of_orders(order_ids: list[int]):
    """The lines (with their order and product) of these orders, newest order first."""
    return (
        OrderLine.select(OrderLine, Order, Product)
        .join(Order)
        .switch(OrderLine)
        .join(Product)
        .where(OrderLine.order << order_ids)
        .order_by(Order.created_at.desc(), OrderLine.id)
    )


def _matching(q: str):
    """An order whose number, customer (name or code) or one of whose products (name or SKU)
    contains the words searched for."""
    products = (
        OrderLine.select(OrderLine.id)
        .join(Product)
        .where((OrderLine.order == Order.id) & (Product.name.contains(q) | Product.sku.contains(q)))
    )
    return (
        Order.number.contains(q)
        | Customer.name.contains(q)
        | Customer.code.contains(q)
        | fn.EXISTS(products)
    )


@reports_database()
def aging_for(staff: Staff, as_of: dt.date | None, branch_id: int | None) -> dict:
    """AR aging as the caller may see it: branch staff their branch, reps their customers."""
    as_of = as_of or local_today()
    branch_id = branch_in_scope(staff, branch_id)
    own = None
    if staff.data_scope == "own":
        own = [c.id for c in Customer.select(Customer.id).where(Customer.rep == staff.id)]
    rows = receivables.ar_aging(as_of, branch_id=branch_id, customer_ids=own)
    return {"as_of": as_of, "items": rows, "totals": receivables.aging_totals(rows)}


def dashboard(staff: Staff, days: int = 14, today: dt.date | None = None) -> dict:
    """Figures for the console's front page, all within the caller's data scope."""
    today = today or local_today()
    first = today - dt.timedelta(days=days - 1)
    since = start_of_local_day_utc(first)

    per_day = {first + dt.timedelta(days=i): [0, Decimal("0.00")] for i in range(days)}
    placed = scoped(
        Order.select(Order.created_at, Order.total)
        .join(Customer)
        .where((Order.created_at >= since) & (Order.status != OrderStatus.CANCELLED.value)),
        staff,
    )
    for o in placed:
        day = o.created_at.replace(tzinfo=dt.UTC).astimezone(BUSINESS_TZ).date()
        if day in per_day:
            per_day[day][0] += 1
            per_day[day][1] += o.total

    amount = fn.SUM(OrderLine.amount)
    top = scoped(
        OrderLine.select(Product.name, fn.SUM(OrderLine.qty).alias("qty"), amount.alias("amount"))
        .join(Order)
        .join(Customer)
        .switch(OrderLine)
        .join(Product)
        .where((Order.created_at >= since) & (Order.status << SOLD))
        .group_by(Product.id, Product.name)
        .order_by(amount.desc())
        .limit(10),
        staff,
    )

    now = utcnow()
    waiting = scoped(
        Order.select(Order.created_at)
        .join(Customer)
        .where(Order.status == OrderStatus.PENDING_REVIEW.value),
        staff,
    )
    age_buckets = {"1小时内": 0, "1-4小时": 0, "4-24小时": 0, "超过1天": 0}
    oldest_hours = 0.0
    for o in waiting:
        hours = (now - o.created_at).total_seconds() / 3600
        oldest_hours = max(oldest_hours, hours)
        key = (
            "1小时内"
            if hours < 1
            else "1-4小时"
            if hours < 4
            else "4-24小时"
            if hours < 24
            else "超过1天"
        )
        age_buckets[key] += 1

    undeliverable = None
    if staff.role in PERMISSIONS["notifications.view"]:
        undeliverable = notifications_query(staff, {"status": "undeliverable"}).count()
    aging = None
    if staff.role in PERMISSIONS["reports.ar"]:
        aging = aging_for(staff, today, None)["totals"]
    return {
        "days": [d.isoformat() for d in per_day],
        "orders_per_day": [v[0] for v in per_day.values()],
        "amount_per_day": [str(money(v[1])) for v in per_day.values()],
        "top_products": [
            {"name": r.product.name, "qty": r.qty, "amount": str(money_from_fen(r.amount))}
            for r in top
        ],
        "waiting_count": sum(age_buckets.values()),
        # Pairs, not an object: a JSON object's keys come back sorted ("1-4小时" before "1小时内").
        "waiting_ages": list(age_buckets.items()),
        "oldest_waiting_hours": round(oldest_hours, 1),
        "aging": {k: str(v) for k, v in aging.items()} if aging is not None else None,
        "undeliverable": undeliverable,
    }


def customers_query(
    staff: Staff, q: str | None = None, branch_id: int | None = None, active: bool | None = None
):
    query = scoped(
        Customer.select(Customer, Staff).join(
            Staff, JOIN.LEFT_OUTER, on=(Customer.rep == Staff.id)
        ),
        staff,
    )
    query = matching(query, q, Customer.name, Customer.code)
    if branch_id:
        query = query.where(Customer.branch == branch_id)
    if active is not None:
        query = query.where(Customer.active == active)
    return query.order_by(Customer.code)


def reps_in_scope(staff: Staff):
    """Reps whose field work a staff member may see: their branch's, all, or only themselves."""
    query = Staff.select().where(Staff.role == "rep")
    if staff.data_scope == "branch":
        query = query.where(Staff.branch == staff.branch_id)
    elif staff.data_scope == "own":
        query = query.where(Staff.id == staff.id)
    return query.order_by(Staff.id)


def notifications_query(staff: Staff, filters: dict):
    """Notifications whose order is in the caller's scope, newest first; by status and order."""
    from app.notify.models import Notification

    query = scoped(Notification.select(Notification, Order).join(Order).join(Customer), staff)
    query = where_given(query, filters, status=Notification.status, order_id=Notification.order)
    return query.order_by(Notification.id.desc())


def reports_query(staff: Staff, customer_id: int | None = None):
    """Stock/sales reports of customers in the caller's scope, latest first."""
    from app.field.models import StockSalesReport

    query = scoped(StockSalesReport.select(StockSalesReport, Customer).join(Customer), staff)
    if customer_id:
        query = query.where(StockSalesReport.customer == customer_id)
    return query.order_by(StockSalesReport.period_end.desc(), StockSalesReport.id.desc())


def with_lines(reports) -> list:
    """Stock/sales reports with their lines and each line's product, in two more queries."""
    from app.field.models import StockSalesLine

    return prefetch(reports, StockSalesLine.select(StockSalesLine, Product).join(Product))


def with_role(staff: Staff) -> str:
    """ "客服 林晓": the role, then the name (unless the name already starts with it)."""
    role, name = ROLE_LABELS.get(staff.role, "员工"), staff.name or staff.username
    return name if name.startswith(role) else f"{role} {name}"


def actor_names(actors: Iterable[str]) -> dict[str, str]:
    """Who did something, as staff read it, for the actor strings events and orders keep
    ("wechat:3", "rep:8", "staff:2", "apikey:1"): the dealer and their WeChat user, the rep or
    staff member by role and name, the API key by its name; anything else is the system."""
    from app.integrations.models import ApiKey
    from app.mall.models import WechatUser

    ids: dict[str, set[int]] = {"wechat": set(), "rep": set(), "staff": set(), "apikey": set()}
    for who in actors:
        kind, _, number = (who or "").partition(":")
        if kind in ids and number.isdigit():
            ids[kind].add(int(number))
    people = {
        s.id: with_role(s)
        for s in Staff.select().where(Staff.id << list(ids["rep"] | ids["staff"]))
    }
    names = {f"staff:{i}": people[i] for i in ids["staff"] if i in people}
    names |= {f"rep:{i}": people[i] for i in ids["rep"] if i in people}
    for user in (
        WechatUser.select(WechatUser, Customer)
        .join(Customer, JOIN.LEFT_OUTER)
        .where(WechatUser.id << list(ids["wechat"]))
    ):
        nickname = f"（{user.nickname}）" if user.nickname else ""
        if user.customer_id is not None:
            names[f"wechat:{user.id}"] = f"经销商 {user.customer.name} 的微信用户{nickname}"
        else:
            names[f"wechat:{user.id}"] = f"微信用户{nickname}"
    for key in ApiKey.select().where(ApiKey.id << list(ids["apikey"])):
        names[f"apikey:{key.id}"] = f"接口密钥“{key.name}”"
    return {who: names.get(who, "系统") for who in actors}
