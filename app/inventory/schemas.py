"""The answers of the inventory at cost that dump its models (API.md "Inventory at cost"): stock
receipts, transfers, counts, the stock ledger and customer fees, their columns taken from the
models they show. (The requests, the profit report and the alerts are the admin API's own, in
admin.inventory_schemas.)"""

from __future__ import annotations

from marshmallow import Schema, fields

from app.approval.services import steps_of
from app.core.models import DocumentEvent, StockMovement
from app.inventory.models import (
    CustomerFee,
    StockCount,
    StockCountLine,
    StockReceipt,
    StockReceiptLine,
    Transfer,
    TransferLine,
)
from app.schemas import ApprovalStepOut, DocumentOut
from app.validation import Cost, LocalDateTime, columns, money_field, page_of


class StockLineOut(Schema):
    """A stock document's line: the product, by id, SKU and name, and its unit cost (4 places)."""

    product_id = fields.Integer()
    sku = fields.Function(lambda ln: ln.product.sku)
    name = fields.Function(lambda ln: ln.product.name)
    unit_cost = Cost()


class ReceiptLineOut(columns(StockReceiptLine, "qty", "value"), StockLineOut):
    """A receipt's line: the quantity received and its value at cost."""


class StepOut(ApprovalStepOut):
    """A stock document's approval step."""


class HistoryOut(
    columns(DocumentEvent, "action", "from_status", "to_status", "actor", "note", "created_at")
):
    """A stock document's history: one row per action."""


class SignedDocumentOut(DocumentOut):
    """A stock document that goes through approval: its status, note, who made it and when, its
    signatures (`steps`) and history."""

    document_type: str  # as app.approval names it

    status = fields.String()
    note = fields.String()
    created_by = fields.String()
    created_at = LocalDateTime()
    steps = fields.Method("_steps")
    events = fields.List(fields.Nested(HistoryOut))

    def _steps(self, document):
        return StepOut(many=True).dump(steps_of(self.document_type, document.id))


class StockReceiptOut(
    columns(StockReceipt, "warehouse_id", "supplier", "reference", "received_at"),
    SignedDocumentOut,
):
    document_type = "stock_receipt"

    lines = fields.List(fields.Nested(ReceiptLineOut))
    total_cost = money_field()  # a cost column, answered as money (to the cent)


StockReceiptPageOut = page_of(StockReceiptOut)


class TransferLineOut(columns(TransferLine, "qty", "received_qty", "value"), StockLineOut):
    in_transit = fields.Integer()  # what is still on the way (app.inventory.queries)


class TransferOut(
    columns(Transfer, "from_warehouse_id", "to_warehouse_id", "sent_at"), SignedDocumentOut
):
    document_type = "transfer"

    lines = fields.List(fields.Nested(TransferLineOut))


TransferPageOut = page_of(TransferOut)


class CountLineOut(columns(StockCountLine, "book_qty", "counted_qty", "variance"), StockLineOut):
    variance_value = money_field()  # a cost column, answered as money (to the cent)


class StockCountOut(
    columns(StockCount, "warehouse_id", "note", "counted_by", "created_at"), DocumentOut
):
    lines = fields.List(fields.Nested(CountLineOut))


StockCountPageOut = page_of(StockCountOut)


class MovementOut(
    columns(
        StockMovement,
        "id",
        "warehouse_id",
        "product_id",
        "kind",
        "unit_cost",
        "value",
        "ref",
        "reason",
        "actor",
        "on_hand_after",
    )
):
    """A line of the stock ledger: `qty` is what it moved on hand, `at` when."""

    sku = fields.Function(lambda m: m.product.sku)
    qty = fields.Integer(attribute="on_hand_delta")
    at = LocalDateTime(attribute="created_at")


MovementPageOut = page_of(MovementOut)


class FeeOut(
    columns(
        CustomerFee,
        "id",
        "customer_id",
        "kind",
        "amount",
        "date",
        "brand",
        "note",
        "recorded_by",
        "created_at",
        "voided_at",
        "voided_by",
        "void_reason",
    )
):
    """A fee paid to or for a customer (listing, promotion, rebate …), as it was recorded;
    `voided_at` (null while it counts), `voided_by` and `void_reason` once voided (作废)."""


FeePageOut = page_of(FeeOut)
