"""Request and response schemas of the admin API's inventory at cost (API.md "Inventory at cost"):
receipts, transfers, counts, the stock ledger, customer fees, the profit report and alerts. The
answers that dump the inventory's documents live beside their models, in app.inventory.schemas
(surfaces may not read models), and are named here for the views."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from app.core.stock import ON_HAND_KINDS
from app.inventory.rules import FEE_KINDS
from app.inventory.schemas import FeeOut as FeeOut
from app.inventory.schemas import FeePageOut as FeePageOut
from app.inventory.schemas import MovementPageOut as MovementPageOut
from app.inventory.schemas import StockCountOut as StockCountOut
from app.inventory.schemas import StockCountPageOut as StockCountPageOut
from app.inventory.schemas import StockReceiptOut as StockReceiptOut
from app.inventory.schemas import StockReceiptPageOut as StockReceiptPageOut
from app.inventory.schemas import TransferOut as TransferOut
from app.inventory.schemas import TransferPageOut as TransferPageOut
from app.schemas import CommentIn, DateRangeIn, GroupedReportOut, GroupRowOut
from app.validation import (
    Cost,
    ListPageOut,
    LocalDateTime,
    Money,
    PageIn,
    business_date,
    id_field,
    money_field,
    optional_text,
    required_text,
    whole_field,
)

STATUS_TEXT = validate.Length(max=24)


def cost_in(**kwargs):
    return Cost(
        validate=validate.Range(min=0, max=99_999_999, error="成本须在 0 到 99999999 之间"),
        **kwargs,
    )


def stock_qty(**kwargs):
    return whole_field(1, 9_999_999, **kwargs)


def lines_of(schema):
    return fields.List(
        fields.Nested(schema), required=True, validate=validate.Length(min=1, max=500)
    )


# --- receipts ---------------------------------------------------------------------------------


class ReceiptLineIn(Schema):
    product_id = id_field(required=True)
    qty = stock_qty(required=True)
    unit_cost = cost_in(required=True)


class StockReceiptIn(Schema):
    warehouse_id = id_field(required=True)
    supplier = optional_text(100)
    reference = fields.String(required=True, validate=validate.Length(min=1, max=64))
    lines = lines_of(ReceiptLineIn)
    note = optional_text(500)


class DocumentQueryIn(PageIn):
    status = fields.String(validate=STATUS_TEXT)
    warehouse_id = id_field(strict=False)
    mine = fields.Boolean(
        load_default=False, metadata={"description": "only those whose next signature is mine"}
    )


class SignIn(CommentIn):
    """A signature on a stock document, with an optional comment."""


class RejectDocumentIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


# --- transfers --------------------------------------------------------------------------------


class TransferLineIn(Schema):
    product_id = id_field(required=True)
    qty = stock_qty(required=True)


class TransferIn(Schema):
    from_warehouse_id = id_field(required=True)
    to_warehouse_id = id_field(required=True)
    lines = lines_of(TransferLineIn)
    note = optional_text(500)


class TransferReceiveIn(Schema):
    lines = lines_of(TransferLineIn)


# --- counts -----------------------------------------------------------------------------------


class CountLineIn(Schema):
    product_id = id_field(required=True)
    counted_qty = whole_field(0, 99_999_999, "盘点数", required=True)


class StockCountIn(Schema):
    warehouse_id = id_field(required=True)
    lines = lines_of(CountLineIn)
    note = optional_text(500)


class CountQueryIn(PageIn):
    warehouse_id = id_field(strict=False)


# --- the ledger -------------------------------------------------------------------------------


class MovementQueryIn(DateRangeIn, PageIn):
    warehouse_id = id_field(strict=False)
    product_id = id_field(strict=False)
    kind = fields.String(validate=validate.OneOf(ON_HAND_KINDS, error="类型无效"))


class LocationIn(Schema):
    warehouse_id = id_field(required=True)
    product_id = id_field(required=True)
    location = fields.String(required=True, validate=validate.Length(max=32))


# --- customer fees ----------------------------------------------------------------------------


class FeeIn(Schema):
    kind = fields.String(
        required=True, validate=validate.OneOf(list(FEE_KINDS), error="费用类型无效")
    )
    amount = Money(
        required=True,
        validate=validate.Range(
            min=Decimal("0.01"), max=999_999_999, error="金额须在 0.01 到 999999999 之间"
        ),
    )
    date = business_date(required=True)
    brand = optional_text(64)
    note = optional_text(500)


class FeeVoidIn(Schema):
    reason = required_text(500, "请填写作废原因（1-500 个字符）")


class FeeQueryIn(DateRangeIn, PageIn):
    """One page of a customer's fees, of the days asked for."""


# --- profit report and alerts -----------------------------------------------------------------


class ProfitQueryIn(DateRangeIn):
    group_by = fields.String(
        load_default="branch",
        validate=validate.OneOf(["branch", "rep", "customer", "brand"], error="分组方式无效"),
    )
    branch_id = id_field(strict=False)


class ProfitTotalsOut(Schema):
    net_sales = money_field()
    cost = money_field()
    gross_profit = money_field()
    gross_margin = fields.Decimal(places=1, as_string=True, allow_none=True)
    fees = money_field()
    profit = money_field()


class ProfitRowOut(GroupRowOut, ProfitTotalsOut):
    """One group's profit."""


class ProfitReportOut(GroupedReportOut):
    items = fields.List(fields.Nested(ProfitRowOut))
    totals = fields.Nested(ProfitTotalsOut)


class AlertOut(Schema):
    kind = fields.String()
    title = fields.String()
    ref = fields.String()
    since = LocalDateTime(allow_none=True)
    details = fields.Dict()


class AlertsOut(ListPageOut):
    items = fields.List(fields.Nested(AlertOut))
