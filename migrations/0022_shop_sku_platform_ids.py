"""The platform's own ids of a mapped SKU — its listing (TOP num_iid, 拼多多 goods_id, 抖店
product_id, 有赞 item_id) and the SKU within it — which the platforms' stock APIs address: the
batch ones update the SKUs of one listing per call. Written by hand in the shape
`pwmigrate generate` gives."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("shop_sku", "platform_item_id", CharField(max_length=32, default="")),
        migrator.add_column("shop_sku", "platform_sku_id", CharField(max_length=32, default="")),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("shop_sku", "platform_sku_id"),
        migrator.drop_column("shop_sku", "platform_item_id"),
    )
