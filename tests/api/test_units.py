"""Units (箱 = 12 件): dealers see a product's units, put it in the cart and order it in any of
them; quantities are kept in base units beside the unit picked and its count."""

from decimal import Decimal

import pytest

from app.core import catalog
from app.core.models import OrderLine
from app.core.orders import LineRequest, create_order
from app.mall import cart, ordering
from app.mall.models import CartItem, WechatUser
from devkit.factories import make_cased_water
from devkit.testing.clients import MP


@pytest.fixture
def water(shop):
    """¥2.00 a bottle (件) at every level, 箱 = 12 件; at least 24, by 6."""
    return make_cased_water(shop.warehouse, step=6)


def put(client, headers, product_id, **body):
    return client.put(f"{MP}/cart/items/{product_id}", json=body, headers=headers)


def order(client, headers, *lines):
    return client.post(f"{MP}/orders", json={"lines": list(lines)}, headers=headers)


def bulk(client, headers, *items):
    return client.post(f"{MP}/cart/bulk", json={"items": list(items)}, headers=headers)


def error_of(response) -> tuple[int, str, str]:
    error = response.get_json()["error"]
    return response.status_code, error["code"], error["message"]


def test_catalogue_items_and_the_detail_carry_the_units(client, shop, dealer, water):
    page = client.get(f"{MP}/catalog/products", headers=dealer).get_json()
    items = {p["id"]: p for p in page["items"]}
    assert items[water.id]["unit"] == "件"
    assert items[water.id]["units"] == [{"name": "箱", "factor": 12}]
    assert items[shop.tea.id]["units"] == []  # the base unit only
    detail = client.get(f"{MP}/catalog/products/{water.id}", headers=dealer).get_json()
    assert detail["units"] == [{"name": "箱", "factor": 12}]


def test_a_dealer_puts_cases_in_the_cart_and_the_line_counts_bottles(client, dealer, water):
    r = put(client, dealer, water.id, qty=2, unit="箱")
    assert r.status_code == 200, r.get_json()
    (line,) = r.get_json()["items"]
    assert r.get_json()["lines"] == [line]  # API.md's name for them, the same lines
    assert (line["qty"], line["unit"], line["unit_qty"], line["base_unit"]) == (24, "箱", 2, "件")
    assert (line["price"], line["amount"]) == ("2.00", "48.00")
    assert line["units"] == [{"name": "箱", "factor": 12}]
    row = CartItem.get(CartItem.product == water.id)
    assert (row.qty, row.unit, row.unit_qty) == (24, "箱", 2)
    # In the base unit, as before: the line says so.
    (line,) = put(client, dealer, water.id, qty=30).get_json()["items"]
    assert (line["qty"], line["unit"], line["unit_qty"]) == (30, "件", 30)


def test_minimum_and_multiple_are_said_in_the_unit_picked(client, shop, dealer, water):
    assert error_of(put(client, dealer, water.id, qty=1, unit="箱")) == (
        422,
        "below_min_qty",
        "矿泉水 最少订 2 箱（24 件）",
    )
    assert error_of(put(client, dealer, water.id, qty=12)) == (
        422,
        "below_min_qty",
        "矿泉水 最少订购 24",
    )
    gift_box = catalog.create_product(
        sku="BOX-24",
        name="礼盒",
        unit="件",
        min_qty=24,
        step=24,
        list_price=Decimal("5.00"),
        units=[{"name": "箱", "factor": 12}, {"name": "板", "factor": 5}],
    )
    assert error_of(put(client, dealer, gift_box.id, qty=3, unit="箱")) == (
        422,
        "bad_step",
        "礼盒 须按 2 箱（24 件）的整数倍订购",
    )
    # 24 件 is no whole number of 板 (5 件): said in the base unit.
    assert error_of(put(client, dealer, gift_box.id, qty=6, unit="板")) == (
        422,
        "bad_step",
        "礼盒 须按 24 件的整数倍订购",
    )
    assert CartItem.select().count() == 0


def test_an_unknown_unit_is_422_naming_the_product_and_the_unit(client, shop, dealer, water):
    status, code, message = error_of(put(client, dealer, water.id, qty=2, unit="托"))
    assert (status, code) == (422, "validation_error")
    assert message == "矿泉水 没有单位“托”，可选：件、箱"
    r = order(client, dealer, {"product_id": shop.tea.id, "qty": 1, "unit": "瓶"})
    assert error_of(r) == (422, "validation_error", "茉莉绿茶 没有单位“瓶”，可选：箱")
    assert OrderLine.select().count() == 0


