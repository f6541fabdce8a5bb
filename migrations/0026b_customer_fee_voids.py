"""Customer fees can be voided (作废) when recorded by mistake: who, when and why, kept on the
fee, which stays listed and no longer counts. Written by hand in the shape `pwmigrate generate`
gives."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("customer_fee", "voided_at", DateTimeField(null=True)),
        migrator.add_column("customer_fee", "voided_by", CharField(max_length=64, default="")),
        migrator.add_column("customer_fee", "void_reason", CharField(max_length=500, default="")),
    )


def down(migrator, db):
    legacy = {"legacy": True} if type(migrator).__name__ == "SqliteMigrator" else {}
    migrator.migrate(
        migrator.drop_column("customer_fee", "void_reason", **legacy),
        migrator.drop_column("customer_fee", "voided_by", **legacy),
        migrator.drop_column("customer_fee", "voided_at", **legacy),
    )
