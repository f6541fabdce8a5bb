"""Invitations sent by SMS: the number and time, for the per-number limit. Written by hand."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("invitation", "sms_phone", CharField(max_length=32, null=True)),
        migrator.add_column("invitation", "sms_sent_at", DateTimeField(null=True)),
        migrator.add_index("invitation", ("sms_phone",), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("invitation", "invitation_sms_phone"),
        migrator.drop_column("invitation", "sms_sent_at"),
        migrator.drop_column("invitation", "sms_phone"),
    )
