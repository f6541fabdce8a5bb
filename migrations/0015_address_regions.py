"""Delivery addresses name their province, city and district (省/市/区) apart from the street, as
the mini-program's address book sends them. Addresses already written keep their whole text in
`address`, with the three left blank. Written by hand."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("customer_address", "province", CharField(max_length=32, default="")),
        migrator.add_column("customer_address", "city", CharField(max_length=32, default="")),
        migrator.add_column("customer_address", "district", CharField(max_length=32, default="")),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("customer_address", "district"),
        migrator.drop_column("customer_address", "city"),
        migrator.drop_column("customer_address", "province"),
    )
