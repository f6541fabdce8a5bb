"""快速下单 on the H5 pages honours the 单位 column: a pasted list and a CSV file in cases."""

from __future__ import annotations

import io

import pytest

from app.mall.models import CartItem
from devkit.factories import make_cased_water


def quick(dealer_phone, **data):
    return dealer_phone.post(
        "/h5/quick-order", data, from_page="/h5/quick-order", content_type="multipart/form-data"
    )


@pytest.fixture
def water(shop):
    return make_cased_water(shop.warehouse)


def test_a_pasted_list_orders_in_the_unit_column(dealer_phone, shop, water):
    r = quick(dealer_phone, skus=f"编码,数量,单位\n{water.sku}, 3, 箱\n{shop.oil.sku}, 1, 桶")
    page = r.get_data(as_text=True)
    assert r.status_code == 200, page
    row = CartItem.get(CartItem.product == water.id)
    assert (row.qty, row.unit, row.unit_qty) == (36, "箱", 3)
    assert "3 箱（36 件）" in page
    assert "花生油 没有单位“桶”，可选：箱" in page


def test_a_csv_in_cases_is_raised_to_the_minimum_in_cases(dealer_phone, shop, water):
    data = f"编码,数量,单位\r\n{water.sku},1,箱\r\n".encode("gb18030")
    page = quick(dealer_phone, file=(io.BytesIO(data), "清单.csv")).get_data(as_text=True)
    row = CartItem.get(CartItem.product == water.id)
    assert (row.qty, row.unit, row.unit_qty) == (24, "箱", 2)
    assert "12 → 24，起订量 2 箱（24 件）" in page