def test_an_order_in_cases_stores_base_units_and_keeps_the_unit(client, shop, dealer, water):
    r = order(
        client,
        {**dealer, "Idempotency-Key": "units-1"},
        {"product_id": water.id, "qty": 3, "unit": "箱"},
        {"product_id": shop.tea.id, "qty": 2},
    )
    assert r.status_code == 201, r.get_json()
    lines = {ln["product_id"]: ln for ln in r.get_json()["lines"]}
    assert (lines[water.id]["qty"], lines[water.id]["unit"], lines[water.id]["unit_qty"]) == (
        36,
        "箱",
        3,
    )
    assert lines[water.id]["amount"] == "72.00"
    assert (lines[shop.tea.id]["qty"], lines[shop.tea.id]["unit"]) == (2, "箱")
    stored = OrderLine.get(OrderLine.product == water.id)
    assert (stored.qty, stored.unit, stored.unit_qty) == (36, "箱", 3)
    again = client.get(f"{MP}/orders/{r.get_json()['id']}", headers=dealer).get_json()
    assert {ln["product_id"]: ln["unit_qty"] for ln in again["lines"]} == {
        water.id: 3,
        shop.tea.id: 2,
    }
    too_many = order(client, dealer, {"product_id": water.id, "qty": 9000, "unit": "箱"})
    assert error_of(too_many)[:2] == (422, "validation_error")


def test_the_cart_submits_in_its_units_and_reorder_keeps_them(client, shop, dealer, water):
    put(client, dealer, water.id, qty=2, unit="箱")
    user_id = CartItem.get().wechat_user_id
    order, created = ordering.submit_cart(user_id, shop.customer, 20, "units-cart")
    assert created
    (line,) = order.lines
    assert (line.qty, line.unit, line.unit_qty) == (24, "箱", 2)
    body = client.post(f"{MP}/orders/{order.id}/reorder", headers=dealer).get_json()
    (again,) = body["items"]
    assert (again["qty"], again["unit"], again["unit_qty"]) == (24, "箱", 2)


def test_recent_products_say_the_unit_last_ordered_in(client, shop, dealer, water):
    order(client, dealer, {"product_id": water.id, "qty": 3, "unit": "箱"})
    order(client, dealer, {"product_id": shop.tea.id, "qty": 10})
    items = client.get(f"{MP}/orders/recent-products", headers=dealer).get_json()["items"]
    assert [(i["id"], i["last_qty"], i["last_unit"], i["last_unit_qty"]) for i in items] == [
        (shop.tea.id, 10, shop.tea.unit, 10),
        (water.id, 36, "箱", 3),
    ]


def test_recent_products_fall_back_to_the_base_unit_when_the_unit_is_gone(shop, water):
    create_order(shop.customer.id, [LineRequest(water.id, 2, "箱")], placed_by="wechat:1")
    catalog.update_product(water.id, units=[])
    (last,) = ordering.recent_products(shop.customer, 10)
    assert (last.qty, last.unit, last.unit_qty, last.words) == (24, "件", 24, "24 件")


def test_adding_in_another_unit_says_the_sum_in_a_unit_it_fills(shop, dealer, water):
    user = WechatUser.get(WechatUser.customer == shop.customer.id)
    cart.add_item(user.id, water.id, 2, "箱")
    _, total = cart.add_item(user.id, water.id, 30)  # 24 + 30 件: no whole 箱
    assert total == 54
    row = CartItem.get()
    assert (row.unit, row.unit_qty) == ("件", 54)
    cart.add_item(user.id, water.id, 30)  # 84 件 = 7 箱, but the dealer added 件
    row = CartItem.get()
    assert (row.qty, row.unit, row.unit_qty) == (84, "件", 84)
    cart.add_item(user.id, water.id, 2, "箱")  # 108 = 9 箱: in 箱 again
    row = CartItem.get()
    assert (row.qty, row.unit, row.unit_qty) == (108, "箱", 9)


def test_bulk_honours_the_unit_column(client, shop, dealer, water):
    r = bulk(
        client,
        dealer,
        {"sku": water.sku, "qty": 1, "unit": "箱"},
        {"sku": shop.tea.sku, "qty": 3, "unit": "箱"},
        {"sku": shop.oil.sku, "qty": 1, "unit": "桶"},
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["adjusted"] == [
        {
            "sku": water.sku,
            "product_id": water.id,
            "name": "矿泉水",
            "requested": 12,
            "qty": 24,
            "reason": "起订量 2 箱（24 件）",
        }
    ]
    added = {a["sku"]: (a["qty"], a["unit"], a["unit_qty"]) for a in body["added"]}
    assert added == {water.sku: (24, "箱", 2), shop.tea.sku: (3, "箱", 3)}
    assert body["refused"] == [{"sku": shop.oil.sku, "reason": "花生油 没有单位“桶”，可选：箱"}]
    lines = {ln["product_id"]: (ln["qty"], ln["unit"], ln["unit_qty"]) for ln in body["items"]}
    assert lines[water.id] == (24, "箱", 2)
    # 5 箱 and 6 件 of one SKU: 66 件, no whole 箱, added to the 24 already there.
    r = bulk(
        client, dealer, {"sku": water.sku, "qty": 5, "unit": "箱"}, {"sku": water.sku, "qty": 6}
    )
    lines = {
        ln["product_id"]: (ln["qty"], ln["unit"], ln["unit_qty"]) for ln in r.get_json()["items"]
    }
    assert lines[water.id] == (90, "件", 90)
