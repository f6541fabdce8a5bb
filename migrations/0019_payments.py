"""WeChat Pay payments and refunds, trade bills, invoices and statement confirmations; receipts
may be paid for one order (`receipt.order_id`). Written by hand in the shape `pwmigrate generate`
gives."""

from peewee import *


def up(migrator, db):
    def table(name):
        class Meta:
            database = db
            table_name = name

        return type(name, (Model,), {"Meta": Meta})

    Customer, Order, Receipt, Staff, WechatUser = (
        table(name)
        for name in ("customer", "sales_order", "receipt", "staff", "wechat_user")
    )

    migrator.migrate(
        migrator.add_column(
            "receipt",
            "order_id",
            ForeignKeyField(Order, field=Order._meta.primary_key, null=True, on_delete="RESTRICT"),
        )
    )

    class Payment(Model):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        wechat_user = ForeignKeyField(WechatUser, null=True, on_delete="SET NULL")
        purpose = CharField(max_length=16)
        order = ForeignKeyField(Order, null=True, on_delete="RESTRICT")
        out_trade_no = CharField(max_length=32, unique=True)
        amount = BigIntegerField(constraints=[Check("amount > 0")])
        status = CharField(max_length=24, index=True)
        refunded_amount = BigIntegerField(default=0)
        channel = CharField(max_length=8)
        appid = CharField(max_length=32)
        openid = CharField(max_length=64)
        prepay_id = CharField(max_length=64, null=True)
        transaction_id = CharField(max_length=32, null=True, unique=True)
        receipt = ForeignKeyField(Receipt, null=True, on_delete="RESTRICT")
        idempotency_key = CharField(max_length=128, null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        expires_at = DateTimeField()
        next_query_at = DateTimeField(index=True)
        paid_at = DateTimeField(null=True, index=True)

        class Meta:
            database = db
            table_name = "payment"
            indexes = (
                (("customer", "idempotency_key"), True),
                (("customer", "created_at"), False),
            )
            constraints = [Check("refunded_amount >= 0"), Check("refunded_amount <= amount")]

    class Refund(Model):
        payment = ForeignKeyField(Payment, on_delete="RESTRICT")
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        out_refund_no = CharField(max_length=64, unique=True)
        amount = BigIntegerField(constraints=[Check("amount > 0")])
        reason = CharField(max_length=200)
        status = CharField(max_length=24, index=True)
        refund_id = CharField(max_length=64, null=True)
        error = CharField(max_length=255, default="")
        requested_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        updated_at = DateTimeField()
        succeeded_at = DateTimeField(null=True)
        next_query_at = DateTimeField(null=True, index=True)

        class Meta:
            database = db
            table_name = "refund"

    class TradeBill(Model):
        day = DateField(unique=True)
        status = CharField(max_length=16)
        hash_value = CharField(max_length=64, default="")
        lines = TextField(default="[]")
        error = CharField(max_length=255, default="")
        fetched_at = DateTimeField()

        class Meta:
            database = db
            table_name = "trade_bill"

    class Invoice(Model):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        number = CharField(max_length=32, unique=True)
        kind = CharField(max_length=8)
        title = CharField(max_length=100)
        tax_no = CharField(max_length=20)
        email = CharField(max_length=100, default="")
        amount = BigIntegerField(constraints=[Check("amount > 0")])
        status = CharField(max_length=16, index=True)
        invoice_no = CharField(max_length=32, default="")
        file_key = CharField(max_length=255, default="")
        file_type = CharField(max_length=64, default="")
        reject_reason = CharField(max_length=200, default="")
        requested_by = CharField(max_length=64, default="")
        issued_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
        created_at = DateTimeField(index=True)
        issued_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "invoice"

    class InvoiceOrder(Model):
        invoice = ForeignKeyField(Invoice, on_delete="CASCADE")
        order = ForeignKeyField(Order, unique=True, on_delete="RESTRICT")
        amount = BigIntegerField()

        class Meta:
            database = db
            table_name = "invoice_order"

    class StatementConfirmation(Model):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        period = CharField(max_length=7)
        status = CharField(max_length=16)
        note = CharField(max_length=500, default="")
        opening = BigIntegerField()
        closing = BigIntegerField()
        answered_by = ForeignKeyField(WechatUser, null=True, on_delete="SET NULL")
        answered_at = DateTimeField()

        class Meta:
            database = db
            table_name = "statement_confirmation"
            indexes = ((("customer", "period"), True),)

    db.create_tables([Payment, Refund, TradeBill, Invoice, InvoiceOrder, StatementConfirmation])


def down(migrator, db):
    for name in (
        "statement_confirmation",
        "invoice_order",
        "invoice",
        "trade_bill",
        "refund",
        "payment",
    ):
        migrator.migrate(migrator.drop_table(name))
    migrator.migrate(migrator.drop_column("receipt", "order_id", **_legacy(migrator)))


def _legacy(migrator) -> dict:
    """SQLite's own DROP COLUMN refuses a column with a foreign key: rebuild the table instead."""
    return {"legacy": True} if type(migrator).__name__ == "SqliteMigrator" else {}
