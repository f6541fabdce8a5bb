"""Schemas of the field's records that more than one surface answers with: a dealer's stock and
sales report, reported by the dealer in the mini-program or by a rep on a visit, read by staff."""

from __future__ import annotations

from marshmallow import fields

from app.field.models import StockSalesLine, StockSalesReport
from app.validation import columns


class StockSalesLineOut(columns(StockSalesLine, "product_id", "stock_qty", "sales_qty")):
    """A product's stock at the period's end and its sales over the period."""


class StockSalesReportOut(columns(StockSalesReport, "id", "period_end", "source", "created_at")):
    """A dealer's stock and sales at a period's end, as a dealer or a rep reported it."""

    lines = fields.List(fields.Nested(StockSalesLineOut))
