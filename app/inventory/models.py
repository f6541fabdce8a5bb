"""Inventory documents: stock receipts (入库单), transfers (调拨单), counts (盘点单), customer fees
(客户费用) and picking checks (拣货核对)."""

from __future__ import annotations

from peewee import CharField, Check, DateField, DateTimeField, ForeignKeyField, IntegerField

from app.core.models import (
    Customer,
    DocumentEvent,
    Order,
    OrderLine,
    Product,
    Warehouse,
)
from app.db import BaseModel, CostField, MoneyField, utcnow


class StockReceipt(BaseModel):
    """Goods received from a supplier at cost. `reference` is the supplier's delivery note or the
    ERP's document number: the same warehouse, supplier and reference is the same receipt, so an
    ERP that sends it again finds the one it sent."""

    number = CharField(max_length=32, unique=True)
    warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
    supplier = CharField(max_length=100, default="")
    reference = CharField(max_length=64)
    status = CharField(max_length=24, index=True)  # pending | received | rejected
    total_cost = CostField(default=0)
    note = CharField(max_length=500, default="")
    created_by = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow, index=True)
    received_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("warehouse", "supplier", "reference"), True),)


class StockReceiptLine(BaseModel):
    receipt = ForeignKeyField(StockReceipt, backref="lines", on_delete="CASCADE")
    product = ForeignKeyField(Product, on_delete="RESTRICT")
    qty = IntegerField(constraints=[Check("qty > 0")])
    unit_cost = CostField(constraints=[Check("unit_cost >= 0")])
    value = CostField()  # qty × unit_cost, exactly


class StockReceiptEvent(DocumentEvent):
    receipt = ForeignKeyField(StockReceipt, backref="events", on_delete="CASCADE")


class Transfer(BaseModel):
    """Goods moving from one warehouse to another (also another branch's): they leave at the
    sender's cost and stay in transit until the receiver takes them, partly or wholly."""

    number = CharField(max_length=32, unique=True)
    from_warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
    to_warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
    # pending (awaiting signatures) | in_transit | partially_received | received | rejected
    status = CharField(max_length=24, index=True)
    note = CharField(max_length=500, default="")
    created_by = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow, index=True)
    sent_at = DateTimeField(null=True)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        constraints = [Check("from_warehouse_id <> to_warehouse_id")]


class TransferLine(BaseModel):
    transfer = ForeignKeyField(Transfer, backref="lines", on_delete="CASCADE")
    product = ForeignKeyField(Product, on_delete="RESTRICT")
    qty = IntegerField(constraints=[Check("qty > 0")])
    received_qty = IntegerField(default=0)
    unit_cost = CostField(default=0)  # the sender's cost when it left
    value = CostField(default=0)  # exactly what left the sender
    received_value = CostField(default=0)  # of which arrived so far

    class Meta:
        indexes = ((("transfer", "product"), True),)
        constraints = [Check("received_qty >= 0"), Check("received_qty <= qty")]


class TransferEvent(DocumentEvent):
    transfer = ForeignKeyField(Transfer, backref="events", on_delete="CASCADE")


class StockCount(BaseModel):
    """A stocktake (盘点): counted quantities against the book, variances posted at cost."""

    number = CharField(max_length=32, unique=True)
    warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
    note = CharField(max_length=500, default="")
    counted_by = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow, index=True)


class StockCountLine(BaseModel):
    count = ForeignKeyField(StockCount, backref="lines", on_delete="CASCADE")
    product = ForeignKeyField(Product, on_delete="RESTRICT")
    book_qty = IntegerField()
    counted_qty = IntegerField(constraints=[Check("counted_qty >= 0")])
    variance = IntegerField()
    unit_cost = CostField(default=0)
    variance_value = CostField(default=0)  # signed, what the variance was posted at


class CustomerFee(BaseModel):
    """A fee spent on a customer (进场费, 促销费, 返利, 陈列费 …): it comes off the customer's profit.
    `brand` when it was spent for one brand (a brand's profit then bears it)."""

    customer = ForeignKeyField(Customer, backref="fees", on_delete="RESTRICT")
    kind = CharField(max_length=16)  # listing | promotion | rebate | display | other
    amount = MoneyField(constraints=[Check("amount > 0")])
    date = DateField(index=True)
    brand = CharField(max_length=64, default="")
    note = CharField(max_length=500, default="")
    recorded_by = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow)
    # 作废: a fee recorded by mistake stays listed, with who voided it, when and why, and no
    # longer counts (fee totals, profit).
    voided_at = DateTimeField(null=True)
    voided_by = CharField(max_length=64, default="")
    void_reason = CharField(max_length=500, default="")

    class Meta:
        indexes = ((("customer", "date"), False),)


class PickCheck(BaseModel):
    """What the warehouse has scanned for an order line while picking (拣货核对)."""

    order = ForeignKeyField(Order, on_delete="CASCADE")
    order_line = ForeignKeyField(OrderLine, unique=True, on_delete="CASCADE")
    picked_qty = IntegerField(default=0, constraints=[Check("picked_qty >= 0")])
    checked_by = CharField(max_length=64, default="")
    updated_at = DateTimeField(default=utcnow)


MODELS = [
    StockReceipt,
    StockReceiptLine,
    StockReceiptEvent,
    Transfer,
    TransferLine,
    TransferEvent,
    StockCount,
    StockCountLine,
    CustomerFee,
    PickCheck,
]
