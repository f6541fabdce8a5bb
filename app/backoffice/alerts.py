"""Alerts (预警): what needs a staff member's attention when they sign in — on the console's home,
the staff phone home and GET /alerts — each kind within the caller's role and data scope.

Every kind is one entry of SOURCES: the permission it needs and the query that finds it. A new
kind (another issue's) is one function and one line there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from peewee import Value, fn

from app.auth.scopes import PERMISSIONS, scoped, warehouses_in_scope
from app.core.models import Customer, HoldMovement, Order, Product, Receivable, Stock, Warehouse
from app.core.rules import OrderStatus
from app.db import fen, utcnow
from app.money import money_from_fen, written
from app.shops.models import Shop

CREDIT_NEAR_PCT = 90  # credit_near_limit: this share of the limit used, or more
OVERDUE_DAYS = 60  # overdue: receivables open longer than this
STUCK_DAYS = 3  # stuck_order: approved and not shipped for this long
LIMIT = 100  # alerts of one kind, at most (the most pressing first)


@dataclass(frozen=True)
class Alert:
    kind: str
    title: str  # in words, for the person reading it
    ref: str  # what it is about: an order or document number, a customer code, warehouse/SKU
    since: dt.datetime | None  # when it began (UTC), when known
    details: dict = field(default_factory=dict)


def low_stock(staff, now: dt.datetime) -> Iterable[Alert]:
    """Available under the product's safety stock, per warehouse (products with one set)."""
    available = Stock.on_hand - Stock.reserved
    rows = (
        Stock.select(Stock, Product, Warehouse)
        .join(Product)
        .switch(Stock)
        .join(Warehouse)
        .where(
            (Product.safety_stock > 0)
            & Product.active
            & (available < Product.safety_stock)
            & (Stock.warehouse << warehouses_in_scope(staff))
        )
        .order_by(available - Product.safety_stock, Stock.id)
        .limit(LIMIT)
    )
    for row in rows:
        p, w = row.product, row.warehouse
        yield Alert(
            "low_stock",
            f"{p.name}（{p.sku}）在{w.name}可用 {row.available} {p.unit}，"
            f"低于安全库存 {p.safety_stock}",
            f"{w.code}/{p.sku}",
            row.updated_at,
            {
                "warehouse_id": w.id,
                "product_id": p.id,
                "available": row.available,
                "in_transit": row.in_transit,
                "safety_stock": p.safety_stock,
            },
        )


def _raw(number: int) -> Value:
    """A plain number beside money columns (peewee would read it as yuan and convert to fen)."""
    return Value(number, converter=False)


def credit_near_limit(staff, now: dt.datetime) -> Iterable[Alert]:
    """Credit customers who have used 90% of their limit or more (receivable + open orders)."""
    used = Customer.ar_balance + Customer.held
    rows = scoped(
        Customer.select()
        .where(
            (Customer.settlement_method == "credit")
            & Customer.active
            & (Customer.credit_limit > 0)
            & (used * _raw(100) >= Customer.credit_limit * _raw(CREDIT_NEAR_PCT))
        )
        .order_by((used * _raw(1000) / Customer.credit_limit).desc(), Customer.id)
        .limit(LIMIT),
        staff,
    )
    customers = list(rows)
    last_hold = dict(
        HoldMovement.select(HoldMovement.customer, fn.MAX(HoldMovement.created_at))
        .where(HoldMovement.customer << [c.id for c in customers])
        .group_by(HoldMovement.customer)
        .tuples()
    )
    for c in customers:
        spent = c.ar_balance + c.held
        pct = int(spent * 100 / c.credit_limit)
        yield Alert(
            "credit_near_limit",
            f"{c.name} 已用信用额度 {pct}%（{written(spent)} / {written(c.credit_limit)}）",
            c.code,
            last_hold.get(c.id),
            {"customer_id": c.id, "used": str(spent), "credit_limit": str(c.credit_limit)},
        )


def overdue(staff, now: dt.datetime) -> Iterable[Alert]:
    """Customers with receivables open for more than 60 days."""
    cutoff = now - dt.timedelta(days=OVERDUE_DAYS)
    open_amount = fn.SUM(Receivable.open_amount)
    rows = scoped(
        Receivable.select(
            Customer.id,
            Customer.code,
            Customer.name,
            open_amount.alias("amount"),
            fn.MIN(Receivable.posted_at).alias("oldest"),
        )
        .join(Customer)
        .where((Receivable.open_amount > fen(0)) & (Receivable.posted_at < cutoff))
        .group_by(Customer.id, Customer.code, Customer.name)
        .order_by(open_amount.desc(), Customer.id)
        .limit(LIMIT),
        staff,
    )
    for customer_id, code, name, amount, oldest in rows.tuples():
        amount = money_from_fen(amount)
        yield Alert(
            "overdue",
            f"{name} 有 {written(amount)} 应收超过 {OVERDUE_DAYS} 天未收",
            code,
            oldest,
            {"customer_id": customer_id, "amount": str(amount)},
        )


def stuck_orders(staff, now: dt.datetime) -> Iterable[Alert]:
    """Orders approved 3 days ago or more and not shipped at all."""
    cutoff = now - dt.timedelta(days=STUCK_DAYS)
    rows = scoped(
        Order.select(Order, Customer)
        .join(Customer)
        .where((Order.status == OrderStatus.APPROVED.value) & (Order.approved_at <= cutoff))
        .order_by(Order.approved_at, Order.id)
        .limit(LIMIT),
        staff,
    )
    for order in rows:
        days = (now - order.approved_at).days
        yield Alert(
            "stuck_order",
            f"订单 {order.number}（{order.customer.name}）审核通过已 {days} 天未发货",
            order.number,
            order.approved_at,
            {"order_id": order.id, "customer_id": order.customer_id},
        )


def shop_sync_failed(staff, now: dt.datetime) -> Iterable[Alert]:
    """Active shops whose last download failed (the reason in words), in the caller's warehouses."""
    rows = (
        Shop.select()
        .where(
            Shop.active & (Shop.sync_error != "") & (Shop.warehouse << warehouses_in_scope(staff))
        )
        .order_by(Shop.id)
        .limit(LIMIT)
    )
    for shop in rows:
        yield Alert(
            "shop_sync_failed",
            f"网店「{shop.name}」同步订单失败：{shop.sync_error}",
            shop.name,
            shop.sync_failed_at,
            {"shop_id": shop.id},
        )


@dataclass(frozen=True)
class Source:
    permission: str  # who may see alerts of this kind (data scope applies within the query)
    find: Callable[[object, dt.datetime], Iterable[Alert]]


SOURCES: dict[str, Source] = {
    "low_stock": Source("stock.view", low_stock),
    "credit_near_limit": Source("customers.view", credit_near_limit),
    "overdue": Source("reports.ar", overdue),
    "stuck_order": Source("orders.view", stuck_orders),
    "shop_sync_failed": Source("shops.view", shop_sync_failed),
}


def alerts_for(staff, now: dt.datetime | None = None) -> list[Alert]:
    """Every alert the caller's role may see, in their scope, kind by kind (SOURCES' order)."""
    now = now or utcnow()
    found: list[Alert] = []
    for source in SOURCES.values():
        if staff.role in PERMISSIONS[source.permission]:
            found.extend(source.find(staff, now))
    return found
