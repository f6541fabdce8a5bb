"""Webhook endpoints and deliveries, API keys. Written by hand in the shape `pwmigrate generate`
gives."""

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

    class WebhookEndpoint(Model):
        url = CharField(max_length=500)
        events = TextField()
        secret = CharField(max_length=64)
        active = BooleanField(default=True)
        created_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "webhook_endpoint"

    class WebhookDelivery(Model):
        endpoint = ForeignKeyField(WebhookEndpoint, on_delete="CASCADE")
        delivery_id = CharField(max_length=36, unique=True)
        event_type = CharField(max_length=32)
        sequence_key = CharField(max_length=64, index=True)
        payload = TextField()
        status = CharField(max_length=16, default="pending", index=True)
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(index=True)
        last_status = IntegerField(null=True)
        last_error = CharField(max_length=500, default="")
        duration_ms = IntegerField(null=True)
        created_at = DateTimeField()
        delivered_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "webhook_delivery"

    class ApiKey(Model):
        name = CharField(max_length=100)
        prefix = CharField(max_length=16, unique=True)
        key_hash = CharField(max_length=64)
        scopes = TextField()
        data_scope = CharField(max_length=16, default="all")
        branch = ForeignKeyField(Branch, null=True, on_delete="RESTRICT")
        created_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        last_used_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "api_key"

    db.create_tables([WebhookEndpoint, WebhookDelivery, ApiKey])


def down(migrator, db):
    for table in ("api_key", "webhook_delivery", "webhook_endpoint"):
        migrator.migrate(migrator.drop_table(table))
