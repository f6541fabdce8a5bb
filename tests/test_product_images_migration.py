"""Migration 0025 on an existing catalogue: products keep their `image`, pictures can be added,
go with their product, and down drops the table and leaves the products as they were."""

import datetime as dt

NOW = dt.datetime(2026, 11, 1, 8, 0)


def test_product_images_come_and_go_with_the_migration(app, scratch_migrations):
    scratch, runner = scratch_migrations
    runner.up("0022_shop_sku_platform_ids")
    sql, p = scratch.execute_sql, scratch.param
    sql(
        "INSERT INTO product (sku, name, unit, pack_size, min_qty, step, list_price, image,"
        " active, created_at, updated_at, brand, safety_stock) VALUES ('A', 'A', '箱', 1, 1, 1,"
        f" 1000, {p}, {p}, {p}, {p}, '', 0)",
        ("https://img.example.com/a.jpg", True, NOW, NOW),
    )
    runner.up("0025_product_images")
    assert "product_image" in scratch.get_tables()
    sql(
        "INSERT INTO product_image (product_id, storage_key, thumb_key, content_type, size,"
        f" width, height, position, created_at) VALUES (1, 'k.jpg', 'k.thumb.jpg', 'image/jpeg',"
        f" 10, 4, 4, 0, {p})",
        (NOW,),
    )
    assert sql("SELECT image FROM product").fetchall() == [("https://img.example.com/a.jpg",)]
    runner.down("0025_product_images")
    assert "product_image" not in scratch.get_tables()
    assert sql("SELECT sku, image FROM product").fetchall() == [
        ("A", "https://img.example.com/a.jpg")
    ]
