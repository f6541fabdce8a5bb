"""Writes notification intents in the same transaction as the order event they report (invariant 4)."""

from __future__ import annotations

import json
import logging

from app.core import orders
from app.core.models import Order, OrderEvent
from app.core.rules import STATUS_LABELS
from app.db import db
from app.notify.models import Notification
from app.timeutil import to_local

log = logging.getLogger(__name__)

# Who hears of each action: customer service of new orders, the dealer of everything after.
AUDIENCES = {
    "submit": ("customer_service",),
    "approve": ("dealer",),
    "reject": ("dealer",),
    "ship_part": ("dealer",),
    "ship_all": ("dealer",),
    "cancel": ("dealer",),
}


def payload(order: Order, event: OrderEvent) -> dict:
    return {
        "order_id": order.id,
        "order_number": order.number,
        "customer_id": order.customer_id,
        "status": event.to_status,
        "status_label": STATUS_LABELS.get(event.to_status, event.to_status),
        "total": str(order.total),
        "note": event.note,
        "at": to_local(event.created_at).strftime("%Y-%m-%d %H:%M"),
    }


def record(order: Order, event: OrderEvent) -> None:
    for audience in AUDIENCES.get(event.action, ()):
        notification = Notification.create(
            order=order.id,
            event=event.id,
            audience=audience,
            kind=event.action,
            payload=json.dumps(payload(order, event), ensure_ascii=False),
            dedup_key=f"event:{event.id}:{audience}",
        )
        if _settings["enqueue"]:
            # Queued only once the transaction commits: a rolled-back event sends nothing.
            db.after_commit(lambda nid=notification.id: _enqueue(nid))


def _enqueue(notification_id: int) -> None:
    from app.tasks import deliver_notification

    try:
        deliver_notification(notification_id)
    except Exception:  # the periodic sweep delivers it anyway; never fail the order for this
        log.exception("could not queue notification %s", notification_id)


_settings = {"enqueue": False}


def install(enqueue: bool) -> None:
    """Hook the outbox into core's status changes (called by create_app)."""
    _settings["enqueue"] = enqueue
    if record not in orders.event_listeners:
        orders.event_listeners.append(record)
