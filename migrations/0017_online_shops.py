"""Online shops (网店管理): shops, their SKU mapping, platform orders (one per platform order and
shop), shop orders and lines, and the write-back and stock-push outboxes. Written by hand in the
shape `pwmigrate generate` gives."""

from peewee import *


def up(migrator, db):
    class Warehouse(Model):
        class Meta:
            database = db
            table_name = "warehouse"

    class Product(Model):
        class Meta:
            database = db
            table_name = "product"

    class Shop(Model):
        name = CharField(max_length=100)
        platform = CharField(max_length=16)
        app_key = CharField(max_length=64)
        app_secret = CharField(max_length=128)
        access_token = CharField(max_length=255)
        warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
        stock_share_pct = IntegerField(
            default=100, constraints=[SQL("CHECK (stock_share_pct BETWEEN 0 AND 100)")]
        )
        safety_stock = IntegerField(default=0, constraints=[SQL("CHECK (safety_stock >= 0)")])
        active = BooleanField(default=True)
        last_synced_at = DateTimeField(null=True)
        sync_error = CharField(max_length=500, default="")
        sync_failed_at = DateTimeField(null=True)
        sync_cursor = DateTimeField(null=True)
        sync_page = IntegerField(default=1)
        sync_lease_until = DateTimeField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "shop"
            indexes = ((("platform", "app_key"), True),)

    class ShopSku(Model):
        shop = ForeignKeyField(Shop, on_delete="CASCADE")
        platform_sku = CharField(max_length=64)
        product = ForeignKeyField(Product, on_delete="RESTRICT")
        qty = IntegerField(default=1, constraints=[SQL("CHECK (qty >= 1)")])
        auto = BooleanField(default=False)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "shop_sku"
            indexes = ((("shop", "platform_sku"), True), (("product",), False))

    class PlatformOrder(Model):
        shop = ForeignKeyField(Shop, on_delete="CASCADE")
        platform_order_id = CharField(max_length=64)
        status = CharField(max_length=16)
        modified_at = DateTimeField()
        downloaded_at = DateTimeField()

        class Meta:
            database = db
            table_name = "platform_order"
            indexes = ((("shop", "platform_order_id"), True),)

    class ShopOrder(Model):
        number = CharField(max_length=32, unique=True)
        shop = ForeignKeyField(Shop, on_delete="CASCADE")
        status = CharField(max_length=16, index=True)
        buyer = CharField(max_length=100, default="")
        receiver_name = CharField(max_length=64, default="")
        receiver_phone = CharField(max_length=32, default="")
        province = CharField(max_length=32, default="")
        city = CharField(max_length=32, default="")
        district = CharField(max_length=32, default="")
        address = CharField(max_length=255, default="")
        merge_key = CharField(max_length=500, default="")
        total = BigIntegerField(default=0)
        paid_at = DateTimeField(null=True)
        reserved = BooleanField(default=False)
        exception = CharField(max_length=500, default="")
        carrier = CharField(max_length=8, default="")
        tracking_no = CharField(max_length=64, default="", index=True)
        merged_into = ForeignKeyField("self", null=True, on_delete="SET NULL")
        shipped_at = DateTimeField(null=True)
        written_back = CharField(max_length=16, default="")
        created_at = DateTimeField(index=True)
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "shop_order"
            indexes = ((("shop", "status", "merge_key"), False),)

    class ShopOrderLine(Model):
        order = ForeignKeyField(ShopOrder, on_delete="CASCADE")
        platform_order = ForeignKeyField(PlatformOrder, on_delete="CASCADE")
        platform_sku = CharField(max_length=64)
        product = ForeignKeyField(Product, null=True, on_delete="RESTRICT")
        qty = IntegerField(constraints=[SQL("CHECK (qty > 0)")])
        base_qty = IntegerField(default=0)
        price = BigIntegerField()

        class Meta:
            database = db
            table_name = "shop_order_line"

    class WriteBack(Model):
        shop_order = ForeignKeyField(ShopOrder, on_delete="CASCADE")
        platform_order = ForeignKeyField(PlatformOrder, on_delete="CASCADE")
        carrier = CharField(max_length=8)
        tracking_no = CharField(max_length=64)
        status = CharField(max_length=16, default="pending", index=True)
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(index=True)
        last_error = CharField(max_length=500, default="")
        created_at = DateTimeField()
        delivered_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "write_back"

    class StockPush(Model):
        shop = ForeignKeyField(Shop, on_delete="CASCADE")
        platform_sku = CharField(max_length=64)
        status = CharField(max_length=16, default="pending")
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(index=True)
        last_error = CharField(max_length=500, default="")
        qty = IntegerField(null=True)
        created_at = DateTimeField()
        pushed_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "stock_push"
            indexes = ((("shop", "platform_sku", "status"), False), (("status", "shop"), False))

    db.create_tables([Shop, ShopSku, PlatformOrder, ShopOrder, ShopOrderLine, WriteBack, StockPush])


def down(migrator, db):
    for table in (
        "stock_push",
        "write_back",
        "shop_order_line",
        "shop_order",
        "platform_order",
        "shop_sku",
        "shop",
    ):
        migrator.migrate(migrator.drop_table(table))
