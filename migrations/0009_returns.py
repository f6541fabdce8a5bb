"""Returns (退货): requests, lines, events, approval steps, photos; returned quantity per order
line. Written by hand in the shape `pwmigrate generate` gives."""

from peewee import *


def up(migrator, db):
    class Customer(Model):
        class Meta:
            database = db
            table_name = "customer"

    class Staff(Model):
        class Meta:
            database = db
            table_name = "staff"

    class Product(Model):
        class Meta:
            database = db
            table_name = "product"

    class Order(Model):
        class Meta:
            database = db
            table_name = "sales_order"

    class OrderLine(Model):
        class Meta:
            database = db
            table_name = "sales_order_line"

    migrator.migrate(
        migrator.add_column(
            "sales_order_line",
            "returned_qty",
            IntegerField(
                default=0,
                constraints=[
                    SQL("CHECK (returned_qty >= 0)"),
                    SQL("CHECK (returned_qty <= shipped_qty)"),
                ],
            ),
        )
    )

    class ReturnRequest(Model):
        number = CharField(max_length=32, unique=True)
        order = ForeignKeyField(Order, on_delete="RESTRICT")
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        status = CharField(max_length=24, index=True)
        reason = CharField(max_length=500)
        reject_reason = CharField(max_length=500, default="")
        amount = BigIntegerField()
        received_amount = BigIntegerField(default=0)
        requested_by = CharField(max_length=64, default="")
        created_at = DateTimeField(index=True)
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "return_request"

    class ReturnLine(Model):
        request = ForeignKeyField(ReturnRequest, on_delete="CASCADE")
        order_line = ForeignKeyField(OrderLine, on_delete="RESTRICT")
        product = ForeignKeyField(Product, on_delete="RESTRICT")
        qty = IntegerField(constraints=[SQL("CHECK (qty > 0)")])
        received_qty = IntegerField(default=0)
        price = BigIntegerField()
        amount = BigIntegerField()

        class Meta:
            database = db
            table_name = "return_line"
            constraints = [SQL("CHECK (received_qty >= 0)"), SQL("CHECK (received_qty <= qty)")]

    class ReturnEvent(Model):
        request = ForeignKeyField(ReturnRequest, on_delete="CASCADE")
        action = CharField(max_length=24)
        from_status = CharField(max_length=24, null=True)
        to_status = CharField(max_length=24)
        actor = CharField(max_length=64, default="")
        note = CharField(max_length=500, default="")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "return_event"

    class ReturnStep(Model):
        request = ForeignKeyField(ReturnRequest, on_delete="CASCADE")
        seq = IntegerField()
        role = CharField(max_length=32)
        rule_name = CharField(max_length=100, default="")
        signed_by = ForeignKeyField(Staff, null=True, on_delete="RESTRICT")
        signed_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "return_step"
            indexes = ((("request", "seq"), True),)

    class ReturnPhoto(Model):
        request = ForeignKeyField(ReturnRequest, on_delete="CASCADE")
        storage_key = CharField(max_length=255)
        content_type = CharField(max_length=32)
        size = IntegerField()
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "return_photo"

    db.create_tables([ReturnRequest, ReturnLine, ReturnEvent, ReturnStep, ReturnPhoto])


def down(migrator, db):
    for table in ("return_photo", "return_step", "return_event", "return_line", "return_request"):
        migrator.migrate(migrator.drop_table(table))
    migrator.migrate(migrator.drop_column("sales_order_line", "returned_qty"))
