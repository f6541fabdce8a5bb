"""Security: staff token versions and lockout, server-side web sessions, sign-in audit, callback
nonces. Written by hand in the shape `pwmigrate generate` gives."""

from peewee import *


def up(migrator, db):
    class Staff(Model):
        class Meta:
            database = db
            table_name = "staff"

    migrator.migrate(
        migrator.add_column("staff", "token_version", IntegerField(default=0)),
        migrator.add_column("staff", "locked_until", DateTimeField(null=True)),
        migrator.add_column("staff", "failures_reset_at", DateTimeField(null=True)),
    )

    class WebSession(Model):
        key = CharField(max_length=64, primary_key=True)
        data = TextField()
        expires_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "web_session"

    class LoginAttempt(Model):
        username = CharField(max_length=64, index=True)
        staff = ForeignKeyField(Staff, null=True, on_delete="CASCADE")
        address = CharField(max_length=64, default="")
        surface = CharField(max_length=16)
        succeeded = BooleanField()
        at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "login_attempt"

    class CallbackNonce(Model):
        nonce = CharField(max_length=64, unique=True)
        seen_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "callback_nonce"

    db.create_tables([WebSession, LoginAttempt, CallbackNonce])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("callback_nonce"))
    migrator.migrate(migrator.drop_table("login_attempt"))
    migrator.migrate(migrator.drop_table("web_session"))
    migrator.migrate(
        migrator.drop_column("staff", "failures_reset_at"),
        migrator.drop_column("staff", "locked_until"),
        migrator.drop_column("staff", "token_version"),
    )
