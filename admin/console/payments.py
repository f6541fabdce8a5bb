"""收款与发票 in the console: WeChat Pay payments (and refunds from them), refunds waiting for
signatures, the day's reconciliation against WeChat Pay's trade bill (with an alert when they
disagree), invoices to issue, and who confirmed last month's statement."""

from __future__ import annotations

import datetime as dt
import io

from flask import g, render_template, request, send_file, url_for
from marshmallow import Schema, fields, validate

from admin.console.blueprint import bp
from admin.console.forms import (
    console_page,
    describe,
    form_post,
    list_page,
    load_form,
    load_query,
    page_of,
    perform,
    status_list,
    status_query,
)
from admin.console.session import console_login, may
from app.auth.permissions import ROLE_LABELS
from app.backoffice import choices
from app.errors import ValidationFailed
from app.money import written
from app.pages import Unmet
from app.payments import invoices, payments, reconciliation, refunds, rules, statements
from app.payments.schemas import (
    InvoiceIssueIn,
    InvoiceRejectIn,
    PaymentQueryIn,
    RefundApproveIn,
    RefundIn,
    RefundRejectIn,
)
from app.timeutil import local_today
from app.validation import business_date

PER_PAGE = 30


RefundQuery = status_query(rules.REFUND_LABELS)


class DayQuery(Schema):
    date = business_date()


class PeriodQuery(Schema):
    period = fields.String(validate=validate.Regexp(r"^20\d\d-(0[1-9]|1[0-2])$"))


def _customers() -> list[tuple[int, str]]:
    return [(c.id, f"{c.code} {c.name}") for c in choices.active_customers(g.staff)]


@console_page("/payments", "payments.view")
def payments_list():
    args = load_query(PaymentQueryIn, request.args)
    return list_page(
        "console/payments.html",
        payments.payments_query(g.staff, args),
        args["page"],
        PER_PAGE,
        args={
            k: v for k, v in request.args.items() if k in ("status", "customer_id", "from", "to")
        },
        statuses=rules.PAYMENT_LABELS,
        shown=rules.SHOWN_PAYMENT_LABELS,
        purposes=rules.PURPOSE_LABELS,
        customers=_customers(),
    )


@console_page("/payments/<int:payment_id>", "payments.view")
def payment_detail(payment_id: int, typed=None):
    """A payment, its refunds, and the refund form (holding what was `typed`, after a refused
    submission)."""
    found = payments.payment_in_scope(g.staff, payment_id)
    return render_template(
        "console/payment.html",
        typed=typed if typed is not None else {},
        p=found,
        refunds=list(refunds.refunds_query(g.staff, payment_id=found.id)),
        statuses=rules.PAYMENT_LABELS,
        shown=rules.SHOWN_PAYMENT_LABELS,
        purposes=rules.PURPOSE_LABELS,
        refund_labels=rules.REFUND_LABELS,
        may_refund=may("payments.refund"),
    )


@form_post(
    "/payments/<int:payment_id>/refunds",
    "payments.refund",
    "退款已提交",
    "console.payment_detail",
    again=payment_detail,
)
def payment_refund(payment_id: int):
    form = load_form(RefundIn, request.form)
    refund = refunds.request(g.staff, payment_id, form["amount"], form["reason"])
    if refund.status == "pending_approval":
        return f"退款 {written(refund.amount)} 已提交，等待审批"
    if refund.status in ("failed", "abnormal"):
        said = f"退款 {written(refund.amount)} 未成功（{rules.REFUND_LABELS[refund.status]}）"
        return Unmet(f"{said}：{refund.error}" if refund.error else said)
    return f"退款 {written(refund.amount)} 已提交微信支付（{rules.REFUND_LABELS[refund.status]}）"


@console_page("/refunds", "payments.view")
def refunds_list():
    args = load_query(RefundQuery, request.args)
    found, pager = page_of(
        refunds.refunds_query(g.staff, args.get("status")), args["page"], PER_PAGE
    )
    items = list(found)
    return render_template(
        "console/refunds.html",
        items=items,
        actions={r.id: refunds.actions_for(g.staff, r) for r in items},
        waiting={r.id: refunds.waiting_for(r) for r in items if r.status == "pending_approval"},
        **pager,
        status=args.get("status", ""),
        statuses=rules.REFUND_LABELS,
        roles=ROLE_LABELS,
    )


