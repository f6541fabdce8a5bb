"""WeChat Pay for staff: payments in scope, refunds (through the approval engine when a rule for
refunds applies), the day's reconciliation against WeChat Pay's trade bill, invoices to issue,
and who confirmed their monthly statement."""

from __future__ import annotations

import io

from flask import request, send_file

from admin.security import current_staff, staff_required
from app.api import Blueprint
from app.errors import ValidationFailed
from app.payments import invoices, payments, reconciliation, refunds, statements
from app.payments.schemas import (
    ConfirmationListOut,
    InvoiceIssueIn,
    InvoiceQueryIn,
    InvoiceRejectIn,
    PaymentQueryIn,
    PeriodIn,
    ReconciliationOut,
    ReconciliationQueryIn,
    RefundApproveIn,
    RefundIn,
    RefundOut,
    RefundPageOut,
    RefundQueryIn,
    RefundRejectIn,
    StaffInvoiceOut,
    StaffInvoicePageOut,
    StaffPaymentOut,
    StaffPaymentPageOut,
)
from app.validation import page_of_query

bp = Blueprint("admin_payments", __name__, url_prefix="/api/admin/v1", description="微信支付与发票")

INVOICE_FILE = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "invoice_no": {"type": "string"},
                        "file": {"type": "string", "format": "binary"},
                    },
                    "required": ["invoice_no"],
                }
            }
        }
    }
}


@bp.get("/payments")
@staff_required("payments.view")
@bp.arguments(PaymentQueryIn, location="query")
@bp.response(200, StaffPaymentPageOut)
def list_payments(args):
    """Payments in the caller's scope, newest first."""
    return page_of_query(payments.payments_query(current_staff(), args), args)


@bp.get("/payments/<id:payment_id>")
@staff_required("payments.view")
@bp.response(200, StaffPaymentOut)
def get_payment(payment_id):
    return payments.payment_in_scope(current_staff(), payment_id)


@bp.post("/payments/<id:payment_id>/refunds")
@staff_required("payments.refund")
@bp.arguments(RefundIn)
@bp.response(201, RefundOut)
def refund_payment(data, payment_id):
    """Refund through WeChat Pay, at most what was paid in total (else invalid_state 409); the
    receipt is reversed by the amount. With an approval rule for refunds, the refund waits as
    `pending_approval`."""
    return refunds.request(current_staff(), payment_id, data["amount"], data["reason"])


@bp.get("/refunds")
@staff_required("payments.view")
@bp.arguments(RefundQueryIn, location="query")
@bp.response(200, RefundPageOut)
def list_refunds(args):
    query = refunds.refunds_query(current_staff(), args.get("status"), args.get("payment_id"))
    return page_of_query(query, args)


@bp.post("/refunds/<id:refund_id>/approve")
@staff_required("orders.approve")
@bp.arguments(RefundApproveIn)
@bp.response(200, RefundOut)
def approve_refund(data, refund_id):
    """Sign the refund's next step; the last signature sends it to WeChat Pay."""
    return refunds.approve(current_staff(), refund_id, data["comment"])


@bp.post("/refunds/<id:refund_id>/reject")
@staff_required("orders.approve")
@bp.arguments(RefundRejectIn)
@bp.response(200, RefundOut)
def reject_refund(data, refund_id):
    return refunds.reject(current_staff(), refund_id, data["reason"])


@bp.get("/payments/reconciliation")
@staff_required("payments.view")
@bp.arguments(ReconciliationQueryIn, location="query")
@bp.response(200, ReconciliationOut)
def get_reconciliation(args):
    """The day against WeChat Pay's trade bill (fetched now if the worker has not yet): matched,
    missing here (WeChat Pay has it, we do not), missing there, amounts that differ."""
    return reconciliation.report(current_staff(), args["date"])


@bp.post("/payments/reconciliation")
@staff_required("payments.view")
@bp.arguments(ReconciliationQueryIn, location="query")
@bp.response(200, ReconciliationOut)
def refetch_reconciliation(args):
    """Fetch the day's trade bill again, then reconcile."""
    return reconciliation.refetch(current_staff(), args["date"])


@bp.get("/invoices")
@staff_required("payments.view")
@bp.arguments(InvoiceQueryIn, location="query")
@bp.response(200, StaffInvoicePageOut)
def list_invoices(args):
    query = invoices.invoices_query(current_staff(), args.get("status"))
    return page_of_query(query, args, invoices.with_orders)


@bp.get("/invoices/<id:invoice_id>")
@staff_required("payments.view")
@bp.response(200, StaffInvoiceOut)
def get_invoice(invoice_id):
    return invoices.invoice_in_scope(current_staff(), invoice_id)


@bp.post("/invoices/<id:invoice_id>/issue")
@staff_required("invoices.issue")
@bp.arguments(InvoiceIssueIn, location="json_or_form")
@bp.response(200, StaffInvoiceOut)
@bp.doc(**INVOICE_FILE)
def issue_invoice(data, invoice_id):
    """Issue with the invoice's number (JSON, or multipart with the invoice `file`: PDF, OFD or
    an image); the dealer is told."""
    upload = request.files.get("file")
    if upload is not None and not upload.filename:
        raise ValidationFailed("请选择发票文件", file=["必填"])
    content = upload.read() if upload is not None else None
    return invoices.issue(current_staff(), invoice_id, data["invoice_no"], content)


@bp.post("/invoices/<id:invoice_id>/reject")
@staff_required("invoices.issue")
@bp.arguments(InvoiceRejectIn)
@bp.response(200, StaffInvoiceOut)
def reject_invoice(data, invoice_id):
    return invoices.reject(current_staff(), invoice_id, data["reason"])


@bp.get("/invoices/<id:invoice_id>/file")
@staff_required("payments.view")
@bp.response(200, description="发票文件")
def invoice_file(invoice_id):
    content, content_type, name = invoices.file_of(
        invoices.invoice_in_scope(current_staff(), invoice_id)
    )
    return send_file(io.BytesIO(content), content_type, as_attachment=True, download_name=name)


@bp.get("/statement-confirmations")
@staff_required("payments.view")
@bp.arguments(PeriodIn, location="query")
@bp.response(200, ConfirmationListOut)
def statement_confirmations(args):
    """Per customer in scope: `confirmed`, `disputed` (with the note) or `pending`."""
    return statements.confirmations(current_staff(), args["period"])
