"""The dealer's money on the phone: 充值 (a top-up with WeChat Pay), paying an order from its
page, the result of a payment (asked of our server, which asks WeChat Pay — never taken from
the browser, and there whenever the dealer comes back), 支付记录, 发票 and the monthly 对账单
to confirm (确认) or dispute (有异议)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from flask import flash, jsonify, redirect, render_template, request, send_file, url_for
from marshmallow import Schema, fields, validate

from app.core.rules import ENTRY_LABELS, paid_money_words
from app.errors import AppError
from app.pages import perform
from app.payments import invoices, payments, rules, statements
from app.timeutil import local_today
from app.validation import money_in
from h5.blueprint import bp
from h5.forms import labelled, parse_form
from h5.session import current_user, h5_login

dealer = h5_login("dealer")
TOPUP_AMOUNTS = ("500", "1000", "2000", "5000")


def _customer_id() -> int:
    return current_user().customer_id


def _payer() -> payments.Payer:
    return payments.Payer.of(current_user(), "h5")


class TopUpForm(Schema):
    amount = money_in(required=True, metadata=labelled("充值金额"))
    idempotency_key = fields.String(required=True, validate=validate.Length(min=8, max=64))


class PayOrderForm(Schema):
    idempotency_key = fields.String(required=True, validate=validate.Length(min=8, max=64))


class InvoiceForm(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(list(rules.INVOICE_KINDS)),
        metadata=labelled("发票类型"),
    )
    title = fields.String(
        required=True, validate=validate.Length(min=1, max=100), metadata=labelled("抬头")
    )
    tax_no = fields.String(
        required=True, validate=validate.Length(min=15, max=20), metadata=labelled("税号")
    )
    email = fields.Email(
        load_default="", validate=validate.Length(max=100), metadata=labelled("邮箱")
    )


class AnswerForm(Schema):
    agree = fields.Boolean(required=True)
    note = fields.String(
        load_default="", validate=validate.Length(max=500), metadata=labelled("说明")
    )


class PeriodQuery(Schema):
    period = fields.String(validate=validate.Regexp(r"^20\d\d-(0[1-9]|1[0-2])$"))


@bp.app_template_global("order_dues")
def order_dues(order) -> rules.OrderDues:
    """What the order page offers to pay with WeChat Pay (`.unpaid`), and what was paid for the
    order and waits for it (`.waiting`: what cancelling it moves to the prepaid balance)."""
    return payments.order_dues(order)


@bp.app_template_global("cancel_confirm")
def cancel_confirm(waiting: Decimal) -> str:
    """The cancel button's confirm box: what becomes of the money already paid for the order."""
    if waiting > 0:
        return f"确定取消这个订单吗？{paid_money_words(waiting, done=False)}。"
    return "确定取消这个订单吗？"


@bp.app_template_global("form_key")
def form_key() -> str:
    """A form's Idempotency-Key: the same one however often that form is sent."""
    return uuid.uuid4().hex


# --- 充值 and paying an order ---------------------------------------------------------------


def _topup_page(error: str | None = None, typed: str = ""):
    from app.core import receivables

    return render_template(
        "h5/pay_topup.html",
        amounts=TOPUP_AMOUNTS,
        position=receivables.account_position(_customer_id()),
        key=form_key(),
        error=error,
        typed=typed,
    ), 422 if error else 200


@bp.get("/pay/topup")
@dealer
def topup_page():
    return _topup_page()


@bp.post("/pay/topup")
@dealer
def topup():
    """A top-up of the amount chosen; a double tap (the same form key) makes one payment."""
    try:
        form = parse_form(TopUpForm(), request.form)
        started = payments.start(
            _payer(), "topup", amount=form["amount"], idempotency_key=form["idempotency_key"]
        )
    except AppError as exc:
        return _topup_page(exc.message, request.form.get("amount", ""))
    return redirect(url_for("h5.pay_page", payment_id=started.payment.id), code=303)


@bp.post("/orders/<int:order_id>/pay")
@dealer
def pay_order(order_id: int):
    """去付款 on an order's page: its unpaid amount, the same payment if one is waiting."""

    def start():
        form = parse_form(PayOrderForm(), request.form)
        return payments.start(
            _payer(), "order", order_id=order_id, idempotency_key=form["idempotency_key"]
        )

    return perform(
        start,
        "",
        url_for("h5.order", order_id=order_id),
        then=lambda started: url_for("h5.pay_page", payment_id=started.payment.id),
        code=303,
    )


