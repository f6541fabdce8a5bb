"""WeChat Pay for staff: payments in scope, refunds (through the approval engine when a rule for
refunds applies), the day's reconciliation against WeChat Pay's trade bill, invoices to issue,
and who confirmed their monthly statement."""

from __future__ import annotations

import io

from flask import request, send_file

from admin.api.blueprint import StaffBlueprint
from admin.security import current_staff
from app.errors import ValidationFailed
from app.payments import invoices, payments, reconciliation, refunds, statements
from app.payments.schemas import (
    ConfirmationListOut,
    ConfirmationQueryIn,
    InvoiceIssueIn,
    InvoiceQueryIn,
    InvoiceRejectIn,
    PaymentQueryIn,
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
from app.validation import page_of_list

bp = StaffBlueprint("admin_payments", __name__, "微信支付与发票")

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


@bp.listing("/payments", "payments.view", PaymentQueryIn, StaffPaymentPageOut)
def list_payments(args):
    """Payments in the caller's scope, newest first."""
    return payments.payments_query(current_staff(), args)


bp.detail(
    "get_payment",
    "/payments/<id:payment_id>",
    "payments.view",
    StaffPaymentOut,
    payments.payment_in_scope,
)


@bp.post("/payments/<id:payment_id>/refunds")
@bp.staff("payments.refund", body=RefundIn, status=201, out=RefundOut)
def refund_payment(data, payment_id):
    """Refund through WeChat Pay, at most what was paid in total (else invalid_state 409); the
    receipt is reversed by the amount. With an approval rule for refunds, the refund waits as
    `pending_approval`."""
    return refunds.request(current_staff(), payment_id, data["amount"], data["reason"])


@bp.listing("/refunds", "payments.view", RefundQueryIn, RefundPageOut)
def list_refunds(args):
    return refunds.refunds_query(current_staff(), args.get("status"), args.get("payment_id"))


bp.sign_or_reject(
    "/refunds/<id:refund_id>",
    "refund",
    RefundOut,
    refunds,
    (RefundApproveIn, RefundRejectIn),
    "Sign the refund's next step; the last signature sends it to WeChat Pay.",
)


@bp.get("/payments/reconciliation")
@bp.staff("payments.view", query=ReconciliationQueryIn, out=ReconciliationOut)
def get_reconciliation(args):
    """The day against WeChat Pay's trade bill (fetched now if the worker has not yet): matched,
    missing here (WeChat Pay has it, we do not), missing there, amounts that differ."""
    return reconciliation.report(current_staff(), args["date"])


@bp.post("/payments/reconciliation")
@bp.staff("payments.view", query=ReconciliationQueryIn, out=ReconciliationOut)
def refetch_reconciliation(args):
    """Fetch the day's trade bill again, then reconcile."""
    return reconciliation.refetch(current_staff(), args["date"])


@bp.listing("/invoices", "payments.view", InvoiceQueryIn, StaffInvoicePageOut, invoices.with_orders)
def list_invoices(args):
    return invoices.invoices_query(current_staff(), args.get("status"))


bp.detail(
    "get_invoice",
    "/invoices/<id:invoice_id>",
    "payments.view",
    StaffInvoiceOut,
    invoices.invoice_in_scope,
)


@bp.post("/invoices/<id:invoice_id>/issue")
@bp.staff("invoices.issue")
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
@bp.staff("invoices.issue", body=InvoiceRejectIn, out=StaffInvoiceOut)
def reject_invoice(data, invoice_id):
    return invoices.reject(current_staff(), invoice_id, data["reason"])


@bp.get("/invoices/<id:invoice_id>/file")
@bp.staff("payments.view")
@bp.response(200, description="发票文件")
def invoice_file(invoice_id):
    content, content_type, name = invoices.file_of(
        invoices.invoice_in_scope(current_staff(), invoice_id)
    )
    return send_file(io.BytesIO(content), content_type, as_attachment=True, download_name=name)


@bp.get("/statement-confirmations")
@bp.staff("payments.view", query=ConfirmationQueryIn, out=ConfirmationListOut)
def statement_confirmations(args):
    """Per customer in scope: `confirmed`, `disputed` (with the note) or `pending`; `counts`
    of each over all of them, not only the page's."""
    found = statements.confirmations(current_staff(), args["period"])
    return page_of_list(found["items"], args, period=found["period"], counts=found["counts"])
