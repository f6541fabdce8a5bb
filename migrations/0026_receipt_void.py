"""Receipts can be voided (作废): when, by whom and why. Existing receipts stand (not voided).
Written by hand in the shape `pwmigrate generate` gives."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("receipt", "voided_at", DateTimeField(null=True)),
        migrator.add_column("receipt", "voided_by", CharField(max_length=64, default="")),
        migrator.add_column("receipt", "void_reason", CharField(max_length=255, default="")),
    )


def down(migrator, db):
    legacy = {"legacy": True} if type(migrator).__name__ == "SqliteMigrator" else {}
    migrator.migrate(
        migrator.drop_column("receipt", "void_reason", **legacy),
        migrator.drop_column("receipt", "voided_by", **legacy),
        migrator.drop_column("receipt", "voided_at", **legacy),
    )
