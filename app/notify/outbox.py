"""Writes notification intents in the same transaction as the order event they report
(invariant 4), and the in-app inbox row of every notification meant for a dealer or a rep."""

from __future__ import annotations

import json
import logging

from app.core import orders
from app.core.models import Customer, Order, OrderEvent, Shipment
from app.core.returns import RETURN_ACTIONS
from app.core.rules import STATUS_LABELS
from app.db import db, insert_rows
from app.handoff import Handoff
from app.notify.models import InboxMessage, Notification
from app.notify.templates import describe
from app.timeutil import to_local

log = logging.getLogger(__name__)

# Who hears of each action: customer service of new orders; the dealer of everything after; the
# warehouse of orders to ship. Orders a rep placed also reach that rep.
AUDIENCES = {
    "submit": ("customer_service",),
    "approve": ("dealer", "warehouse"),
    "reject": ("dealer",),
    "ship_part": ("dealer",),
    "ship_all": ("dealer",),
    "cancel": ("dealer",),
    "return_request": ("customer_service",),
    "return_approve": ("dealer", "warehouse"),
    "return_reject": ("dealer",),
    "return_receive": ("dealer",),
}
REP_HEARS = {"approve", "reject", "ship_part", "ship_all", "cancel"}


def payload(order: Order, event: OrderEvent) -> dict:
    customer = order.customer if isinstance(order.customer, Customer) else None
    data = {
        "order_id": order.id,
        "order_number": order.number,
        "customer_id": order.customer_id,
        "customer_name": customer.name if customer else Customer.get_by_id(order.customer_id).name,
        "status": event.to_status,
        # A return's events leave the order's status alone: their label says what happened.
        "status_label": RETURN_ACTIONS.get(event.action)
        or STATUS_LABELS.get(event.to_status, event.to_status),
        "total": str(order.total),
        "note": event.note,
        "at": to_local(event.created_at).strftime("%Y-%m-%d %H:%M"),
    }
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
    notification = Notification(
        order=order.id,
        event=event.id,
        audience=audience,
        kind=kind,
        payload=json.dumps(data, ensure_ascii=False),
        dedup_key=key,
    )
    (notification.id,) = insert_rows(Notification, [notification.__data__], returning=True)
    inbox_owner = {"dealer": {"customer": order.customer_id}, "rep": {"staff": data.get("rep_id")}}
    if audience in inbox_owner:
        words = describe(kind, audience, data)
        InboxMessage.create(
            **inbox_owner[audience],
            notification=notification.id,
            order=order.id,
            kind=kind,
            title=words["title"],
            body=f"订单 {order.number}：{words['detail']}"[:500],
        )
    if _settings["enqueue"]:
        # Queued only once the transaction commits: a rolled-back event sends nothing.
        db.after_commit(lambda nid=notification.id: _enqueue(nid))


def record(order: Order, event: OrderEvent) -> None:
    audiences = list(AUDIENCES.get(event.action, ()))
    rep_id = _rep_of(order)
    if rep_id is not None and event.action in REP_HEARS:
        audiences.append("rep")
    if not audiences:
        return
    data = payload(order, event)
    if rep_id is not None:
        data["rep_id"] = rep_id
    for audience in audiences:
        _write(order, event, event.action, audience, data, f"event:{event.id}:{audience}")


def record_step(order: Order, role: str, seq: int) -> None:
    """An approval step now waits for `role`: the staff in that role hear of it."""
    event = (
        OrderEvent.select().where(OrderEvent.order == order.id).order_by(OrderEvent.id.desc()).get()
    )
    data = {**payload(order, event), "role": role}
    _write(order, event, "approval_step", "approver", data, f"step:{order.id}:{seq}:{role}")


def _send(notification_ids: list[int]) -> None:
    from app.tasks import deliver_notification_batch

    deliver_notification_batch(notification_ids)


# Queued after commit off the request's path, many per Redis round trip (app/handoff.py).
handoff = Handoff("notifications", _send)


def _enqueue(notification_id: int) -> None:
    handoff.put(notification_id)


_settings = {"enqueue": False}


def install(enqueue: bool) -> None:
    """Hook the outbox into core's status changes and the review's approval steps."""
    from app.mall import review

    _settings["enqueue"] = enqueue
    if record not in orders.event_listeners:
        orders.event_listeners.append(record)
    if record_step not in review.step_listeners:
        review.step_listeners.append(record_step)
