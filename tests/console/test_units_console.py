"""The console's product form sets a product's units (箱 = 12 件); its order page shows each
line in the unit the dealer ordered in."""

from __future__ import annotations

from decimal import Decimal

from app.core import catalog, units
from app.core.models import Order, Product
from app.core.orders import LineRequest, approve_order, create_order, ship_order
from devkit.factories import make_cased_water


def product_form(**fields) -> dict:
    return {"sku": "WTR-12", "name": "矿泉水", "unit": "件", "list_price": "2.00", **fields}


def test_staff_set_units_on_the_product_form(signed_in, co):
    admin = signed_in("admin")
    page = admin.post(
        "/admin/products",
        product_form(
            **{"unit-name-1": "箱", "unit-factor-1": "12", "unit-name-2": "", "unit-factor-2": ""}
        ),
    ).get_data(as_text=True)
    product = Product.get(Product.sku == "WTR-12")
    assert [(u.name, u.factor) for u in units.units_of(product)] == [("箱", 12)]
    assert 'name="unit-name-1" maxlength="16" value="箱"' in page
    assert 'name="unit-factor-1" inputmode="numeric" value="12"' in page

    bad = admin.post(
        f"/admin/products/{product.id}",
        product_form(
            **{
                "unit-name-1": "箱",
                "unit-factor-1": "12",
                "unit-name-2": "箱",
                "unit-factor-2": "24",
            }
        ),
    ).get_data(as_text=True)
    assert "单位“箱”重复了" in bad
    one = admin.post(
        f"/admin/products/{product.id}", product_form(**{"unit-name-1": "盒", "unit-factor-1": "1"})
    ).get_data(as_text=True)
    assert "换算数须在 2 到 10000 之间" in one
    nameless = admin.post(
        f"/admin/products/{product.id}", product_form(**{"unit-name-1": "", "unit-factor-1": "6"})
    ).get_data(as_text=True)
    assert "单位名称须为 1-16 个字" in nameless
    assert [(u.name, u.factor) for u in units.units_of(Product.get_by_id(product.id))] == [
        ("箱", 12)
    ]

    # Emptied rows: the product is sold in its base unit only.
    admin.post(
        f"/admin/products/{product.id}", product_form(**{"unit-name-1": "", "unit-factor-1": ""})
    )
    assert units.units_of(Product.get_by_id(product.id)) == []


def test_the_order_page_shows_the_unit_the_dealer_ordered_in(signed_in, co):
    water = make_cased_water(co.sh, on_hand=500)
    order = create_order(co.east_customer.id, [LineRequest(water.id, 2, "箱")], placed_by="x")
    page = signed_in("admin").get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "客户订 2 箱（24 件）" in page  # beside the quantity staff may adjust (in 件)


def test_the_product_form_on_the_desk(desk, co):
    water = catalog.create_product(
        sku="WTR-12",
        name="矿泉水",
        unit="件",
        list_price=Decimal("2.00"),
        units=[{"name": "箱", "factor": 12}],
    )
    admin = desk(co.staff["admin"].username)
    admin.go(f"/admin/products/{water.id}")
    page = admin.page
    assert page.get_by_label("单位 1", exact=True).input_value() == "箱"
    page.get_by_label("单位 2", exact=True).fill("板")
    page.get_by_label("单位 2 含多少基本单位").fill("60")
    admin.shot("units-product-form")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("商品已保存").wait_for()
    assert [(u.name, u.factor) for u in units.units_of(Product.get_by_id(water.id))] == [
        ("箱", 12),
        ("板", 60),
    ]
    assert admin.errors == []


def test_the_order_page_says_the_unit_of_prices_and_shipped_counts(signed_in, co):
    water = make_cased_water(co.sh, on_hand=500)
    order = create_order(co.east_customer.id, [LineRequest(water.id, 2, "箱")], placed_by="x")
    approve_order(order.id, "test")
    line = Order.get_by_id(order.id).lines[0]
    ship_order(order.id, [(line.id, 12)], "顺丰速运", "SF1", "test")

    page = signed_in("wh").get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert '<td class="num">2 箱（24 件）</td><td class="num">¥2.00/件</td>' in page
    assert '<td class="num">12 件</td>' in page  # 已发货, in base units
    ship_form = page[page.index('id="ship-form"') :]
    assert '<td class="num">12 件</td>' in ship_form  # 未发
