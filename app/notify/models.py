"""The outbox: one row per notification intent, written in the transaction of the event it reports."""

from __future__ import annotations

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from app.core.models import Customer, Order, OrderEvent, Staff
from app.db import BaseModel, utcnow
from app.outbox import OutboxRow


class Notification(OutboxRow):
    order = ForeignKeyField(Order, on_delete="CASCADE")
    event = ForeignKeyField(OrderEvent, on_delete="CASCADE")
    audience = CharField(max_length=24)  # dealer | customer_service
    kind = CharField(max_length=32)  # the event's action: submit, approve, reject, ship_part, ...
    payload = TextField()  # JSON: what the message says
    dedup_key = CharField(max_length=100, unique=True)
    # pending | sent | undeliverable (no channel reached anyone) | dead (gave up after retries)
    status = CharField(max_length=16, default="pending", index=True)
    channel = CharField(max_length=16, default="")  # the channel that finally delivered it
    sent_at = DateTimeField(null=True)


class NotificationDelivery(BaseModel):
    """One recipient reached for a notification: a retry skips recipients already reached."""

    notification = ForeignKeyField(Notification, backref="deliveries", on_delete="CASCADE")
    recipient = CharField(max_length=100)  # e.g. "oa:<openid>", "mini:<openid>", "sms:<phone>"
    channel = CharField(max_length=16)
    reference = CharField(max_length=64, default="")  # WeChat msgid or SMS id
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("notification", "recipient"), True),)


class InboundMessage(BaseModel):
    """Official-account callback messages already handled (WeChat retries up to 3 times)."""

    key = CharField(max_length=128, unique=True)
    created_at = DateTimeField(default=utcnow)


class InboxMessage(BaseModel):
    """The in-app inbox: every notification meant for a dealer (their customer's inbox) or a rep,
    written in the transaction of its event, whatever WeChat or SMS later did."""

    customer = ForeignKeyField(Customer, null=True, on_delete="CASCADE")
    staff = ForeignKeyField(Staff, null=True, on_delete="CASCADE")
    notification = ForeignKeyField(Notification, null=True, on_delete="SET NULL")
    order = ForeignKeyField(Order, null=True, on_delete="CASCADE")
    kind = CharField(max_length=32)
    title = CharField(max_length=100)
    body = CharField(max_length=500, default="")
    created_at = DateTimeField(default=utcnow)
    read_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("customer", "read_at"), False), (("staff", "read_at"), False))


class CallbackNonce(BaseModel):
    """Nonces of callbacks (the official account's, WeChat Pay's) seen within the replay window:
    one use each (app/notify/nonces.py)."""

    nonce = CharField(max_length=64, unique=True)
    seen_at = DateTimeField(default=utcnow, index=True)


class SmsQuota(BaseModel):
    """Invitation SMS sent to one number (E.164) on one business day, counted by one guarded
    upsert: racing requests can never send more than the limit between them."""

    phone = CharField(max_length=20)
    day = DateField()
    sent = IntegerField(default=0)

    class Meta:
        indexes = ((("phone", "day"), True),)


MODELS = [
    Notification,
    NotificationDelivery,
    InboundMessage,
    InboxMessage,
    CallbackNonce,
    SmsQuota,
]
