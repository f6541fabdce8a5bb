"""Migration 0026c: shop orders merged before a merged order's total became that of its lines
(none) read 0.00 afterwards; every other order keeps its amount."""

from __future__ import annotations

import importlib.util
from decimal import Decimal

from app.cli import MIGRATIONS_DIR
from app.db import db
from app.shops.models import Shop, ShopOrder
from devkit.factories import make_branch, make_warehouse


def migration():
    path = MIGRATIONS_DIR / "0026c_merged_shop_order_totals.py"
    spec = importlib.util.spec_from_file_location("merged_shop_totals", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_order_merged_before_reads_no_amount_and_the_others_keep_theirs(app_ctx):
    warehouse = make_warehouse(make_branch())
    shop = Shop.create(
        name="茶叶淘宝店",
        platform="taobao",
        app_key="k",
        app_secret="s",
        access_token="t",
        warehouse=warehouse.id,
    )
    holder = ShopOrder.create(number="SO-1", shop=shop.id, status="pending", total=Decimal("60"))
    merged = ShopOrder.create(
        number="SO-2", shop=shop.id, status="merged", merged_into=holder.id, total=Decimal("20")
    )
    migration().up(None, db.obj)
    assert ShopOrder.get_by_id(merged.id).total == Decimal("0.00")
    assert ShopOrder.get_by_id(holder.id).total == Decimal("60.00")
