"""Schemas of the integrations' records that the staff read: a webhook's deliveries."""

from __future__ import annotations

from marshmallow import fields

from app.integrations.models import WebhookDelivery
from app.outbox import PENDING
from app.validation import OnlyWhile, columns


class WebhookDeliveryOut(
    columns(
        WebhookDelivery,
        "id",
        "delivery_id",
        "status",
        "attempts",
        "duration_ms",
        "last_error",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    )
):
    """One event sent to one endpoint, under the same id on every retry: the receiver's last
    HTTP status (`response_code`, null before any answer) and how long it took."""

    event_type = fields.String(data_key="type")
    next_attempt_at = OnlyWhile(PENDING)  # null once delivered or dead
    response_code = fields.Integer(attribute="last_status", allow_none=True)
