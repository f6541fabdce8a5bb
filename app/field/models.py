"""Field tables: stock/sales reports, from dealers themselves or from reps on a visit."""

from __future__ import annotations

from peewee import (
    CharField,
    Check,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    SmallIntegerField,
)

from app.core.models import Customer, Product, Staff, StoredPhoto
from app.db import BaseModel, utcnow
from app.mall.models import WechatUser


class Visit(BaseModel):
    """A rep's store visit: check-in near the store, photos, report, orders, check-out."""

    staff = ForeignKeyField(Staff, backref="visits", on_delete="RESTRICT")
    customer = ForeignKeyField(Customer, backref="visits", on_delete="RESTRICT")
    # Equal to staff_id while the visit is open, NULL once closed: a unique column, so the
    # database itself allows one open visit per rep.
    open_for_staff = IntegerField(null=True, unique=True)
    checkin_at = DateTimeField(default=utcnow, index=True)
    checkin_lat = DecimalField(max_digits=9, decimal_places=6)
    checkin_lng = DecimalField(max_digits=9, decimal_places=6)
    checkin_distance_m = IntegerField()
    checkout_at = DateTimeField(null=True)
    checkout_lat = DecimalField(max_digits=9, decimal_places=6, null=True)
    checkout_lng = DecimalField(max_digits=9, decimal_places=6, null=True)
    checkout_distance_m = IntegerField(null=True)
    duration_s = IntegerField(null=True)


class VisitPhoto(StoredPhoto):
    visit = ForeignKeyField(Visit, backref="photos", on_delete="CASCADE")


class ReplenishmentSetting(BaseModel):
    """How suggestions are computed: for one customer, or (customer NULL) the global default."""

    customer = ForeignKeyField(Customer, null=True, unique=True, on_delete="CASCADE")
    method = CharField(max_length=16, default="turnover")  # sell_one | stock_gap | turnover
    window_days = SmallIntegerField(default=30, constraints=[Check("window_days >= 1")])
    turnover_days = SmallIntegerField(default=14, constraints=[Check("turnover_days >= 0")])
    lead_days = SmallIntegerField(default=3, constraints=[Check("lead_days >= 0")])


class StockSalesReport(BaseModel):
    """What a dealer had on the shelf and sold in a period, per product."""

    customer = ForeignKeyField(Customer, backref="stock_reports", on_delete="CASCADE")
    period_end = DateField()
    source = CharField(max_length=16)  # dealer | rep
    reported_by_user = ForeignKeyField(WechatUser, null=True, on_delete="SET NULL")
    reported_by_staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    visit = ForeignKeyField(Visit, null=True, backref="reports", on_delete="SET NULL")
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


MODELS = [Visit, VisitPhoto, ReplenishmentSetting, StockSalesReport, StockSalesLine]
