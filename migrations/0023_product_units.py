"""Units (箱 = 12 件): a product's named units besides its base one, and on cart and order lines
the unit the dealer ordered in with its count (null on older lines: the base unit). Written by
hand in the shape `pwmigrate generate` gives."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("product", "units", TextField(default="[]")),
        migrator.add_column("cart_item", "unit", CharField(max_length=16, null=True)),
        migrator.add_column("cart_item", "unit_qty", IntegerField(null=True)),
        migrator.add_column("sales_order_line", "unit", CharField(max_length=16, null=True)),
        migrator.add_column("sales_order_line", "unit_qty", IntegerField(null=True)),
    )


def down(migrator, db):
    legacy = {"legacy": True} if type(migrator).__name__ == "SqliteMigrator" else {}
    migrator.migrate(
        migrator.drop_column("sales_order_line", "unit_qty", **legacy),
        migrator.drop_column("sales_order_line", "unit", **legacy),
        migrator.drop_column("cart_item", "unit_qty", **legacy),
        migrator.drop_column("cart_item", "unit", **legacy),
        migrator.drop_column("product", "units", **legacy),
    )
