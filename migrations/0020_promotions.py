"""Promotions (特价, 阶梯价, 满减, 满赠/买赠) and what an order keeps of them: each line's promotion,
the customer's own price before it, gift flag and share of the order's discounts, the order's discounts and their total. A product may
now have a gift line beside its bought line in one order. Written by hand in the shape
`pwmigrate generate` gives."""

from peewee import *


def up(migrator, db):
    def table(name):
        class Meta:
            database = db
            table_name = name

        return type(name, (Model,), {"Meta": Meta})

    Order = table("sales_order")

    class Promotion(Model):
        name = CharField(max_length=100)
        kind = CharField(max_length=16)
        starts_at = DateTimeField()
        ends_at = DateTimeField(index=True)
        active = BooleanField(default=True)
        branch_ids = TextField(default="[]")
        price_levels = TextField(default="[]")
        customer_ids = TextField(default="[]")
        rules = TextField()
        created_by = CharField(max_length=64, default="")
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "promotion"
            constraints = [Check("ends_at > starts_at")]

    class OrderDiscount(Model):
        order = ForeignKeyField(Order, on_delete="CASCADE")
        promotion = ForeignKeyField(Promotion, on_delete="RESTRICT")
        name = CharField(max_length=100)
        amount = BigIntegerField(constraints=[Check("amount > 0")])

        class Meta:
            database = db
            table_name = "sales_order_discount"

    db.create_tables([Promotion, OrderDiscount])
    migrator.migrate(
        migrator.add_column(
            "sales_order",
            "discount_total",
            BigIntegerField(default=0, constraints=[SQL("CHECK (discount_total >= 0)")]),
        ),
        migrator.add_column(
            "sales_order_line",
            "promotion_id",
            ForeignKeyField(
                Promotion, field=Promotion._meta.primary_key, null=True, on_delete="RESTRICT"
            ),
        ),
        migrator.add_column(
            "sales_order_line", "promotion_label", CharField(max_length=40, default="")
        ),
        migrator.add_column("sales_order_line", "base_price", BigIntegerField(default=0)),
        migrator.add_column("sales_order_line", "gift", BooleanField(default=False)),
        migrator.add_column(
            "sales_order_line",
            "discount",
            BigIntegerField(default=0, constraints=[SQL("CHECK (discount >= 0)")]),
        ),
        migrator.drop_index("sales_order_line", "sales_order_line_order_id_product_id"),
        migrator.add_index("sales_order_line", ("order_id", "product_id", "gift"), True),
    )
    db.execute_sql("UPDATE sales_order_line SET base_price = price")


def down(migrator, db):
    legacy = {"legacy": True} if type(migrator).__name__ == "SqliteMigrator" else {}
    db.execute_sql("DELETE FROM sales_order_line WHERE gift")
    migrator.migrate(
        migrator.drop_index("sales_order_line", "sales_order_line_order_id_product_id_gift"),
        migrator.add_index("sales_order_line", ("order_id", "product_id"), True),
        migrator.drop_column("sales_order_line", "discount", **legacy),
        migrator.drop_column("sales_order_line", "gift", **legacy),
        migrator.drop_column("sales_order_line", "base_price", **legacy),
        migrator.drop_column("sales_order_line", "promotion_label", **legacy),
        migrator.drop_column("sales_order_line", "promotion_id", **legacy),
        migrator.drop_column("sales_order", "discount_total", **legacy),
    )
    migrator.migrate(migrator.drop_table("sales_order_discount"), migrator.drop_table("promotion"))
