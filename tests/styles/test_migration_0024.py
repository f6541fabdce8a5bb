"""Migration 0024 on a database with products: each stays outside any style with no spec; one
product per combination of a style is enforced by an index; down goes back."""

import datetime as dt

import pytest
from peewee import IntegrityError

NOW = dt.datetime(2026, 11, 1, 8, 0)


def test_existing_products_have_no_style_and_down_goes_back(app, scratch_migrations):
    scratch, runner = scratch_migrations
    runner.up("0022_shop_sku_platform_ids")
    sql = scratch.execute_sql
    p = scratch.param
    for sku in ("A", "B"):
        sql(
            "INSERT INTO product (sku, name, unit, pack_size, min_qty, step, list_price, image,"
            f" active, created_at, updated_at, brand, safety_stock) VALUES ({p}, '茶', '箱', 1,"
            f" 1, 1, 5000, '', {p}, {p}, {p}, '', 0)",
            (sku, True, NOW, NOW),
        )
    runner.up("0024_product_groups")
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
    with pytest.raises(IntegrityError), scratch.atomic():
        sql("UPDATE product SET group_id = 1, spec = '{\"颜色\":\"红\"}' WHERE sku = 'B'")
    sql("UPDATE product SET group_id = NULL, spec = ''")
    runner.down("0024_product_groups")
    columns = [c.name for c in scratch.get_columns("product")]
    assert "group_id" not in columns and "spec" not in columns
    assert "product_group" not in scratch.get_tables()
    assert sql("SELECT COUNT(*) FROM product").fetchone() == (2,)
