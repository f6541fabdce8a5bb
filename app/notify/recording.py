"""Writes notification intents in the same transaction as the order event they report
(invariant 4), and the in-app inbox row of every notification meant for a dealer or a rep.

The handlers here run on domain events (app.bootstrap.HANDLERS); what they write goes out through
the outbox engine's notification sink (app/notify/delivery.py)."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

from app import outbox
from app.core.models import Customer, Order, OrderEvent, ReturnRequest, Shipment, Staff
from app.core.receivables import paid_waiting
from app.core.returns import RETURN_ACTIONS
from app.core.rules import STATUS_LABELS, rep_title
from app.db import insert_rows
from app.events import ApprovalAwaited, OrderChanged
from app.notify.delivery import NOTIFICATIONS
from app.notify.models import InboxMessage, Notification
from app.notify.templates import describe
from app.timeutil import to_local

log = logging.getLogger(__name__)

# Who hears of each action: customer service of new orders; the dealer of everything after; the
# warehouse of orders to ship. Orders a rep placed also reach that rep.
AUDIENCES = {
    "submit": ("customer_service",),
    "adjust": ("dealer",),
    "approve": ("dealer", "warehouse"),
    "reject": ("dealer",),
    "ship_part": ("dealer",),
    "ship_all": ("dealer",),
    "cancel": ("dealer",),
    "return_request": ("customer_service",),
    "return_approve": ("dealer", "warehouse"),
    "return_reject": ("dealer",),
    "return_receive": ("dealer",),
    "pay": ("dealer",),
    "refund": ("dealer",),
}
# What a timeline entry that leaves the order's status alone says happened.
TIMELINE_LABELS = {**RETURN_ACTIONS, "pay": "已付款", "refund": "已退款"}
REP_HEARS = {"adjust", "approve", "reject", "ship_part", "ship_all", "cancel"}
# An order staff placed for a dealer (代下单) in the console, or a rep on a visit: the dealer
# hears of it as soon as it is placed.
PLACED_FOR_DEALER = ("staff", "rep")


def payload(order: Order, event: OrderEvent, amount: Decimal | None = None) -> dict:
    """What a notification records of its event; `amount` is the money it is about when that
    is not the order's total (a return's value)."""
    customer = order.customer if isinstance(order.customer, Customer) else None
    data = {
        "order_id": order.id,
        "order_number": order.number,
        "customer_id": order.customer_id,
        "customer_name": customer.name if customer else Customer.get_by_id(order.customer_id).name,
        "status": event.to_status,
        # A return's events leave the order's status alone: their label says what happened.
        "status_label": TIMELINE_LABELS.get(event.action)
        or {"adjust": "已调整"}.get(event.action)
        or STATUS_LABELS.get(event.to_status, event.to_status),
        "total": str(order.total),
        "amount": str(order.total if amount is None else amount),
        "note": event.note,
        "at": to_local(event.created_at).strftime("%Y-%m-%d %H:%M"),
    }
    if event.action in ("cancel", "reject"):
        # Written as the order stops, before free_order_receipts moves the money it held on.
        data["prepaid"] = str(paid_waiting(order.id))
    if event.action in ("ship_part", "ship_all"):
        shipment = (
            Shipment.select().where(Shipment.order == order.id).order_by(Shipment.id.desc()).first()
        )
        data["carrier"], data["tracking_no"] = shipment.carrier, shipment.tracking_no
    return data


def _rep_of(order: Order) -> int | None:
    if order.source == "rep" and str(order.placed_by).startswith("rep:"):
        return int(order.placed_by.removeprefix("rep:"))
    return None


def _write(order: Order, event: OrderEvent, kind: str, audience: str, data: dict, key: str):
    row = {
        "order": order.id,
        "event": event.id,
        "audience": audience,
        "kind": kind,
        "payload": json.dumps(data, ensure_ascii=False),
        "dedup_key": key,
    }  # the other fields take their defaults in insert_rows
    inbox_owner = {"dealer": {"customer": order.customer_id}, "rep": {"staff": data.get("rep_id")}}
    if audience not in inbox_owner:
        # Nothing reads the row back: it may go with the COMMIT, handed over by its key.
        insert_rows(Notification, [row], with_commit=True)
        outbox.written(NOTIFICATIONS, key)
        return
    (notification_id,) = insert_rows(Notification, [row], returning=True)
    words = describe(kind, audience, data)
    InboxMessage.create(
        **inbox_owner[audience],
        notification=notification_id,
        order=order.id,
        kind=kind,
        title=words["title"],
        body=f"订单 {order.number}：{words['detail']}"[:500],
    )
    outbox.written(NOTIFICATIONS, notification_id)


def order_changed(change: OrderChanged) -> None:
    """Whoever hears of this action (AUDIENCES; the dealer also of an order staff placed for
    them) gets a notification, dealers and reps also an inbox message."""
    order, event = change.order, change.event
    audiences = list(AUDIENCES.get(event.action, ()))
    if event.action == "submit" and order.source in PLACED_FOR_DEALER:
        audiences.append("dealer")
    rep_id = _rep_of(order)
    if rep_id is not None and event.action in REP_HEARS:
        audiences.append("rep")
    if not audiences:
        return
    data = payload(order, event, change.amount)
    if rep_id is not None:
        data["rep_id"] = rep_id
        if event.action == "submit":  # the dealer is told which rep ordered for them
            rep = Staff.get_or_none(Staff.id == rep_id)
            data["placed_by_name"] = rep_title(rep.name or rep.username) if rep else "业务员"
    for audience in audiences:
        _write(order, event, event.action, audience, data, f"event:{event.id}:{audience}")


def approval_awaited(awaited: ApprovalAwaited) -> None:
    """A document now waits for a role's signature: the staff in that role hear of it.

    Staff messages link to an order's H5 page; a stock document (a transfer, a receipt) has no
    order and no phone page, so its approvers find it in the console's lists (待我审批) instead;
    a refund's approvers hear of it from its own handler (app/notify/money.py)."""
    order = awaited.order
    if order is None:
        return
    event = (
        OrderEvent.select().where(OrderEvent.order == order.id).order_by(OrderEvent.id.desc()).get()
    )
    asked_back = None
    if awaited.document == "return":  # the approver weighs the return's value, not the order's
        asked_back = ReturnRequest.get_by_id(awaited.document_id).amount
    data = {
        **payload(order, event, asked_back),
        "role": awaited.role,
        "document": awaited.document,
    }
    key = f"step:{awaited.document}:{awaited.document_id}:{awaited.seq}:{awaited.role}"
    _write(order, event, "approval_step", "approver", data, key)
