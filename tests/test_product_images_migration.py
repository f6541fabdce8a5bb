"""Migration 0025 on an existing catalogue: products keep their `image`, pictures can be added,
go with their product, and down drops the table and leaves the products as they were."""

from devkit.testing.database import OLD_ROWS_AT as NOW


def test_product_images_come_and_go_with_the_migration(app, scratch_db):
    scratch_db.up("0022_shop_sku_platform_ids")
    sql, p = scratch_db.sql, scratch_db.param
    scratch_db.insert_product(
        "A", "A", 1000, image="https://img.example.com/a.jpg", brand="", safety_stock=0
    )
    scratch_db.up("0025_product_images")
    assert "product_image" in scratch_db.tables()
    sql(
        "INSERT INTO product_image (product_id, storage_key, thumb_key, content_type, size,"
        f" width, height, position, created_at) VALUES (1, 'k.jpg', 'k.thumb.jpg', 'image/jpeg',"
        f" 10, 4, 4, 0, {p})",
        (NOW,),
    )
    assert sql("SELECT image FROM product").fetchall() == [("https://img.example.com/a.jpg",)]
    scratch_db.down("0025_product_images")
    assert "product_image" not in scratch_db.tables()
    assert sql("SELECT sku, image FROM product").fetchall() == [
        ("A", "https://img.example.com/a.jpg")
    ]
