"""One approval engine for every document: rules name the document type they govern, and the
steps of orders and returns live in one table. Rules written before governed orders and returns
alike, so each existing rule also becomes a rule for returns: nothing an approver must sign today
is dropped."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column(
            "approval_rule", "document", CharField(max_length=16, default="order")
        ),
        migrator.add_index("approval_rule", ("document",), False, name="approvalrule_document"),
    )
    db.execute_sql(
        "INSERT INTO approval_rule (name, document, priority, condition, steps, active,"
        " created_at) SELECT name, 'return', priority, condition, steps, active, created_at"
        " FROM approval_rule WHERE document = 'order' ORDER BY id"
    )

    # The order steps become document steps in place; the return steps join them.
    migrator.migrate(
        migrator.add_column("approval_step", "document", CharField(max_length=16, default="order")),
        migrator.add_column("approval_step", "document_id", IntegerField(null=True)),
    )
    db.execute_sql("UPDATE approval_step SET document_id = order_id")
    migrator.migrate(
        migrator.drop_index("approval_step", "approvalstep_order_id_seq"),
        migrator.drop_index("approval_step", "approvalstep_order_id"),
        migrator.drop_column("approval_step", "order_id", **_legacy(migrator)),
        migrator.add_not_null("approval_step", "document_id"),
        migrator.add_index(
            "approval_step",
            ("document", "document_id", "seq"),
            True,
            name="approvalstep_document_document_id_seq",
        ),
    )
    columns = "seq, role, rule_name, signed_by_id, signed_at"
    db.execute_sql(
        f"INSERT INTO approval_step (document, document_id, {columns}, comment)"
        f" SELECT 'return', request_id, {columns}, '' FROM return_step ORDER BY id"
    )
    migrator.migrate(migrator.drop_table("return_step"))


def _legacy(migrator) -> dict:
    """SQLite's own DROP COLUMN refuses a column with a foreign key: rebuild the table instead."""
    return {"legacy": True} if type(migrator).__name__ == "SqliteMigrator" else {}


def down(migrator, db):
    class Staff(Model):
        class Meta:
            database = db
            table_name = "staff"

    class Order(Model):
        class Meta:
            database = db
            table_name = "sales_order"

    class ReturnRequest(Model):
        class Meta:
            database = db
            table_name = "return_request"

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

    db.create_tables([ReturnStep])
    columns = "seq, role, rule_name, signed_by_id, signed_at"
    db.execute_sql(
        f"INSERT INTO return_step (request_id, {columns})"
        f" SELECT document_id, {columns} FROM approval_step WHERE document = 'return'"
    )
    db.execute_sql("DELETE FROM approval_step WHERE document <> 'order'")
    order = ForeignKeyField(Order, field=Order._meta.primary_key, null=True, on_delete="CASCADE")
    migrator.migrate(migrator.add_column("approval_step", "order_id", order))
    db.execute_sql("UPDATE approval_step SET order_id = document_id")
    migrator.migrate(
        migrator.drop_index("approval_step", "approvalstep_document_document_id_seq"),
        migrator.drop_column("approval_step", "document_id"),
        migrator.drop_column("approval_step", "document"),
        migrator.add_not_null("approval_step", "order_id"),
        migrator.add_index("approval_step", ("order_id", "seq"), True, name="approvalstep_order_id_seq"),
    )
    db.execute_sql("DELETE FROM approval_rule WHERE document <> 'order'")
    migrator.migrate(
        migrator.drop_index("approval_rule", "approvalrule_document"),
        migrator.drop_column("approval_rule", "document"),
    )
