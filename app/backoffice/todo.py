"""What waits for one staff member (待我处理): every kind of document that waits for their role —
orders and returns to review, sign, ship or receive, shop orders to ship, transfers to receive,
stock documents and refunds to sign, invoices to issue, refunds WeChat Pay could not pay out —
only kinds their role may act on, each inside their data scope. The console's bar and the
phone's staff page both show it.

Every kind is one entry of KINDS: the permissions it needs, the query that finds what waits (the
same scoped query the kind's own page lists from) and how one of them reads. A new kind is one
query, one describer and one line there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce

from peewee import SQL, Select, fn

from app.approval import services as approvals
from app.auth.permissions import may
from app.auth.scopes import scoped, warehouses_in_scope
from app.core.models import Customer, Order, ReturnRequest, Staff, Warehouse
from app.core.rules import OrderStatus
from app.db import db
from app.inventory import queries as stock_documents
from app.inventory.models import StockReceipt, Transfer
from app.inventory.rules import RECEIVABLE_TRANSFERS, TRANSFER_LABELS
from app.payments import invoices, refunds
from app.payments.models import Invoice, Refund
from app.shops import orders as shop_orders
from app.shops.models import ShopOrder
from app.shops.rules import STATUS_LABELS as SHOP_STATUS_LABELS

TO_SHIP = (OrderStatus.APPROVED.value, OrderStatus.PARTIALLY_SHIPPED.value)
TO_RECEIVE = ("approved", "partially_received")
# Shop orders the warehouse still has to send: a waybill to take, or goods to ship on one.
SHOP_TO_SHIP = ("pending", "waybilled")


@dataclass(frozen=True)
class Item:
    """One thing waiting, as every kind reads: which document (order, return, shop_order,
    transfer, stock_receipt, refund, invoice) and its id, its number, whose it is (a customer,
    a shop, the warehouses), its amount (None: none to show), when it began and a short note."""

    document: str
    id: int
    number: str
    party: str
    amount: Decimal | None
    at: dt.datetime | None
    note: str = ""
    status: str = ""


@dataclass(frozen=True)
class Todo:
    kind: str
    label: str
    count: int
    items: list[Item]  # the oldest first


@dataclass(frozen=True)
class Kind:
    """A kind of work: who may act on it (every permission named), what waits in the caller's
    scope, when each began, and how a row reads."""

    kind: str
    label: str
    permissions: tuple[str, ...]
    waiting: Callable[[Staff], object]
    since: object  # the column "oldest" is read from
    describe: Callable[[list], list[Item]]
    # Customer service reviews what the others sign: the label it sees ("待审核…").
    review_label: str = ""

    def label_for(self, role: str) -> str:
        return self.review_label if self.review_label and role == "customer_service" else self.label


# --- what waits, in the caller's scope ---------------------------------------------------------


def _orders(staff: Staff):
    return scoped(Order.select(Order, Customer).join(Customer), staff)


def _returns(staff: Staff):
    return scoped(
        ReturnRequest.select(ReturnRequest, Customer, Order)
        .join(Customer)
        .switch(ReturnRequest)
        .join(Order),
        staff,
    )


def orders_to_sign(staff: Staff):
    waiting = (Order.status == OrderStatus.PENDING_REVIEW.value) & approvals.awaiting(
        "order", Order.id, staff.role
    )
    return _orders(staff).where(waiting)


def returns_to_sign(staff: Staff):
    waiting = (ReturnRequest.status == "pending") & approvals.awaiting(
        "return", ReturnRequest.id, staff.role
    )
    return _returns(staff).where(waiting)


def refunds_to_sign(staff: Staff):
    waiting = approvals.awaiting("refund", Refund.id, staff.role)
    return refunds.refunds_query(staff, "pending_approval").where(waiting)


def orders_to_ship(staff: Staff):
    return _orders(staff).where(Order.status << TO_SHIP)


def returns_to_receive(staff: Staff):
    return _returns(staff).where(ReturnRequest.status << TO_RECEIVE)


def shop_orders_to_ship(staff: Staff):
    return shop_orders.orders_query(staff).where(ShopOrder.status << SHOP_TO_SHIP)


def transfers_to_receive(staff: Staff):
    """In transit to a warehouse of the caller's: only the receiving end receives."""
    return stock_documents.transfers_query(staff, {}).where(
        (Transfer.status << RECEIVABLE_TRANSFERS)
        & (Transfer.to_warehouse << warehouses_in_scope(staff))
    )


def transfers_to_sign(staff: Staff):
    return stock_documents.transfers_query(staff, {"mine": True})


def receipts_to_sign(staff: Staff):
    return stock_documents.receipts_query(staff, {"mine": True})


def invoices_to_issue(staff: Staff):
    return invoices.invoices_query(staff, "requested")


def refunds_abnormal(staff: Staff):
    return refunds.refunds_query(staff, "abnormal")


# --- how each reads ----------------------------------------------------------------------------


def _warehouse_names(ids) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    query = Warehouse.select(Warehouse.id, Warehouse.name).where(Warehouse.id << ids)
    return dict(query.tuples())


def _orders_read(rows) -> list[Item]:
    return [
        Item("order", o.id, o.number, o.customer.name, o.total, o.created_at, status=o.status)
        for o in rows
    ]