@bp.get("/pay/<int:payment_id>")
@dealer
def pay_page(payment_id: int):
    """The payment with its 立即支付 button (WeixinJSBridge); once it is not pending, its result."""
    started = payments.resume(_customer_id(), payment_id)
    if started.jsapi is None:
        return redirect(url_for("h5.pay_result", payment_id=payment_id))
    return render_template("h5/pay.html", p=started.payment, jsapi=started.jsapi, labels=_labels())


@bp.get("/pay/<int:payment_id>/result")
@dealer
def pay_result(payment_id: int):
    """What our server knows (asking WeChat Pay while it is pending): what WeChat's client told
    the page (`said`) is shown only as a hint, never as the result."""
    found = payments.dealer_payment(_customer_id(), payment_id, ask=True)
    said = request.args.get("said", "")
    return render_template(
        "h5/pay_result.html",
        p=found,
        labels=_labels(),
        cancelled=found.status == "pending" and said.endswith(":cancel"),
    )


@bp.get("/pay/<int:payment_id>/status")
@dealer
def pay_status(payment_id: int):
    """The result page polls this while the payment is pending."""
    found = payments.dealer_payment(_customer_id(), payment_id, ask=True)
    return jsonify(status=found.status, label=rules.PAYMENT_LABELS[found.status])


@bp.get("/payments")
@dealer
def payment_list():
    items, total = payments.dealer_payments(_customer_id(), 1, 50)
    return render_template("h5/payments.html", items=items, total=total, labels=_labels())


def _labels() -> dict:
    return {"status": rules.SHOWN_PAYMENT_LABELS, "purpose": rules.PURPOSE_LABELS}


# --- 发票 --------------------------------------------------------------------------------------


@bp.get("/invoices")
@dealer
def invoice_list():
    items, _ = invoices.dealer_invoices(_customer_id(), 1, 50)
    return render_template(
        "h5/invoices.html", items=items, statuses=rules.INVOICE_LABELS, kinds=rules.INVOICE_KINDS
    )


def _invoice_form(error: str | None = None, typed: dict | None = None):
    return render_template(
        "h5/invoice_new.html",
        orders=invoices.invoiceable_orders(_customer_id()),
        kinds=rules.INVOICE_KINDS,
        error=error,
        typed=typed or {"kind": "normal"},
        chosen={int(i) for i in request.form.getlist("order_ids") if i.isdigit()},
    ), 422 if error else 200


@bp.get("/invoices/new")
@dealer
def invoice_new():
    return _invoice_form()


@bp.post("/invoices")
@dealer
def invoice_create():
    try:
        form = parse_form(InvoiceForm(), request.form)
        ids = [int(i) for i in request.form.getlist("order_ids") if i.isdigit()]
        invoices.request(_customer_id(), {**form, "order_ids": ids}, f"wechat:{current_user().id}")
    except AppError as exc:
        return _invoice_form(exc.message, request.form.to_dict())
    flash("开票申请已提交，财务开具后会通知您", "success")
    return redirect(url_for("h5.invoice_list"), code=303)


@bp.get("/invoices/<int:invoice_id>/file")
@dealer
def invoice_download(invoice_id: int):
    import io

    content, content_type, name = invoices.file_of(
        invoices.dealer_invoice(_customer_id(), invoice_id)
    )
    return send_file(io.BytesIO(content), content_type, as_attachment=True, download_name=name)


# --- 对账单 -------------------------------------------------------------------------------------


def _last_month() -> str:
    first = local_today().replace(day=1)
    return f"{first.fromordinal(first.toordinal() - 1):%Y-%m}"


@bp.get("/statements")
@dealer
def statement_page():
    period = parse_form(PeriodQuery(), request.args).get("period") or _last_month()
    return _statement(period)


def _statement(period: str, error: str | None = None):
    month = statements.statement(_customer_id(), period)
    return render_template(
        "h5/statement.html",
        month=month,
        kinds=ENTRY_LABELS,
        labels=rules.CONFIRMATION_LABELS,
        error=error,
    ), 422 if error else 200


@bp.post("/statements/<period>/answer")
@dealer
def statement_answer(period: str):
    """确认 (agree) or 有异议 with a note, for a month that is over."""
    try:
        form = parse_form(AnswerForm(), request.form)
        statements.answer(current_user(), period, form["agree"], form["note"])
    except AppError as exc:
        return _statement(period, exc.message)
    flash("已确认对账单" if form["agree"] else "异议已提交，财务会与您联系", "success")
    return redirect(url_for("h5.statement_page", period=period), code=303)
