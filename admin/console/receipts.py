"""收款记录 in the console's money section: money received from the customers in the staff
member's scope, across customers (by customer, method and the days received), and 作废 of a
receipt recorded by mistake, with its reason."""

from __future__ import annotations

from flask import g, request, url_for

from admin.console.forms import console_page, filtered, form_post, list_page, load_form, load_query
from admin.console.session import may
from admin.schemas import ReceiptQueryIn, ReceiptVoidIn
from app.auth.scopes import customer_in_scope
from app.backoffice import accounts
from app.core.receivables import NOT_VOIDABLE
from app.core.rules import RECEIPT_METHODS_SHOWN
from app.money import written

PER_PAGE = 30
# The list's filters, kept by its pager and by the form that voids a row.
FILTERS = ("q", "customer_id", "method", "from", "to")


@console_page("/receipts", "payments.view")
def receipts_list():
    args = load_query(ReceiptQueryIn, request.args)
    kept = {k: v for k, v in request.args.items() if k in FILTERS and v}
    customer = None
    if args.get("customer_id"):
        customer = customer_in_scope(g.staff, args["customer_id"])
    return list_page(
        "console/receipts.html",
        accounts.receipts_query(g.staff, args),
        args["page"],
        PER_PAGE,
        rows=accounts.receipt_rows,
        args=kept,
        customer=customer,
        all_customers=url_for(
            "console.receipts_list", **{k: v for k, v in kept.items() if k != "customer_id"}
        ),
        methods=RECEIPT_METHODS_SHOWN,
        not_voidable=NOT_VOIDABLE,
        may_void=may("receipts.void"),
    )


@form_post(
    "/receipts/<int:receipt_id>/void",
    "receipts.void",
    "收款已作废",
    filtered("console.receipts_list"),
)
def void_receipt(receipt_id: int):
    reason = load_form(ReceiptVoidIn, request.form)["reason"]
    receipt = accounts.void_receipt(g.staff, receipt_id, reason)
    return f"已作废收款 {receipt.number}（{receipt.customer.name} {written(receipt.amount)}）"
