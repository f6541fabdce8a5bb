"""Money for the dealer: WeChat Pay payments (top-ups and orders), invoices (发票) and the monthly
statement to confirm (对账确认)."""

from __future__ import annotations

import io

from flask import current_app, send_file
from marshmallow import Schema, fields

from app.api import Blueprint
from app.extensions import limited
from app.payments import invoices, payments, statements
from app.payments.schemas import (
    ConfirmationOut,
    InvoiceIn,
    InvoiceOut,
    InvoicePageOut,
    NewPaymentOut,
    PaymentIn,
    PaymentOut,
    PaymentPageOut,
    StatementAnswerIn,
)
from app.validation import ListPageOut, LocalDateTime, WholeListIn, money_field, page_of_list
from miniprogram_api.listing import dealer_page, dealer_record
from miniprogram_api.schemas import IdempotencyHeaderIn, StatementLineOut, StatementOut
from miniprogram_api.security import actor, current_customer, current_user, dealer_required

bp = Blueprint("mp_payments", __name__, url_prefix="/api/mp/v1", description="支付、发票与对账")


class MonthStatementOut(StatementOut):
    """The contract's `opening`, `lines` and `closing` (API.md), besides the names the
    account statement uses (`opening_balance`, `items`, `closing_balance`)."""

    period = fields.String()
    opening = money_field()
    lines = fields.List(fields.Nested(StatementLineOut))
    closing = money_field()
    ended = fields.Boolean()
    status = fields.String()  # confirmed | disputed | pending
    confirmation = fields.Nested(ConfirmationOut, allow_none=True)


class InvoiceableOrderOut(Schema):
    order_id = fields.Integer()
    number = fields.String()
    status = fields.String()
    amount = money_field()
    created_at = LocalDateTime()


class InvoiceableOrderListOut(ListPageOut):
    items = fields.List(fields.Nested(InvoiceableOrderOut))


@bp.post("/payments")
@limited("RATELIMIT_ORDERS", "payments")
@dealer_required
@bp.idempotent(
    IdempotencyHeaderIn, PaymentIn, NewPaymentOut, "同一 Idempotency-Key 或同一订单的待支付单"
)
def create_payment(headers, data):
    """A WeChat Pay (JSAPI) payment: a top-up (`amount`) or an order's unpaid amount; `jsapi` is
    what the mini-program passes to wx.requestPayment. Paid only once WeChat Pay tells us."""
    started = payments.start(
        payments.Payer.of(current_user(), "mp"),
        data["purpose"],
        order_id=data["order_id"],
        amount=data["amount"],
        idempotency_key=headers.get("idempotency_key"),
    )
    started.payment.jsapi = started.jsapi
    body = NewPaymentOut().dump(started.payment)
    return current_app.json.response(body), 201 if started.created else 200


dealer_page(bp, "list_payments", "/payments", PaymentPageOut, payments.dealer_payments)


@bp.get("/payments/<id:payment_id>")
@dealer_required
@bp.response(200, PaymentOut)
def get_payment(payment_id):
    """One payment; a pending one is asked about at WeChat Pay first (a result page polls this)."""
    return payments.dealer_payment(current_customer().id, payment_id, ask=True)


@bp.post("/invoices")
@dealer_required
@bp.arguments(InvoiceIn)
@bp.response(201, InvoiceOut)
def request_invoice(data):
    """Ask for an invoice for shipped orders (each order on one invoice)."""
    invoice = invoices.request(current_customer().id, data, actor())
    return invoices.dealer_invoice(current_customer().id, invoice.id)


dealer_page(bp, "list_invoices", "/invoices", InvoicePageOut, invoices.dealer_invoices)


@bp.get("/invoices/invoiceable-orders")
@dealer_required
@bp.arguments(WholeListIn, location="query")
@bp.response(200, InvoiceableOrderListOut)
def invoiceable_orders(args):
    """Shipped orders not yet on an invoice, with the amount an invoice would be for (a list
    body, as every list: `items`, `page`, `per_page`, `total`)."""
    return page_of_list(invoices.invoiceable_orders(current_customer().id), args)


dealer_record(bp, "get_invoice", "/invoices/<id:invoice_id>", InvoiceOut, invoices.dealer_invoice)


@bp.get("/invoices/<id:invoice_id>/file")
@dealer_required
@bp.response(200, description="发票文件（PDF、OFD 或图片）")
def invoice_file(invoice_id):
    content, content_type, name = invoices.file_of(
        invoices.dealer_invoice(current_customer().id, invoice_id)
    )
    return send_file(io.BytesIO(content), content_type, as_attachment=True, download_name=name)


@bp.get("/account/statements/<period>")
@dealer_required
@bp.response(200, MonthStatementOut)
def month_statement(period):
    """The month's statement (`period` YYYY-MM): opening balance, lines, closing balance, and
    the dealer's confirmation or dispute."""
    return statements.statement(current_customer().id, period)


@bp.post("/account/statements/<period>/confirm")
@dealer_required
@bp.arguments(StatementAnswerIn)
@bp.response(200, MonthStatementOut)
def confirm_statement(data, period):
    """Confirm the month (`agree: true`) or dispute it with a `note`; once the month is over."""
    return statements.answer(current_user(), period, data["agree"], data["note"])
