"""Inventory at cost (issue 25): stock rows carry value, moving-average unit cost, in-transit
quantity and a location; every stock movement its cost, its value and the on hand after it;
products a brand and a safety stock; shipments their cost of goods; and the inventory documents:
stock receipts, transfers, counts, customer fees, picking checks. Written by hand.

Existing data keeps invariant 9 (on_hand = Σ movements, value = Σ movement values): movements
written before costs were kept move at cost 0, so every existing row's value is 0 — list price is
a selling price, not a cost, and the real cost is unknown (docs/inventory.md says how to bring it
in). A row whose on hand does not equal the sum of its movements gets an opening `adjustment` for
the difference, at cost 0. The ledger's kinds become the contract's: `adjust` → `adjustment`,
`ship` → `shipment`."""

import datetime as dt

from peewee import *


def _cost(**kwargs):
    return BigIntegerField(default=0, **kwargs)


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("product", "brand", CharField(max_length=64, default="")),
        migrator.add_index("product", ("brand",), False, name="product_brand"),
        migrator.add_column(
            "product",
            "safety_stock",
            IntegerField(default=0, constraints=[SQL("CHECK (safety_stock >= 0)")]),
        ),
        migrator.add_column(
            "stock", "in_transit", IntegerField(default=0, constraints=[SQL("CHECK (in_transit >= 0)")])
        ),
        migrator.add_column("stock", "value", _cost(constraints=[SQL("CHECK (value >= 0)")])),
        migrator.add_column("stock", "unit_cost", _cost(constraints=[SQL("CHECK (unit_cost >= 0)")])),
        migrator.add_column("stock", "location", CharField(max_length=32, default="")),
        migrator.add_column("stock_movement", "unit_cost", _cost()),
        migrator.add_column("stock_movement", "value", _cost()),
        migrator.add_column("stock_movement", "on_hand_after", IntegerField(null=True)),
        migrator.add_index(
            "stock_movement",
            ("warehouse_id", "created_at"),
            False,
            name="stockmovement_warehouse_id_created_at",
        ),
        migrator.add_column("shipment", "cost", _cost()),
        migrator.add_column("shipment_line", "cost", _cost()),
    )
    db.execute_sql("UPDATE stock_movement SET kind = 'adjustment' WHERE kind = 'adjust'")
    db.execute_sql("UPDATE stock_movement SET kind = 'shipment' WHERE kind = 'ship'")
    # Rows whose on hand the ledger does not explain: an opening adjustment at cost 0.
    db.execute_sql(
        "INSERT INTO stock_movement (warehouse_id, product_id, kind, on_hand_delta,"
        " reserved_delta, reason, ref, actor, created_at, unit_cost, value)"
        " SELECT s.warehouse_id, s.product_id, 'adjustment',"
        " s.on_hand - COALESCE((SELECT SUM(m.on_hand_delta) FROM stock_movement m"
        "   WHERE m.warehouse_id = s.warehouse_id AND m.product_id = s.product_id), 0),"
        " 0, '期初（成本未知，按 0 计）', 'opening', 'migration', %s, 0, 0"
        " FROM stock s WHERE s.on_hand <> COALESCE((SELECT SUM(m.on_hand_delta)"
        "   FROM stock_movement m WHERE m.warehouse_id = s.warehouse_id"
        "   AND m.product_id = s.product_id), 0)".replace("%s", db.param),
        (dt.datetime.now(dt.UTC).replace(tzinfo=None),),
    )
    db.execute_sql(
        "UPDATE stock_movement SET on_hand_after = (SELECT SUM(m.on_hand_delta)"
        " FROM stock_movement m WHERE m.warehouse_id = stock_movement.warehouse_id"
        " AND m.product_id = stock_movement.product_id AND m.id <= stock_movement.id)"
        " WHERE kind NOT IN ('reserve', 'release')"
    )

    class Warehouse(Model):
        class Meta:
            database = db
            table_name = "warehouse"

    class Product(Model):
        class Meta:
            database = db
            table_name = "product"

    class Customer(Model):
        class Meta:
            database = db
            table_name = "customer"

    class Order(Model):
        class Meta:
            database = db
            table_name = "sales_order"

    class OrderLine(Model):
        class Meta:
            database = db
            table_name = "sales_order_line"

    def events(name, table, document):
        class Event(Model):
            action = CharField(max_length=24)
            from_status = CharField(max_length=24, null=True)
            to_status = CharField(max_length=24)
            actor = CharField(max_length=64, default="")
            note = CharField(max_length=500, default="")
            created_at = DateTimeField()

            class Meta:
                database = db
                table_name = table

        Event._meta.add_field(name, ForeignKeyField(document, on_delete="CASCADE"))
        return Event

    class StockReceipt(Model):
        number = CharField(max_length=32, unique=True)
        warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
        supplier = CharField(max_length=100, default="")
        reference = CharField(max_length=64)
        status = CharField(max_length=24, index=True)
        total_cost = BigIntegerField(default=0)
        note = CharField(max_length=500, default="")
        created_by = CharField(max_length=64, default="")
        created_at = DateTimeField(index=True)
        received_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "stock_receipt"
            indexes = ((("warehouse", "supplier", "reference"), True),)

    class StockReceiptLine(Model):
        receipt = ForeignKeyField(StockReceipt, on_delete="CASCADE")
        product = ForeignKeyField(Product, on_delete="RESTRICT")
        qty = IntegerField(constraints=[SQL("CHECK (qty > 0)")])
        unit_cost = BigIntegerField(constraints=[SQL("CHECK (unit_cost >= 0)")])
        value = BigIntegerField()

        class Meta:
            database = db
            table_name = "stock_receipt_line"

    class Transfer(Model):
        number = CharField(max_length=32, unique=True)
        from_warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
        to_warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
        status = CharField(max_length=24, index=True)
        note = CharField(max_length=500, default="")
        created_by = CharField(max_length=64, default="")
        created_at = DateTimeField(index=True)
        sent_at = DateTimeField(null=True)
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "transfer"
            constraints = [SQL("CHECK (from_warehouse_id <> to_warehouse_id)")]

    class TransferLine(Model):
        transfer = ForeignKeyField(Transfer, on_delete="CASCADE")
        product = ForeignKeyField(Product, on_delete="RESTRICT")
        qty = IntegerField(constraints=[SQL("CHECK (qty > 0)")])
        received_qty = IntegerField(default=0)
        unit_cost = BigIntegerField(default=0)
        value = BigIntegerField(default=0)
        received_value = BigIntegerField(default=0)

        class Meta:
            database = db
            table_name = "transfer_line"
            indexes = ((("transfer", "product"), True),)
            constraints = [
                SQL("CHECK (received_qty >= 0)"),
                SQL("CHECK (received_qty <= qty)"),
            ]

    class StockCount(Model):
        number = CharField(max_length=32, unique=True)
        warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
        note = CharField(max_length=500, default="")
        counted_by = CharField(max_length=64, default="")
        created_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "stock_count"

    class StockCountLine(Model):
        count = ForeignKeyField(StockCount, on_delete="CASCADE")
        product = ForeignKeyField(Product, on_delete="RESTRICT")
        book_qty = IntegerField()
        counted_qty = IntegerField(constraints=[SQL("CHECK (counted_qty >= 0)")])
        variance = IntegerField()
        unit_cost = BigIntegerField(default=0)
        variance_value = BigIntegerField(default=0)

        class Meta:
            database = db
            table_name = "stock_count_line"

    class CustomerFee(Model):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        kind = CharField(max_length=16)
        amount = BigIntegerField(constraints=[SQL("CHECK (amount > 0)")])
        date = DateField(index=True)
        brand = CharField(max_length=64, default="")
        note = CharField(max_length=500, default="")
        recorded_by = CharField(max_length=64, default="")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "customer_fee"
            indexes = ((("customer", "date"), False),)

    class PickCheck(Model):
        order = ForeignKeyField(Order, on_delete="CASCADE")
        order_line = ForeignKeyField(OrderLine, unique=True, on_delete="CASCADE")
        picked_qty = IntegerField(default=0, constraints=[SQL("CHECK (picked_qty >= 0)")])
        checked_by = CharField(max_length=64, default="")
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "pick_check"

    db.create_tables(
        [
            StockReceipt,
            StockReceiptLine,
            events("receipt", "stock_receipt_event", StockReceipt),
            Transfer,
            TransferLine,
            events("transfer", "transfer_event", Transfer),
            StockCount,
            StockCountLine,
            CustomerFee,
            PickCheck,
        ]
    )


