"""Outboxes in tests: time passing for a retry schedule without waiting for it; a notification
retried from the console."""

from __future__ import annotations

import datetime as dt

from app import outbox
from app.db import utcnow
from app.notify.delivery import NOTIFICATIONS
from app.notify.models import Notification
from devkit.testing.clients import ADMIN


def make_due(model) -> None:
    """Everything pending in an outbox table (`model`: Notification, WebhookDelivery, …) is due
    now, as if its backoff had run out."""
    model.update(next_attempt_at=utcnow() - dt.timedelta(seconds=1)).where(
        model.status == "pending"
    ).execute()


def retry_notification(client, app, headers: dict, notification_id: int) -> None:
    """Staff retry a notification from the console (POST /notifications/{id}/retry, with
    `headers`): it is pending again, and the next delivery sends it."""
    retried = client.post(f"{ADMIN}/notifications/{notification_id}/retry", headers=headers)
    assert retried.get_json()["status"] == "pending"
    with app.app_context():
        outbox.deliver_due(NOTIFICATIONS)
    assert Notification.get_by_id(notification_id).status == "sent"
