"""Migration 0024 on a database with products: each stays outside any style with no spec; one
product per combination of a style is enforced by an index; down goes back."""

import pytest
from peewee import IntegrityError

from devkit.testing.database import OLD_ROWS_AT as NOW


def test_existing_products_have_no_style_and_down_goes_back(app, scratch_db):
    scratch_db.up("0022_shop_sku_platform_ids")
    sql, p = scratch_db.sql, scratch_db.param
    for sku in ("A", "B"):
        scratch_db.insert_product(sku, "茶", 5000, brand="", safety_stock=0)
    scratch_db.up("0024_product_groups")
    assert sql("SELECT group_id, spec FROM product ORDER BY id").fetchall() == [
        (None, ""),
        (None, ""),
    ]
    sql(
        "INSERT INTO product_group (code, name, brand, specs, active, created_at, updated_at)"
        f" VALUES ('K1', '款', '', '[]', {p}, {p}, {p})",
        (True, NOW, NOW),
    )
    sql("UPDATE product SET group_id = 1, spec = '{\"颜色\":\"红\"}' WHERE sku = 'A'")
    with pytest.raises(IntegrityError), scratch_db.db.atomic():
        sql("UPDATE product SET group_id = 1, spec = '{\"颜色\":\"红\"}' WHERE sku = 'B'")
    sql("UPDATE product SET group_id = NULL, spec = ''")
    scratch_db.down("0024_product_groups")
    columns = scratch_db.columns("product")
    assert "group_id" not in columns and "spec" not in columns
    assert "product_group" not in scratch_db.tables()
    assert sql("SELECT COUNT(*) FROM product").fetchone() == (2,)
