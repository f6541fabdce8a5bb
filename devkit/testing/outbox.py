"""Outboxes in tests: time passing for a retry schedule without waiting for it."""

from __future__ import annotations

import datetime as dt

from app.db import utcnow


def make_due(model) -> None:
    """Everything pending in an outbox table (`model`: Notification, WebhookDelivery, …) is due
    now, as if its backoff had run out."""
    model.update(next_attempt_at=utcnow() - dt.timedelta(seconds=1)).where(
        model.status == "pending"
    ).execute()
