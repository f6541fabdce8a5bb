"""Ordering by the case on the phone (375 px): the product page offers 按件 / 按箱 with the price
in each, the cart and the order say "4 箱（48 件）", and the order keeps the cases."""

from __future__ import annotations

from decimal import Decimal

from app.core import catalog
from app.core.models import OrderLine
from app.mall.models import CartItem
from devkit.factories import put_stock


def test_a_dealer_orders_in_cases(dealer_on_phone, shop, screenshots):
    water = catalog.create_product(
        sku="WTR-12",
        name="矿泉水 550ml",
        unit="件",
        min_qty=24,
        step=6,
        list_price=Decimal("2.00"),
        units=[{"name": "箱", "factor": 12}],
    )
    put_stock(shop.warehouse, water, 1000)
    dealer, user = dealer_on_phone("units")
    page = dealer.page

    dealer.go("/h5/products?q=矿泉水")
    item = page.locator(f"#product-{water.id}")
    assert "可按箱（12件）订 · ¥2.00/件 · ¥24.00/箱" in item.inner_text()
    dealer.shot("units-catalogue")
    item.locator(".product-link").click()
    page.wait_for_url(f"**/h5/products/{water.id}")
    assert page.locator(".unit-prices").inner_text() == "¥2.00/件 · ¥24.00/箱"
    qty = page.get_by_label("订购数量")
    assert qty.input_value() == "24"  # 件 first: the minimum
    page.get_by_text("按箱（12件）").click()
    assert qty.input_value() == "2"  # 2 箱 = 24 件, the minimum in cases
    page.get_by_role("button", name="增加数量").click()
    assert qty.input_value() == "3"
    dealer.shot("units-product-by-the-case")
    dealer.button("加入购物车").click()
    page.get_by_text("已加入购物车，购物车中共 3 箱（36 件）").wait_for()
    row = CartItem.get(CartItem.wechat_user == user.id)
    assert (row.qty, row.unit, row.unit_qty) == (36, "箱", 3)
    assert "购物车中已有 3 箱（36 件）" in page.locator(".in-cart").inner_text()

    dealer.go("/h5/cart")
    line = page.locator(f"#line-{water.id}")
    assert "¥2.00/件 · ¥24.00/箱" in line.inner_text()
    stepper = page.get_by_label("矿泉水 550ml 数量（箱）")
    assert stepper.input_value() == "3"
    line.get_by_role("button", name="增加数量").click()
    page.locator("#checkout-total", has_text="¥96.00").wait_for()
    assert "箱（48 件）" in page.locator(f"#line-{water.id}").inner_text()
    assert CartItem.get(CartItem.wechat_user == user.id).qty == 48
    dealer.shot("units-cart")

    dealer.button("提交订单").click()
    page.get_by_text("订单已提交").wait_for()
    assert "¥2.00/件 × 4 箱（48 件）" in page.locator("main, body").first.inner_text()
    stored = OrderLine.get(OrderLine.product == water.id)
    assert (stored.qty, stored.unit, stored.unit_qty) == (48, "箱", 4)
    dealer.shot("units-order")
    assert dealer.errors == []
