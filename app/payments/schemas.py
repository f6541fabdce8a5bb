"""Request and response schemas of payments, refunds, reconciliation, invoices and statement
confirmation, shared by the mini-program / H5 API and the admin API (API.md, "Payments,
invoices, statement confirmation")."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.adapters.wechatpay import JSAPI_PARAMS
from app.payments.models import Invoice, Payment, Refund, StatementConfirmation
from app.payments.rules import (
    CONFIRMATION_LABELS,
    INVOICE_KINDS,
    INVOICE_LABELS,
    PAYMENT_LABELS,
    REFUND_LABELS,
)
from app.schemas import CommentIn, DateRangeIn, DocumentOut, label_of
from app.validation import (
    JsonBoolean,
    ListPageOut,
    LocalDateTime,
    PageIn,
    WholeListIn,
    business_date,
    columns,
    id_field,
    money_field,
    money_in,
    optional_text,
    page_of,
    required_text,
)


class PaymentIn(Schema):
    purpose = fields.String(
        required=True,
        validate=validate.OneOf(["topup", "order"], error="purpose 须为 topup 或 order"),
    )
    order_id = id_field(load_default=None)
    amount = money_in(load_default=None)

    @validates_schema
    def _order_named(self, data, **kwargs):
        if data.get("purpose") == "order" and not data.get("order_id"):
            raise ValidationError("订单付款须指定订单", "order_id")


class JsapiOut(Schema.from_dict({name: fields.String() for name in JSAPI_PARAMS})):
    """What WeixinJSBridge.invoke("getBrandWCPayRequest", …) and wx.requestPayment take."""


class PaymentOut(
    columns(
        Payment,
        "id",
        "out_trade_no",
        "purpose",
        "order_id",
        "amount",
        "status",
        "refunded_amount",
        "transaction_id",
        "paid_at",
        "created_at",
        "expires_at",
    )
):
    status_label = label_of(PAYMENT_LABELS)


class NewPaymentOut(PaymentOut):
    jsapi = fields.Nested(JsapiOut, allow_none=True)


PaymentPageOut = page_of(PaymentOut)


class RefundIn(Schema):
    amount = money_in(required=True)
    reason = required_text(200, "请填写退款原因（200 字以内）")


class RefundOut(
    columns(
        Refund,
        "id",
        "payment_id",
        "out_refund_no",
        "amount",
        "reason",
        "status",
        "refund_id",
        "error",
        "created_at",
        "succeeded_at",
    )
):
    status_label = label_of(REFUND_LABELS)


RefundPageOut = page_of(RefundOut)


class StaffPaymentOut(columns(Payment, "customer_id", "channel"), PaymentOut):
    customer_name = fields.Function(lambda p: p.customer.name)
    order_number = fields.Function(lambda p: p.order.number if p.order_id else None)


StaffPaymentPageOut = page_of(StaffPaymentOut)


class PaymentQueryIn(DateRangeIn, PageIn):
    status = fields.String(validate=validate.OneOf(list(PAYMENT_LABELS), error="状态无效"))
    customer_id = id_field(strict=False)


class RefundQueryIn(PageIn):
    status = fields.String(validate=validate.OneOf(list(REFUND_LABELS), error="状态无效"))
    payment_id = id_field(strict=False)


class RefundApproveIn(CommentIn):
    """Finance signs a refund, with an optional comment."""


class RefundRejectIn(Schema):
    reason = required_text(200, "请填写驳回原因")


class ReconciliationQueryIn(Schema):
    date = business_date(required=True)


class ReconciliationItemOut(Schema):
    kind = fields.String()  # payment | refund
    out_trade_no = fields.String(allow_none=True)
    out_refund_no = fields.String(allow_none=True)
    transaction_id = fields.String(allow_none=True)
    amount_here = fields.String(allow_none=True)
    amount_there = fields.String(allow_none=True)
    customer_id = fields.Integer(allow_none=True)
    customer_name = fields.String(allow_none=True)
    payment_id = fields.Integer(allow_none=True)


class ReconciliationOut(Schema):
    date = fields.Date()
    status = fields.String()  # fetched | none (no bill: nothing that day) | failed
    hash = fields.String()
    fetched_at = LocalDateTime()
    error = fields.String()
    matched = fields.Integer()
    matched_items = fields.List(fields.Nested(ReconciliationItemOut))
    missing_here = fields.List(fields.Nested(ReconciliationItemOut))
    missing_there = fields.List(fields.Nested(ReconciliationItemOut))
    amount_mismatch = fields.List(fields.Nested(ReconciliationItemOut))


class InvoiceIn(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(list(INVOICE_KINDS), error="发票类型须为 normal 或 special"),
    )
    title = required_text(100, "请填写发票抬头（100 字以内）")
    tax_no = required_text(20, "税号须为 15 到 20 位", min=15)
    order_ids = fields.List(
        id_field(),
        required=True,
        validate=validate.Length(min=1, max=50, error="请选择 1 到 50 个订单"),
    )
    email = fields.Email(load_default="", validate=validate.Length(max=100))


class InvoiceOut(
    columns(
        Invoice,
        "kind",
        "title",
        "tax_no",
        "email",
        "amount",
        "status",
        "invoice_no",
        "reject_reason",
        "created_at",
        "issued_at",
    ),
    DocumentOut,
):
    kind_label = label_of(INVOICE_KINDS, "kind")
    status_label = label_of(INVOICE_LABELS)
    has_file = fields.Function(lambda i: bool(i.file_key))
    file_url = fields.Function(
        lambda i: f"/api/mp/v1/invoices/{i.id}/file" if i.file_key else None, allow_none=True
    )
    order_ids = fields.List(fields.Integer())
    order_numbers = fields.List(fields.String())


InvoicePageOut = page_of(InvoiceOut)


class StaffInvoiceOut(columns(Invoice, "customer_id"), InvoiceOut):
    file_url = fields.Function(
        lambda i: f"/api/admin/v1/invoices/{i.id}/file" if i.file_key else None, allow_none=True
    )
    customer_name = fields.Function(lambda i: i.customer.name)


StaffInvoicePageOut = page_of(StaffInvoiceOut)


class InvoiceQueryIn(PageIn):
    status = fields.String(validate=validate.OneOf(list(INVOICE_LABELS), error="状态无效"))


class InvoiceIssueIn(Schema):
    invoice_no = required_text(20, "发票号码须为 8 到 20 位", min=8)


class InvoiceRejectIn(Schema):
    reason = required_text(200, "请填写驳回原因")


class StatementAnswerIn(Schema):
    agree = JsonBoolean(required=True)
    note = optional_text(500)


class ConfirmationOut(columns(StatementConfirmation, "status", "note", "answered_at")):
    answered_by = fields.Function(
        lambda c: (c.answered_by.nickname or "经销商（微信）") if c.answered_by_id else None
    )


class PeriodIn(Schema):
    period = fields.String(
        required=True,
        validate=validate.Regexp(r"^20\d\d-(0[1-9]|1[0-2])$", error="格式应为 YYYY-MM"),
    )


class ConfirmationQueryIn(PeriodIn, WholeListIn):
    """A month's confirmations, a page of customers at a time."""


class ConfirmationRowOut(Schema):
    customer_id = fields.Integer()
    customer_code = fields.String()
    customer_name = fields.String()
    status = fields.String()
    status_label = fields.Function(lambda r: CONFIRMATION_LABELS[r["status"]])
    note = fields.String()
    closing = money_field(allow_none=True)
    answered_at = LocalDateTime(allow_none=True)
    answered_by = fields.String(allow_none=True)


class ConfirmationListOut(ListPageOut):
    period = fields.String()
    items = fields.List(fields.Nested(ConfirmationRowOut))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
