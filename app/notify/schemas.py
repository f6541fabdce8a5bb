"""Schemas of the notifications' outbox that the staff read: a notification as it was recorded
and how its delivery went."""

from __future__ import annotations

from app.notify.models import Notification
from app.outbox import PENDING
from app.validation import OnlyWhile, columns


class NotificationOut(
    columns(
        Notification,
        "id",
        "order_id",
        "audience",
        "kind",
        "status",
        "channel",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
    )
):
    """A notification about an order: who it is for, what it says (`kind`), and its delivery
    (status, the channel that delivered it, the attempts and the last error; the next attempt
    while it is pending)."""

    next_attempt_at = OnlyWhile(PENDING)
