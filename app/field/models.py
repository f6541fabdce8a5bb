"""Field tables: stock/sales reports, from dealers themselves or from reps on a visit."""

from __future__ import annotations

from peewee import CharField, Check, DateField, DateTimeField, ForeignKeyField, IntegerField

from app.core.models import Customer, Product, Staff
from app.db import BaseModel, utcnow
from app.mall.models import WechatUser


class StockSalesReport(BaseModel):
    """What a dealer had on the shelf and sold in a period, per product."""

    customer = ForeignKeyField(Customer, backref="stock_reports", on_delete="CASCADE")
    period_end = DateField()
    source = CharField(max_length=16)  # dealer | rep
    reported_by_user = ForeignKeyField(WechatUser, null=True, on_delete="SET NULL")
    reported_by_staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("customer", "period_end"), False),)


class StockSalesLine(BaseModel):
    report = ForeignKeyField(StockSalesReport, backref="lines", on_delete="CASCADE")
    product = ForeignKeyField(Product, on_delete="CASCADE")
    stock_qty = IntegerField(constraints=[Check("stock_qty >= 0")])
    sales_qty = IntegerField(constraints=[Check("sales_qty >= 0")])

    class Meta:
        indexes = ((("report", "product"), True),)


MODELS = [StockSalesReport, StockSalesLine]
