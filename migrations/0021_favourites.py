"""Favourites (收藏): one row per (customer, product). Written by hand in the shape
`pwmigrate generate` gives."""

from peewee import *


def up(migrator, db):
    def table(name):
        class Meta:
            database = db
            table_name = name

        return type(name, (Model,), {"Meta": Meta})

    Customer, Product = (table(name) for name in ("customer", "product"))

    class Favourite(Model):
        customer = ForeignKeyField(Customer, on_delete="CASCADE")
        product = ForeignKeyField(Product, on_delete="CASCADE")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "favourite"
            indexes = ((("customer", "product"), True),)

    db.create_tables([Favourite])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("favourite"))
