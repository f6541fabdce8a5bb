"""Payments, refunds, trade bills, invoices and statement confirmations."""

from __future__ import annotations

from peewee import (
    CharField,
    Check,
    DateField,
    DateTimeField,
    ForeignKeyField,
    TextField,
)

from app.core.models import Customer, Order, Receipt, Staff
from app.db import BaseModel, MoneyField, utcnow
from app.mall.models import WechatUser


class Payment(BaseModel):
    """One WeChat Pay (JSAPI) payment: a top-up of the prepaid balance or an order's unpaid
    amount. `pending` until WeChat Pay says it was paid (its notification, or our query); then one
    receipt holds the money (invariant 10)."""

    customer = ForeignKeyField(Customer, backref="payments", on_delete="RESTRICT")
    wechat_user = ForeignKeyField(WechatUser, null=True, on_delete="SET NULL")
    purpose = CharField(max_length=16)  # topup | order
    order = ForeignKeyField(Order, null=True, backref="payments", on_delete="RESTRICT")
    out_trade_no = CharField(max_length=32, unique=True)
    amount = MoneyField(constraints=[Check("amount > 0")])
    # pending | paid | closed | refunded | partially_refunded
    status = CharField(max_length=24, index=True)
    # Refunds asked for and not failed: never more than was paid (guarded UPDATE).
    refunded_amount = MoneyField(default=0)
    channel = CharField(max_length=8)  # h5 (official account) | mp (mini-program)
    appid = CharField(max_length=32)
    openid = CharField(max_length=64)
    prepay_id = CharField(max_length=64, null=True)
    transaction_id = CharField(max_length=32, null=True, unique=True)
    receipt = ForeignKeyField(Receipt, null=True, on_delete="RESTRICT")
    idempotency_key = CharField(max_length=128, null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    # When the worker next asks WeChat Pay about it, while pending (no notification came).
    next_query_at = DateTimeField(index=True)
    paid_at = DateTimeField(null=True, index=True)

    @property
    def shown_status(self) -> str:
        """The status as pages show it: a pending payment past its expiry is `expired` until
        the worker has asked WeChat Pay and closed it (or recorded it paid)."""
        if self.status == "pending" and self.expires_at <= utcnow():
            return "expired"
        return self.status

    class Meta:
        indexes = (
            (("customer", "idempotency_key"), True),
            (("customer", "created_at"), False),
        )
        constraints = [Check("refunded_amount >= 0"), Check("refunded_amount <= amount")]


class Refund(BaseModel):
    """Money going back through WeChat Pay for (part of) a payment; `out_refund_no` is ours.

    pending_approval (a rule for refunds applies) → processing (asked of WeChat Pay) → succeeded,
    or failed (refused or closed: the money is the dealer's again), or abnormal (WeChat Pay could
    not pay it out: finance follows up in WeChat Pay's merchant platform); rejected by an approver."""

    payment = ForeignKeyField(Payment, backref="refunds", on_delete="RESTRICT")
    customer = ForeignKeyField(Customer, on_delete="RESTRICT")
    out_refund_no = CharField(max_length=64, unique=True)
    amount = MoneyField(constraints=[Check("amount > 0")])
    reason = CharField(max_length=200)
    status = CharField(max_length=24, index=True)
    refund_id = CharField(max_length=64, null=True)
    error = CharField(max_length=255, default="")
    requested_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    succeeded_at = DateTimeField(null=True)
    next_query_at = DateTimeField(null=True, index=True)


class TradeBill(BaseModel):
    """WeChat Pay's trade bill of one day, as fetched (its SHA1 checked): `fetched`, `none` (no
    payment or refund that day) or `failed` (the error says why; fetched again later)."""

    day = DateField(unique=True)
    status = CharField(max_length=16)
    hash_value = CharField(max_length=64, default="")
    lines = TextField(default="[]")  # JSON: the bill's lines
    error = CharField(max_length=255, default="")
    fetched_at = DateTimeField(default=utcnow)


class Invoice(BaseModel):
    """A dealer's invoice request (发票) for chosen orders: `requested`, then `issued` by finance
    with the tax invoice's number (and its file), or `rejected` with a reason."""

    customer = ForeignKeyField(Customer, backref="invoices", on_delete="RESTRICT")
    number = CharField(max_length=32, unique=True)
    kind = CharField(max_length=8)  # normal (普票) | special (专票)
    title = CharField(max_length=100)
    tax_no = CharField(max_length=20)
    email = CharField(max_length=100, default="")
    amount = MoneyField(constraints=[Check("amount > 0")])
    status = CharField(max_length=16, index=True)
    invoice_no = CharField(max_length=32, default="")
    file_key = CharField(max_length=255, default="")
    file_type = CharField(max_length=64, default="")
    reject_reason = CharField(max_length=200, default="")
    requested_by = CharField(max_length=64, default="")
    issued_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow, index=True)
    issued_at = DateTimeField(null=True)


class InvoiceOrder(BaseModel):
    """An order an invoice covers, at the value invoiced; an order is on one live invoice only."""

    invoice = ForeignKeyField(Invoice, backref="orders", on_delete="CASCADE")
    order = ForeignKeyField(Order, unique=True, on_delete="RESTRICT")
    amount = MoneyField()


class StatementConfirmation(BaseModel):
    """A dealer's answer to a month's statement (对账确认): `confirmed`, or `disputed` with a
    note (and may confirm later); the balances are those the dealer saw."""

    customer = ForeignKeyField(Customer, on_delete="RESTRICT")
    period = CharField(max_length=7)  # YYYY-MM
    status = CharField(max_length=16)
    note = CharField(max_length=500, default="")
    opening = MoneyField()
    closing = MoneyField()
    answered_by = ForeignKeyField(WechatUser, null=True, on_delete="SET NULL")
    answered_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("customer", "period"), True),)


MODELS = [Payment, Refund, TradeBill, Invoice, InvoiceOrder, StatementConfirmation]