@form_post("/refunds/<int:refund_id>/approve", "orders.approve", "已签字", "console.refunds_list")
def refund_approve(refund_id: int):
    form = load_form(RefundApproveIn, request.form)
    found = refunds.approve(g.staff, refund_id, form["comment"])
    if found.status == "pending_approval":
        return "已签字，等待下一步审批"
    return f"退款已批准并提交微信支付（{rules.REFUND_LABELS[found.status]}）"


@form_post(
    "/refunds/<int:refund_id>/reject", "orders.approve", "退款已驳回", "console.refunds_list"
)
def refund_reject(refund_id: int):
    refunds.reject(g.staff, refund_id, load_form(RefundRejectIn, request.form)["reason"])


def _day_refused(day, latest: dt.date, said: str):
    """The reconciliation page with no report: what is wrong with `day`, over the date form."""
    page = render_template(
        "console/reconciliation.html", r=None, day=day, latest=latest, error=said
    )
    return page, 422


@console_page("/reconciliation", "payments.view")
def reconciliation_page():
    """A day's reconciliation: yesterday (Beijing time) unless `date` names another. A day that
    has none (today or later, or not a date) is said on the page, over its date form."""
    latest = local_today() - dt.timedelta(days=1)
    try:
        day = load_query(DayQuery, request.args).get("date") or latest
    except ValidationFailed as exc:
        return _day_refused(request.args.get("date", ""), latest, describe(exc, {"date": ""}))
    try:
        found = reconciliation.report(g.staff, day)
    except ValidationFailed as exc:  # today or later: WeChat Pay has no bill for it yet
        return _day_refused(day, latest, exc.message)
    mismatched = sum(len(found[k]) for k in ("missing_here", "missing_there", "amount_mismatch"))
    return render_template(
        "console/reconciliation.html", r=found, day=day, latest=latest, mismatched=mismatched
    )


@bp.post("/reconciliation")
@console_login("payments.view")
def reconciliation_refetch():
    day = load_form(DayQuery, request.form).get("date")
    if day is None:
        raise ValidationFailed("请选择日期", date=["必填"])
    back = url_for("console.reconciliation_page", date=day)
    return perform(lambda: reconciliation.refetch(g.staff, day), "已重新获取对账单", back)


@console_page("/invoices", "payments.view")
def invoices_list():
    return status_list(
        "console/invoices.html",
        rules.INVOICE_LABELS,
        lambda status: invoices.invoices_query(g.staff, status),
        PER_PAGE,
        rows=invoices.with_orders,
        kinds=rules.INVOICE_KINDS,
        may_issue=may("invoices.issue"),
    )


@form_post("/invoices/<int:invoice_id>/issue", "invoices.issue", "已开票", "console.invoices_list")
def invoice_issue(invoice_id: int):
    form = load_form(InvoiceIssueIn, request.form)
    upload = request.files.get("file")
    content = upload.read() if upload is not None and upload.filename else None
    found = invoices.issue(g.staff, invoice_id, form["invoice_no"], content)
    return f"发票 {found.invoice_no} 已开具，已通知经销商"


@form_post(
    "/invoices/<int:invoice_id>/reject",
    "invoices.issue",
    "已驳回开票申请，已通知经销商",
    "console.invoices_list",
)
def invoice_reject(invoice_id: int):
    invoices.reject(g.staff, invoice_id, load_form(InvoiceRejectIn, request.form)["reason"])


@console_page("/invoices/<int:invoice_id>/file", "payments.view")
def invoice_file(invoice_id: int):
    content, content_type, name = invoices.file_of(invoices.invoice_in_scope(g.staff, invoice_id))
    return send_file(io.BytesIO(content), content_type, as_attachment=True, download_name=name)


@console_page("/statement-confirmations", "payments.view")
def confirmations_page():
    period = load_query(PeriodQuery, request.args).get("period")
    if period is None:
        first = local_today().replace(day=1)
        period = f"{first - dt.timedelta(days=1):%Y-%m}"
    found = statements.confirmations(g.staff, period)
    return render_template("console/confirmations.html", c=found, labels=rules.CONFIRMATION_LABELS)
