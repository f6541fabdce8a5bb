"""Mall tables: WeChat users and their bindings, invitations, carts, idempotency keys, announcements,
favourites."""

from __future__ import annotations

from peewee import (
    BooleanField,
    CharField,
    Check,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from app.core.models import Branch, Customer, Order, Product, Staff
from app.db import BaseModel, utcnow


class WechatUser(BaseModel):
    """A person as WeChat knows them, bound to a customer (dealer) or to a staff member (rep)."""

    openid = CharField(max_length=64, unique=True, null=True)  # mini-program; None: H5 only
    oa_openid = CharField(max_length=64, unique=True, null=True)  # official account
    follows_oa = BooleanField(default=False)  # template messages reach followers only
    unionid = CharField(max_length=64, null=True, index=True)
    session_key = CharField(max_length=128, default="")  # never leaves the server
    role = CharField(max_length=16, null=True)  # dealer | rep | None (not bound yet)
    customer = ForeignKeyField(Customer, null=True, backref="wechat_users", on_delete="SET NULL")
    staff = ForeignKeyField(Staff, null=True, backref="wechat_users", on_delete="SET NULL")
    nickname = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(default=utcnow)


class SubscribeGrant(BaseModel):
    """How many subscribe messages of a template a user has allowed (wx.requestSubscribeMessage)."""

    wechat_user = ForeignKeyField(WechatUser, backref="grants", on_delete="CASCADE")
    template_id = CharField(max_length=64)
    remaining = IntegerField(default=0, constraints=[Check("remaining >= 0")])
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("wechat_user", "template_id"), True),)


class Invitation(BaseModel):
    """A single-use, expiring code that binds a WeChat user to a customer or to a rep."""

    code = CharField(max_length=32, unique=True)
    role = CharField(max_length=16)  # dealer | rep
    customer = ForeignKeyField(Customer, null=True, backref="invitations", on_delete="CASCADE")
    staff = ForeignKeyField(Staff, null=True, backref="invitations", on_delete="CASCADE")
    created_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)
    used_by = ForeignKeyField(WechatUser, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    # An invitation sent to the dealer by SMS (the 邀请短信): to which number, when.
    sms_phone = CharField(max_length=32, null=True, index=True)
    sms_sent_at = DateTimeField(null=True)


class CartItem(BaseModel):
    wechat_user = ForeignKeyField(WechatUser, backref="cart_items", on_delete="CASCADE")
    product = ForeignKeyField(Product, on_delete="CASCADE")
    qty = IntegerField(constraints=[Check("qty > 0")])  # base units
    updated_at = DateTimeField(default=utcnow)
    # The unit the dealer picked and how many of it (null: the base unit).
    unit = CharField(max_length=16, null=True)
    unit_qty = IntegerField(null=True)

    class Meta:
        indexes = ((("wechat_user", "product"), True),)


class IdempotencyKey(BaseModel):
    """One order per (customer, key): a retried submission finds the order the first one made."""

    customer = ForeignKeyField(Customer, on_delete="CASCADE")
    key = CharField(max_length=128)
    order = ForeignKeyField(Order, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("customer", "key"), True),)


class Announcement(BaseModel):
    title = CharField(max_length=200)
    body = TextField()
    branch = ForeignKeyField(Branch, null=True, on_delete="CASCADE")  # None: every dealer
    pinned = BooleanField(default=False)
    published_at = DateTimeField(default=utcnow, index=True)
    expires_at = DateTimeField(null=True)
    created_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")


MODELS = [WechatUser, SubscribeGrant, Invitation, CartItem, IdempotencyKey, Announcement]


class OrderAudit(BaseModel):
    """Who changed what on an order and why: line adjustments, credit overrides, step signatures."""

    order = ForeignKeyField(Order, backref="audits", on_delete="CASCADE")
    staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    action = CharField(max_length=32)
    before = TextField(default="")
    after = TextField(default="")
    reason = CharField(max_length=500, default="")
    created_at = DateTimeField(default=utcnow)


class Favourite(BaseModel):
    """收藏: a product the dealer keeps at hand; shared by everyone ordering for that customer."""

    customer = ForeignKeyField(Customer, backref="favourites", on_delete="CASCADE")
    product = ForeignKeyField(Product, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("customer", "product"), True),)


MODELS = [*MODELS, OrderAudit, Favourite]
