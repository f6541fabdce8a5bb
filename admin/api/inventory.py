"""Inventory at cost: stock receipts, transfers (send, receive), counts, the stock ledger, bin
locations and customer fees (API.md "Inventory at cost")."""

from __future__ import annotations

from types import SimpleNamespace

from admin.api.blueprint import StaffBlueprint
from admin.inventory_schemas import (
    AlertsOut,
    CountQueryIn,
    DocumentQueryIn,
    FeeIn,
    FeeOut,
    FeePageOut,
    FeeQueryIn,
    FeeVoidIn,
    LocationIn,
    MovementPageOut,
    MovementQueryIn,
    RejectDocumentIn,
    SignIn,
    StockCountIn,
    StockCountOut,
    StockCountPageOut,
    StockReceiptIn,
    StockReceiptOut,
    StockReceiptPageOut,
    TransferIn,
    TransferOut,
    TransferPageOut,
    TransferReceiveIn,
)
from admin.schemas import StockOut
from admin.security import current_staff
from app.api import named
from app.backoffice import alerts
from app.http import pdf_response
from app.inventory import printing, queries, services
from app.validation import WholeListIn, page_of_list

bp = StaffBlueprint("admin_inventory", __name__, "库存成本：入库、调拨、盘点")


def _one(details, document):
    return details([document])[0]


# What the API says of each document endpoint, by the endpoint's name.
_DOCS = {
    "create_receipt": """Goods from a supplier at a unit cost per line: on hand up, the moving average recomputed
    (after the signatures an approval rule for `stock_receipt` asks for, if one matches). The same
    warehouse, supplier and reference answers with the receipt already made.""",
    "approve_receipt": "Sign the receipt's next step; the last signature puts the goods on hand.",
    "create_transfer": """Goods leave `from` at once at its moving average and are `in_transit` to `to` (or
    `pending` while an approval rule for `transfer` waits for signatures); `insufficient_stock`
    409 when `from`'s available does not cover them.""",
    "list_transfers": "Transfers from or to the caller's warehouses (`warehouse_id`: from or to it).",
    "approve_transfer": "Sign the transfer's next step; the last signature sends the goods.",
    "create_count": """Counted quantities against the book; each variance posted at cost; a count below what is
    reserved is refused (`invalid_state` 409) and nothing is posted.""",
}


def _named(name: str):
    return named(name, _DOCS.get(name))


def _document_endpoints(noun: str, path: str, schemas: tuple, *, signed: bool = False) -> None:
    """A stock document's endpoints, the same for receipts, transfers and counts: create it
    (stock.manage), list and read those in the caller's scope (stock.view) and, for the documents
    an approval rule may hold (`signed`), sign or reject its next step. `schemas` are the
    document's (In, Out, PageOut, QueryIn); the services and queries are found by the names the
    inventory context gives them for every document: `create_<noun>`, `<noun>_in_scope`,
    `approve_<noun>`, `reject_<noun>`, `<noun>s_query`, `<noun>_details`."""
    document_in, document_out, page_out, query_in = schemas
    create, in_scope = getattr(services, f"create_{noun}"), getattr(services, f"{noun}_in_scope")
    search, details = getattr(queries, f"{noun}s_query"), getattr(queries, f"{noun}_details")
    item = f"{path}/<id:{noun}_id>"

    def detailed(find):
        """`find`, answering the document with its details."""
        return lambda staff, *values: _one(details, find(staff, *values))

    @bp.post(path)
    @bp.staff("stock.manage", body=document_in, status=201, out=document_out)
    @_named(f"create_{noun}")
    def create_document(data):
        return detailed(create)(current_staff(), data)

    @bp.listing(path, "stock.view", query_in, page_out, details)
    @_named(f"list_{noun}s")
    def list_documents(args):
        return search(current_staff(), args)

    bp.detail(f"get_{noun}", item, "stock.view", document_out, detailed(in_scope))
    if signed:
        bp.sign_or_reject(
            item,
            noun,
            document_out,
            SimpleNamespace(
                approve=detailed(getattr(services, f"approve_{noun}")),
                reject=detailed(getattr(services, f"reject_{noun}")),
            ),
            (SignIn, RejectDocumentIn),
            _DOCS.get(f"approve_{noun}"),
            permission="stock.view",
        )


