"""Inventory at cost: stock receipts, transfers (send, receive), counts, the stock ledger, bin
locations and customer fees (API.md "Inventory at cost")."""

from __future__ import annotations

from admin.inventory_schemas import (
    AlertsOut,
    CountQueryIn,
    DocumentQueryIn,
    FeeIn,
    FeeOut,
    FeePageOut,
    FeeQueryIn,
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
from admin.security import current_staff, staff_required
from app.api import Blueprint
from app.backoffice import alerts
from app.http import pdf_response
from app.inventory import printing, queries, services
from app.validation import page_of_query

bp = Blueprint(
    "admin_inventory",
    __name__,
    url_prefix="/api/admin/v1",
    description="库存成本：入库、调拨、盘点",
)


def _one(details, document):
    return details([document])[0]


# --- receipts ---------------------------------------------------------------------------------


@bp.post("/stock/receipts")
@staff_required("stock.manage")
@bp.arguments(StockReceiptIn)
@bp.response(201, StockReceiptOut)
def create_receipt(data):
    """Goods from a supplier at a unit cost per line: on hand up, the moving average recomputed
    (after the signatures an approval rule for `stock_receipt` asks for, if one matches). The same
    warehouse, supplier and reference answers with the receipt already made."""
    return _one(queries.receipt_details, services.create_receipt(current_staff(), data))


@bp.get("/stock/receipts")
@staff_required("stock.view")
@bp.arguments(DocumentQueryIn, location="query")
@bp.response(200, StockReceiptPageOut)
def list_receipts(args):
    return page_of_query(
        queries.receipts_query(current_staff(), args), args, queries.receipt_details
    )


@bp.get("/stock/receipts/<id:receipt_id>")
@staff_required("stock.view")
@bp.response(200, StockReceiptOut)
def get_receipt(receipt_id):
    return _one(queries.receipt_details, services.receipt_in_scope(current_staff(), receipt_id))


@bp.post("/stock/receipts/<id:receipt_id>/approve")
@staff_required("stock.view")
@bp.arguments(SignIn)
@bp.response(200, StockReceiptOut)
def approve_receipt(data, receipt_id):
    """Sign the receipt's next step; the last signature puts the goods on hand."""
    receipt = services.approve_receipt(current_staff(), receipt_id, data["comment"])
    return _one(queries.receipt_details, receipt)


@bp.post("/stock/receipts/<id:receipt_id>/reject")
@staff_required("stock.view")
@bp.arguments(RejectDocumentIn)
@bp.response(200, StockReceiptOut)
def reject_receipt(data, receipt_id):
    receipt = services.reject_receipt(current_staff(), receipt_id, data["reason"])
    return _one(queries.receipt_details, receipt)


# --- transfers --------------------------------------------------------------------------------


@bp.post("/stock/transfers")
@staff_required("stock.manage")
@bp.arguments(TransferIn)
@bp.response(201, TransferOut)
def create_transfer(data):
    """Goods leave `from` at once at its moving average and are `in_transit` to `to` (or
    `pending` while an approval rule for `transfer` waits for signatures); `insufficient_stock`
    409 when `from`'s available does not cover them."""
    return _one(queries.transfer_details, services.create_transfer(current_staff(), data))


@bp.get("/stock/transfers")
@staff_required("stock.view")
@bp.arguments(DocumentQueryIn, location="query")
@bp.response(200, TransferPageOut)
def list_transfers(args):
    """Transfers from or to the caller's warehouses (`warehouse_id`: from or to it)."""
    return page_of_query(
        queries.transfers_query(current_staff(), args), args, queries.transfer_details
    )


@bp.get("/stock/transfers/<id:transfer_id>")
@staff_required("stock.view")
@bp.response(200, TransferOut)
def get_transfer(transfer_id):
    return _one(queries.transfer_details, services.transfer_in_scope(current_staff(), transfer_id))


@bp.post("/stock/transfers/<id:transfer_id>/receive")
@staff_required("stock.manage")
@bp.arguments(TransferReceiveIn)
@bp.response(200, TransferOut)
def receive_transfer(data, transfer_id):
    """The receiving warehouse takes goods in, partly or wholly, at the cost they left with."""
    transfer = services.receive_transfer(current_staff(), transfer_id, data["lines"])
    return _one(queries.transfer_details, transfer)


@bp.post("/stock/transfers/<id:transfer_id>/approve")
@staff_required("stock.view")
@bp.arguments(SignIn)
@bp.response(200, TransferOut)
def approve_transfer(data, transfer_id):
    """Sign the transfer's next step; the last signature sends the goods."""
    transfer = services.approve_transfer(current_staff(), transfer_id, data["comment"])
    return _one(queries.transfer_details, transfer)


@bp.post("/stock/transfers/<id:transfer_id>/reject")
@staff_required("stock.view")
@bp.arguments(RejectDocumentIn)
@bp.response(200, TransferOut)
def reject_transfer(data, transfer_id):
    transfer = services.reject_transfer(current_staff(), transfer_id, data["reason"])
    return _one(queries.transfer_details, transfer)


# --- counts, the ledger, locations ------------------------------------------------------------


@bp.post("/stock/counts")
@staff_required("stock.manage")
@bp.arguments(StockCountIn)
@bp.response(201, StockCountOut)
def create_count(data):
    """Counted quantities against the book; each variance posted at cost; a count below what is
    reserved is refused (`invalid_state` 409) and nothing is posted."""
    return _one(queries.count_details, services.create_count(current_staff(), data))


@bp.get("/stock/counts")
@staff_required("stock.view")
@bp.arguments(CountQueryIn, location="query")
@bp.response(200, StockCountPageOut)
def list_counts(args):
    return page_of_query(queries.counts_query(current_staff(), args), args, queries.count_details)


@bp.get("/stock/counts/<id:count_id>")
@staff_required("stock.view")
@bp.response(200, StockCountOut)
def get_count(count_id):
    return _one(queries.count_details, services.count_in_scope(current_staff(), count_id))


@bp.get("/stock/movements")
@staff_required("stock.view")
@bp.arguments(MovementQueryIn, location="query")
@bp.response(200, MovementPageOut)
def movements(args):
    """The on-hand ledger, newest first: each movement's signed quantity, the cost it moved at
    (`unit_cost`, and `value` exactly), the document it belongs to (`ref`) and the on hand after
    it. Reservations move no goods and are not listed."""
    return page_of_query(queries.movements_query(current_staff(), args), args)


@bp.put("/stock/location")
@staff_required("stock.manage")
@bp.arguments(LocationIn)
@bp.response(200, StockOut)
def set_location(data):
    """Where a product lies in a warehouse (库位), printed on picking lists."""
    return services.set_location(
        current_staff(), data["warehouse_id"], data["product_id"], data["location"]
    )


# --- customer fees ----------------------------------------------------------------------------


@bp.post("/customers/<id:customer_id>/fees")
@staff_required("fees.manage")
@bp.arguments(FeeIn)
@bp.response(201, FeeOut)
def record_fee(data, customer_id):
    """A fee spent on the customer (进场费 listing, 促销费 promotion, 返利 rebate, 陈列费 display,
    other): it comes off the customer's profit (GET /reports/profit)."""
    return services.record_fee(current_staff(), customer_id, data)


@bp.get("/customers/<id:customer_id>/fees")
@staff_required("customers.view")
@bp.arguments(FeeQueryIn, location="query")
@bp.response(200, FeePageOut)
def list_fees(args, customer_id):
    query = services.fees_of(
        current_staff(), customer_id, args.get("date_from"), args.get("date_to")
    )
    return page_of_query(query, args)


# --- alerts -----------------------------------------------------------------------------------


@bp.get("/alerts")
@staff_required(None)
@bp.response(200, AlertsOut)
def list_alerts():
    """What needs the caller's attention, in their scope: low_stock (available under the
    product's safety_stock), credit_near_limit (90% or more used), overdue (receivables past 60
    days), stuck_order (approved and unshipped for 3 days), shop_sync_failed."""
    return {"items": alerts.alerts_for(current_staff())}


# --- printed papers ---------------------------------------------------------------------------


@bp.get("/orders/<id:order_id>/picking-list.pdf")
@staff_required("orders.view")
@bp.doc(responses={200: {"content": {"application/pdf": {}}}})
def picking_list(order_id):
    """拣货单 (A4, Chinese): the lines still to ship by bin location — SKU, name, quantity, unit,
    location — with the order number and each SKU as a Code 128 barcode."""
    return pdf_response(*printing.picking_list(current_staff(), order_id))


@bp.get("/shipments/<id:shipment_id>/delivery-note.pdf")
@staff_required("orders.view")
@bp.doc(responses={200: {"content": {"application/pdf": {}}}})
def delivery_note(shipment_id):
    """送货单 (A4, Chinese) of one shipment, with its number and each SKU as a barcode."""
    return pdf_response(*printing.delivery_note(current_staff(), shipment_id))
