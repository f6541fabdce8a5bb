"""Stock/sales reports: what a dealer had and sold, from the dealer or from a rep on a visit."""

from __future__ import annotations

import datetime as dt

from app.core.models import Customer, Product
from app.db import transaction
from app.errors import NotFound, ValidationFailed
from app.field.models import StockSalesLine, StockSalesReport
from app.timeutil import local_today


def submit_report(
    customer_id: int,
    period_end: dt.date,
    lines: list[dict],
    *,
    source: str,
    user_id: int | None = None,
    staff_id: int | None = None,
    visit_id: int | None = None,
) -> StockSalesReport:
    """Record stock on hand and sales per product up to `period_end`.

    Raises: ValidationFailed (future date, empty or repeated products), NotFound (product).
    """
    if period_end > local_today():
        raise ValidationFailed("截止日期不能晚于今天", period_end=["不能晚于今天"])
    if not lines:
        raise ValidationFailed("至少填写一个商品", lines=["至少填写一个商品"])
    ids = [ln["product_id"] for ln in lines]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("同一商品请合并为一行", lines=["同一商品请合并为一行"])
    with transaction():
        if not Customer.select().where(Customer.id == customer_id).exists():
            raise NotFound("客户不存在", customer_id=customer_id)
        known = {p.id for p in Product.select(Product.id).where(Product.id << ids)}
        missing = sorted(set(ids) - known)
        if missing:
            raise NotFound("商品不存在", product_ids=missing)
        report = StockSalesReport.create(
            customer=customer_id,
            period_end=period_end,
            source=source,
            reported_by_user=user_id,
            reported_by_staff=staff_id,
            visit=visit_id,
        )
        StockSalesLine.insert_many(
            [
                {
                    "report": report.id,
                    "product": ln["product_id"],
                    "stock_qty": ln["stock_qty"],
                    "sales_qty": ln["sales_qty"],
                }
                for ln in lines
            ]
        ).execute()
        return report