# --- receipts, transfers, counts --------------------------------------------------------------


_document_endpoints(
    "receipt",
    "/stock/receipts",
    (StockReceiptIn, StockReceiptOut, StockReceiptPageOut, DocumentQueryIn),
    signed=True,
)
_document_endpoints(
    "transfer",
    "/stock/transfers",
    (TransferIn, TransferOut, TransferPageOut, DocumentQueryIn),
    signed=True,
)


@bp.post("/stock/transfers/<id:transfer_id>/receive")
@bp.staff("stock.manage", body=TransferReceiveIn, out=TransferOut)
def receive_transfer(data, transfer_id):
    """The receiving warehouse takes goods in, partly or wholly, at the cost they left with."""
    transfer = services.receive_transfer(current_staff(), transfer_id, data["lines"])
    return _one(queries.transfer_details, transfer)


# --- counts, the ledger, locations ------------------------------------------------------------


_document_endpoints(
    "count", "/stock/counts", (StockCountIn, StockCountOut, StockCountPageOut, CountQueryIn)
)


@bp.listing("/stock/movements", "stock.view", MovementQueryIn, MovementPageOut)
def movements(args):
    """The on-hand ledger, newest first: each movement's signed quantity, the cost it moved at
    (`unit_cost`, and `value` exactly), the document it belongs to (`ref`) and the on hand after
    it. Reservations move no goods and are not listed."""
    return queries.movements_query(current_staff(), args)


@bp.put("/stock/location")
@bp.staff("stock.manage", body=LocationIn, out=StockOut)
def set_location(data):
    """Where a product lies in a warehouse (库位), printed on picking lists."""
    return services.set_location(
        current_staff(), data["warehouse_id"], data["product_id"], data["location"]
    )


# --- customer fees ----------------------------------------------------------------------------


@bp.post("/customers/<id:customer_id>/fees")
@bp.staff("fees.manage", body=FeeIn, status=201, out=FeeOut)
def record_fee(data, customer_id):
    """A fee spent on the customer (进场费 listing, 促销费 promotion, 返利 rebate, 陈列费 display,
    other): it comes off the customer's profit (GET /reports/profit)."""
    return services.record_fee(current_staff(), customer_id, data)


@bp.post("/customers/<id:customer_id>/fees/<id:fee_id>/void")
@bp.staff("fees.manage", body=FeeVoidIn, out=FeeOut)
def void_fee(data, customer_id, fee_id):
    """作废 a fee recorded by mistake: it stays listed (`voided_at`, `voided_by`, `void_reason`)
    and no longer counts in profit. A second void: 409 invalid_state."""
    return services.void_fee(current_staff(), customer_id, fee_id, data["reason"])


@bp.listing("/customers/<id:customer_id>/fees", "customers.view", FeeQueryIn, FeePageOut)
def list_fees(args, customer_id):
    return services.fees_of(
        current_staff(), customer_id, args.get("date_from"), args.get("date_to")
    )


# --- alerts -----------------------------------------------------------------------------------


@bp.get("/alerts")
@bp.staff(None, query=WholeListIn, out=AlertsOut)
def list_alerts(args):
    """What needs the caller's attention, in their scope: low_stock (available under the
    product's safety_stock), credit_near_limit (90% or more used), overdue (receivables past 60
    days), stuck_order (approved and unshipped for 3 days), shop_sync_failed."""
    return page_of_list(alerts.alerts_for(current_staff()), args)


# --- printed papers ---------------------------------------------------------------------------


@bp.get("/orders/<id:order_id>/picking-list.pdf")
@bp.staff("orders.view")
@bp.doc(responses={200: {"content": {"application/pdf": {}}}})
def picking_list(order_id):
    """拣货单 (A4, Chinese): the lines still to ship by bin location — SKU, name, quantity, unit,
    location — with the order number and each SKU as a Code 128 barcode."""
    return pdf_response(*printing.picking_list(current_staff(), order_id))


@bp.get("/shipments/<id:shipment_id>/delivery-note.pdf")
@bp.staff("orders.view")
@bp.doc(responses={200: {"content": {"application/pdf": {}}}})
def delivery_note(shipment_id):
    """送货单 (A4, Chinese) of one shipment, with its number and each SKU as a barcode."""
    return pdf_response(*printing.delivery_note(current_staff(), shipment_id))