def down(migrator, db):
    for table in (
        "pick_check",
        "customer_fee",
        "stock_count_line",
        "stock_count",
        "transfer_event",
        "transfer_line",
        "transfer",
        "stock_receipt_event",
        "stock_receipt_line",
        "stock_receipt",
    ):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
    db.execute_sql("DELETE FROM stock_movement WHERE ref = 'opening' AND actor = 'migration'")
    db.execute_sql("UPDATE stock_movement SET kind = 'adjust' WHERE kind = 'adjustment'")
    db.execute_sql("UPDATE stock_movement SET kind = 'ship' WHERE kind = 'shipment'")
    migrator.migrate(
        migrator.drop_column("shipment_line", "cost"),
        migrator.drop_column("shipment", "cost"),
        migrator.drop_index("stock_movement", "stockmovement_warehouse_id_created_at"),
        migrator.drop_column("stock_movement", "on_hand_after"),
        migrator.drop_column("stock_movement", "value"),
        migrator.drop_column("stock_movement", "unit_cost"),
        migrator.drop_column("stock", "location"),
        migrator.drop_column("stock", "unit_cost"),
        migrator.drop_column("stock", "value"),
        migrator.drop_column("stock", "in_transit"),
        migrator.drop_column("product", "safety_stock"),
        migrator.drop_index("product", "product_brand"),
        migrator.drop_column("product", "brand"),
    )
