"""Inventory rules, pure: document statuses and their names, fee kinds, and what a document's
lines must look like. No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from app.errors import ValidationFailed

RECEIPT_LABELS = {"pending": "待审批", "received": "已入库", "rejected": "已驳回"}
TRANSFER_LABELS = {
    "pending": "待审批",
    "in_transit": "在途",
    "partially_received": "部分到货",
    "received": "已到货",
    "rejected": "已驳回",
}
RECEIVABLE_TRANSFERS = ("in_transit", "partially_received")
FEE_KINDS = {
    "listing": "进场费",
    "promotion": "促销费",
    "rebate": "返利",
    "display": "陈列费",
    "other": "其他费用",
}
ACTION_LABELS = {
    "submit": "提交",
    "sign": "审批签字",
    "approve": "审批通过",
    "reject": "驳回",
    "post": "入库",
    "send": "发出",
    "receive": "到货",
}


def one_line_per_product(product_ids: Iterable[int]) -> list[int]:
    """The products of a document's lines, each once. Raises: ValidationFailed."""
    ids = list(product_ids)
    if not ids:
        raise ValidationFailed("至少需要一行商品", lines=["至少需要一行商品"])
    if len(set(ids)) != len(ids):
        raise ValidationFailed("同一商品请合并为一行", lines=["同一商品请合并为一行"])
    return ids


def margin_pct(gross_profit, net_sales):
    """Gross margin in percent of net sales, 1 decimal; None with no net sales."""
    if not net_sales:
        return None
    return (Decimal(gross_profit) * 100 / Decimal(net_sales)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
