"""Styles (款): a product group with its spec dimensions; a product may be one of its SKUs, with
its spec values, one product per combination. Written by hand in the shape `pwmigrate generate`
gives."""

from peewee import *


def up(migrator, db):
    def table(name):
        class Meta:
            database = db
            table_name = name

        return type(name, (Model,), {"Meta": Meta})

    Category = table("category")

    class ProductGroup(Model):
        code = CharField(max_length=64, unique=True)
        name = CharField(max_length=200, index=True)
        category = ForeignKeyField(Category, null=True, on_delete="RESTRICT")
        brand = CharField(max_length=64, default="")
        specs = TextField(default="[]")
        active = BooleanField(default=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "product_group"

    db.create_tables([ProductGroup])
    migrator.migrate(
        migrator.add_column(
            "product",
            "group_id",
            ForeignKeyField(
                ProductGroup,
                field=ProductGroup._meta.primary_key,
                null=True,
                on_delete="RESTRICT",
            ),
        ),
        migrator.add_column("product", "spec", CharField(max_length=500, default="")),
        migrator.add_index("product", ("group_id", "spec"), True),
    )


def down(migrator, db):
    legacy = {"legacy": True} if type(migrator).__name__ == "SqliteMigrator" else {}
    migrator.migrate(
        migrator.drop_index("product", "product_group_id_spec"),
        migrator.drop_column("product", "spec", **legacy),
        migrator.drop_column("product", "group_id", **legacy),
        migrator.drop_table("product_group"),
    )
