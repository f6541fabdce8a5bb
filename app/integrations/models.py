"""Webhook endpoints and their deliveries (an outbox written with each event), and API keys."""

from __future__ import annotations

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from app.core.models import Branch, Staff
from app.db import BaseModel, utcnow
from app.outbox import OutboxRow


class WebhookEndpoint(BaseModel):
    url = CharField(max_length=500)
    events = TextField()  # JSON list of event types
    secret = CharField(max_length=64)  # signs every delivery; shown once, when created
    active = BooleanField(default=True)
    created_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)


class WebhookDelivery(OutboxRow):
    """One event for one endpoint: the same id on every retry; delivered in order per order."""

    endpoint = ForeignKeyField(WebhookEndpoint, backref="deliveries", on_delete="CASCADE")
    delivery_id = CharField(max_length=36, unique=True)
    event_type = CharField(max_length=32)
    sequence_key = CharField(max_length=64, index=True)  # e.g. "order:12": delivered in order
    payload = TextField()  # the exact JSON body sent (signed as is)
    status = CharField(max_length=16, default="pending", index=True)  # pending | delivered | dead
    last_status = IntegerField(null=True)  # the receiver's HTTP status
    duration_ms = IntegerField(null=True)
    delivered_at = DateTimeField(null=True)


class ApiKey(BaseModel):
    """A key for a system (an ERP connector): scopes and a data scope; only its hash is kept."""

    name = CharField(max_length=100)
    prefix = CharField(max_length=16, unique=True)  # shown in lists, used to find the key
    key_hash = CharField(max_length=64)
    scopes = TextField()  # JSON list
    data_scope = CharField(max_length=16, default="all")
    branch = ForeignKeyField(Branch, null=True, on_delete="RESTRICT")
    created_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    # The maker's token version when made: a key ends with its maker's sessions and tokens.
    creator_version = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)


MODELS = [WebhookEndpoint, WebhookDelivery, ApiKey]
