"""The in-app inbox. Written by hand in the shape `pwmigrate generate` gives."""

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

    class Order(Model):
        class Meta:
            database = db
            table_name = "sales_order"

    class Notification(Model):
        class Meta:
            database = db
            table_name = "notification"

    class InboxMessage(Model):
        customer = ForeignKeyField(Customer, null=True, on_delete="CASCADE")
        staff = ForeignKeyField(Staff, null=True, on_delete="CASCADE")
        notification = ForeignKeyField(Notification, null=True, on_delete="SET NULL")
        order = ForeignKeyField(Order, null=True, on_delete="CASCADE")
        kind = CharField(max_length=32)
        title = CharField(max_length=100)
        body = CharField(max_length=500, default="")
        created_at = DateTimeField()
        read_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "inbox_message"
            indexes = ((("customer", "read_at"), False), (("staff", "read_at"), False))

    db.create_tables([InboxMessage])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("inbox_message"))
