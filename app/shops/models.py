"""Tables of the online shops: shops and their SKU mapping, platform orders (one row per
platform order per shop, invariant 11), our working shop orders and their lines, and two outbox
tables — tracking write-backs and stock pushes."""

from __future__ import annotations

from peewee import BooleanField, CharField, Check, DateTimeField, ForeignKeyField, IntegerField

from app.core.models import Product, Region, Warehouse
from app.db import BaseModel, MoneyField, utcnow
from app.outbox import OutboxRow


class Shop(BaseModel):
    """A store on a platform, reached with the merchant's authorisation. The secret and token
    never leave the server; `sync_cursor`/`sync_page` say where the next download starts."""

    name = CharField(max_length=100)
    platform = CharField(max_length=16)  # taobao | pdd | doudian | youzan
    app_key = CharField(max_length=64)
    app_secret = CharField(max_length=128)
    access_token = CharField(max_length=255)
    warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
    stock_share_pct = IntegerField(
        default=100, constraints=[Check("stock_share_pct BETWEEN 0 AND 100")]
    )
    safety_stock = IntegerField(default=0, constraints=[Check("safety_stock >= 0")])
    active = BooleanField(default=True)
    last_synced_at = DateTimeField(null=True)
    sync_error = CharField(max_length=500, default="")
    sync_failed_at = DateTimeField(null=True)
    sync_cursor = DateTimeField(null=True)  # the start of the window not yet fully downloaded
    sync_page = IntegerField(default=1)  # the next page of that window
    sync_lease_until = DateTimeField(null=True)  # a download is running until then
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("platform", "app_key"), True),)


class ShopSku(BaseModel):
    """A platform SKU of a shop mapped to one of our products: `qty` of our units per platform
    unit (a 6-pack listed as one). `auto`: mapped because the codes are equal."""

    shop = ForeignKeyField(Shop, backref="skus", on_delete="CASCADE")
    platform_sku = CharField(max_length=64)
    product = ForeignKeyField(Product, on_delete="RESTRICT")
    qty = IntegerField(default=1, constraints=[Check("qty >= 1")])
    auto = BooleanField(default=False)
    # The platform's ids of the listing (TOP num_iid, 拼多多 goods_id, 抖店 product_id, 有赞
    # item_id) and of the SKU in it: learnt from downloaded orders or asked of the platform by
    # the SKU's code before the first push; "" while unknown.
    platform_item_id = CharField(max_length=32, default="")
    platform_sku_id = CharField(max_length=32, default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("shop", "platform_sku"), True), (("product",), False))


class PlatformOrder(BaseModel):
    """One order as the platform knows it: downloaded any number of times, one row (invariant 11)."""

    shop = ForeignKeyField(Shop, on_delete="CASCADE")
    platform_order_id = CharField(max_length=64)
    status = CharField(max_length=16)  # unpaid | paid | shipped | cancelled (the platform's)
    modified_at = DateTimeField()
    downloaded_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("shop", "platform_order_id"), True),)


class ShopOrder(Region, BaseModel):
    """What the warehouse works on: one platform order, several merged, or part of one split.
    Receivers are kept as the platform gave them (masked)."""

    number = CharField(max_length=32, unique=True)
    shop = ForeignKeyField(Shop, backref="orders", on_delete="CASCADE")
    status = CharField(max_length=16, index=True)
    buyer = CharField(max_length=100, default="")
    receiver_name = CharField(max_length=64, default="")
    receiver_phone = CharField(max_length=32, default="")
    province = CharField(max_length=32, default="")
    city = CharField(max_length=32, default="")
    district = CharField(max_length=32, default="")
    address = CharField(max_length=255, default="")
    merge_key = CharField(max_length=500, default="")
    total = MoneyField(default=0)
    paid_at = DateTimeField(null=True)
    reserved = BooleanField(default=False)  # every line's stock is reserved
    exception = CharField(max_length=500, default="")
    carrier = CharField(max_length=8, default="")
    tracking_no = CharField(max_length=64, default="", index=True)
    merged_into = ForeignKeyField("self", null=True, on_delete="SET NULL")
    shipped_at = DateTimeField(null=True)
    # Whether the platform has taken the tracking number: "" (not shipped), pending, done.
    written_back = CharField(max_length=16, default="")
    created_at = DateTimeField(default=utcnow, index=True)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("shop", "status", "merge_key"), False),)


class ShopOrderLine(BaseModel):
    """A line of a shop order: platform units (`qty`) and ours (`base_qty`, what is reserved)."""

    order = ForeignKeyField(ShopOrder, backref="lines", on_delete="CASCADE")
    platform_order = ForeignKeyField(PlatformOrder, on_delete="CASCADE")
    platform_sku = CharField(max_length=64)
    product = ForeignKeyField(Product, null=True, on_delete="RESTRICT")
    qty = IntegerField(constraints=[Check("qty > 0")])
    base_qty = IntegerField(default=0)
    price = MoneyField()


class WriteBack(OutboxRow):
    """Outbox: a platform order's carrier and tracking number, retried until the platform takes it."""

    shop_order = ForeignKeyField(ShopOrder, on_delete="CASCADE")
    platform_order = ForeignKeyField(PlatformOrder, on_delete="CASCADE")
    carrier = CharField(max_length=8)
    tracking_no = CharField(max_length=64)
    status = CharField(max_length=16, default="pending", index=True)  # pending | delivered | dead
    delivered_at = DateTimeField(null=True)


class StockPush(OutboxRow):
    """Outbox: a shop's platform SKU needs its sellable quantity sent. The figure is computed
    when it is sent, so a burst of changes sends the latest; rows not yet tried coalesce."""

    shop = ForeignKeyField(Shop, on_delete="CASCADE")
    platform_sku = CharField(max_length=64)
    # pending | delivered | superseded (a newer row for the same SKU) | dead
    status = CharField(max_length=16, default="pending")
    qty = IntegerField(null=True)  # what was sent
    pushed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("shop", "platform_sku", "status"), False), (("status", "shop"), False))


MODELS = [Shop, ShopSku, PlatformOrder, ShopOrder, ShopOrderLine, WriteBack, StockPush]
