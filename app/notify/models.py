"""The outbox: one row per notification intent, written in the transaction of the event it reports."""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from app.core.models import Order, OrderEvent
from app.db import BaseModel, utcnow


class Notification(BaseModel):
    order = ForeignKeyField(Order, on_delete="CASCADE")
    event = ForeignKeyField(OrderEvent, on_delete="CASCADE")
    audience = CharField(max_length=24)  # dealer | customer_service
    kind = CharField(max_length=32)  # the event's action: submit, approve, reject, ship_part, ...
    payload = TextField()  # JSON: what the message says
    dedup_key = CharField(max_length=100, unique=True)
    status = CharField(max_length=16, default="pending", index=True)  # pending | sent | dead
    channel = CharField(max_length=16, default="")  # the channel that finally delivered it
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow, index=True)
    last_error = CharField(max_length=500, default="")
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)


MODELS = [Notification]