def _returns_read(rows) -> list[Item]:
    return [
        Item(
            "return",
            r.id,
            r.number,
            r.customer.name,
            r.amount,
            r.created_at,
            f"订单 {r.order.number}",
            r.status,
        )
        for r in rows
    ]


def _refunds_read(rows) -> list[Item]:
    return [
        Item(
            "refund",
            r.id,
            r.out_refund_no,
            r.customer.name,
            r.amount,
            r.created_at,
            r.error if r.status == "abnormal" and r.error else r.reason,
            r.status,
        )
        for r in rows
    ]


def _shop_orders_read(rows) -> list[Item]:
    return [
        Item(
            "shop_order",
            o.id,
            o.number,
            o.shop.name,
            o.total,
            o.created_at,
            SHOP_STATUS_LABELS.get(o.status, o.status),
            o.status,
        )
        for o in rows
    ]


def _transfers_read(rows) -> list[Item]:
    names = _warehouse_names(
        [t.from_warehouse_id for t in rows] + [t.to_warehouse_id for t in rows]
    )
    return [
        Item(
            "transfer",
            t.id,
            t.number,
            f"{names.get(t.from_warehouse_id, '')} → {names.get(t.to_warehouse_id, '')}",
            None,
            t.sent_at or t.created_at,
            TRANSFER_LABELS.get(t.status, t.status),
            t.status,
        )
        for t in rows
    ]


def _receipts_read(rows) -> list[Item]:
    names = _warehouse_names(r.warehouse_id for r in rows)
    return [
        Item(
            "stock_receipt",
            r.id,
            r.number,
            names.get(r.warehouse_id, ""),
            r.total_cost,
            r.created_at,
            r.supplier,
            r.status,
        )
        for r in rows
    ]


def _invoices_read(rows) -> list[Item]:
    return [
        Item("invoice", i.id, i.number, i.customer.name, i.amount, i.created_at, i.title, i.status)
        for i in rows
    ]


# Every kind, in the order the page shows them. Signing a document needs the permission to sign
# and to see it (its page); the approval engine says whose signature is next.
KINDS: tuple[Kind, ...] = (
    Kind(
        "review",
        "待审批订单",
        ("orders.approve",),
        orders_to_sign,
        Order.created_at,
        _orders_read,
        review_label="待审核订单",
    ),
    Kind(
        "return_review",
        "待审核退货",
        ("orders.approve",),
        returns_to_sign,
        ReturnRequest.created_at,
        _returns_read,
    ),
    Kind(
        "refund_review",
        "待审批退款",
        ("orders.approve", "payments.view"),
        refunds_to_sign,
        Refund.created_at,
        _refunds_read,
        review_label="待审核退款",
    ),
    Kind(
        "ship",
        "待发货订单",
        ("orders.ship",),
        orders_to_ship,
        Order.created_at,
        _orders_read,
    ),
    Kind(
        "return_receive",
        "待入库退货",
        ("orders.ship",),
        returns_to_receive,
        ReturnRequest.created_at,
        _returns_read,
    ),
    Kind(
        "shop_ship",
        "待发货网店订单",
        ("shops.work",),
        shop_orders_to_ship,
        ShopOrder.created_at,
        _shop_orders_read,
    ),
    Kind(
        "transfer_receive",
        "待收货调拨单",
        ("stock.manage",),
        transfers_to_receive,
        Transfer.sent_at,
        _transfers_read,
    ),
    Kind(
        "transfer_sign",
        "待审批调拨单",
        ("stock.view",),
        transfers_to_sign,
        Transfer.created_at,
        _transfers_read,
    ),
    Kind(
        "receipt_sign",
        "待审批入库单",
        ("stock.view",),
        receipts_to_sign,
        StockReceipt.created_at,
        _receipts_read,
    ),
    Kind(
        "invoice_issue",
        "待开票申请",
        ("invoices.issue",),
        invoices_to_issue,
        Invoice.created_at,
        _invoices_read,
    ),
    Kind(
        "refund_abnormal",
        "退款异常",
        ("payments.refund",),
        refunds_abnormal,
        Refund.updated_at,
        _refunds_read,
    ),
)


def kinds_for(staff: Staff) -> list[Kind]:
    """The kinds of work this staff member's role may act on."""
    return [k for k in KINDS if all(may(staff.role, p) for p in k.permissions)]


def todos(staff: Staff, limit: int = 20) -> list[Todo]:
    """Each kind of work the role does, with how many and the oldest `limit` of them."""
    result = []
    for kind in kinds_for(staff):
        query = kind.waiting(staff)
        oldest = query.order_by(kind.since, query.model.id).limit(limit)
        items = kind.describe(list(oldest))
        result.append(Todo(kind.kind, kind.label_for(staff.role), query.count(), items))
    return result


def todo_count(staff: Staff) -> int:
    """How many things wait for this staff member, all kinds together: one statement (the bar
    of every console page asks), each kind's count a row of a UNION ALL."""
    counts = [
        Select([query.order_by().alias(f"waiting_{i}")], [fn.COUNT(SQL("1"))])
        for i, query in enumerate(kind.waiting(staff) for kind in kinds_for(staff))
    ]
    if not counts:
        return 0
    together = reduce(lambda a, b: a.union_all(b), counts)
    return sum(n for (n,) in db.execute(together).fetchall())
