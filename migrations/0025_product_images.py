"""Product images: a product's pictures in the file store, each with its thumbnail; the first
(lowest position) is Product.image. Written by hand in the shape `pwmigrate generate` gives."""

from peewee import *


def up(migrator, db):
    class Product(Model):
        class Meta:
            database = db
            table_name = "product"

    class ProductImage(Model):
        product = ForeignKeyField(Product, on_delete="CASCADE")
        storage_key = CharField(max_length=255)
        thumb_key = CharField(max_length=255)
        content_type = CharField(max_length=32)
        size = IntegerField()
        width = IntegerField()
        height = IntegerField()
        position = IntegerField(default=0)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "product_image"
            indexes = ((("product", "position"), False),)

    db.create_tables([ProductImage])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("product_image"))
