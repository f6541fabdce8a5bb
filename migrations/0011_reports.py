"""Sales reports and targets: the indexes the report aggregates use, and monthly targets."""

from peewee import *


def up(migrator, db):
    class Branch(Model):
        class Meta:
            database = db
            table_name = "branch"

    class Staff(Model):
        class Meta:
            database = db
            table_name = "staff"

    migrator.migrate(
        migrator.add_index("shipment", ("shipped_at",), False),
        migrator.add_index("receipt", ("received_at",), False),
        migrator.add_index("stock_movement", ("kind", "created_at"), False),
    )

    class Target(Model):
        period = CharField(max_length=7)
        branch = ForeignKeyField(Branch, null=True, on_delete="CASCADE")
        staff = ForeignKeyField(Staff, null=True, on_delete="CASCADE")
        amount = BigIntegerField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "target"
            indexes = ((("period", "branch", "staff"), True),)

    db.create_tables([Target])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("target"))
    migrator.migrate(
        migrator.drop_index("stock_movement", "stock_movement_kind_created_at"),
        migrator.drop_index("receipt", "receipt_received_at"),
        migrator.drop_index("shipment", "shipment_shipped_at"),
    )
