"""Ordering by the case on the phone (375 px): the product page offers 按件 / 按箱 with the price
in each, the catalogue adds in cases too, the cart and the order say "6 箱（72 件）", and the order keeps the cases."""

from __future__ import annotations

from app.core.models import OrderLine
from app.mall.models import CartItem
from devkit.factories import STORE_AT, make_cased_water, make_staff, make_store


def test_a_dealer_orders_in_cases(dealer_on_phone, shop, screenshots):
    water = make_cased_water(shop.warehouse, name="矿泉水 550ml", step=6)
    dealer, user = dealer_on_phone("units")
    page = dealer.page

    dealer.go("/h5/products?q=矿泉水")
    item = page.locator(f"#product-{water.id}")
    assert "可按箱（12件）订 · ¥2.00/件 · ¥24.00/箱" in item.inner_text()
    add = page.locator(f"form.catalogue-add[action$='/cart/items/{water.id}/add']")
    row_qty = add.get_by_label("矿泉水 550ml 数量")
    assert row_qty.input_value() == "24"
    add.get_by_text("箱", exact=True).click()
    assert row_qty.input_value() == "2"
    dealer.shot("units-catalogue")
    add.get_by_role("button", name="加入购物车 矿泉水 550ml").click()
    page.get_by_text("已加入购物车，购物车中共 2 箱（24 件）").wait_for()
    assert "q=" in page.url  # back on the catalogue, the search kept
    item.locator(".product-link").click()
    page.wait_for_url(f"**/h5/products/{water.id}")
    assert page.locator(".unit-prices").inner_text() == "¥2.00/件 · ¥24.00/箱"
    spec = page.locator(".weui-cell", has_text="规格").locator(".weui-cell__ft")
    assert spec.inner_text() == "按件 · 按箱（12件）"  # not "每件 12 件"
    qty = page.get_by_label("订购数量")
    assert qty.input_value() == "24"  # 件 first: the minimum
    page.get_by_role("radio", name="按箱（12件）").check()
    assert qty.input_value() == "2"  # 2 箱 = 24 件, the minimum in cases
    page.get_by_role("button", name="增加数量").click()
    assert qty.input_value() == "3"
    dealer.shot("units-product-by-the-case")
    dealer.button("加入购物车").click()
    page.get_by_text("已加入购物车，购物车中共 5 箱（60 件）").wait_for()
    row = CartItem.get(CartItem.wechat_user == user.id)
    assert (row.qty, row.unit, row.unit_qty) == (60, "箱", 5)
    assert "购物车中已有 5 箱（60 件）" in page.locator(".in-cart").inner_text()
    # Back on the page, the unit and the count the dealer chose stay chosen.
    assert page.get_by_role("radio", name="按箱（12件）").is_checked()
    assert qty.input_value() == "3"
    page.get_by_role("button", name="增加数量").click()
    assert qty.input_value() == "4"  # still counting cases

    dealer.go("/h5/cart")
    line = page.locator(f"#line-{water.id}")
    assert "¥2.00/件 · ¥24.00/箱" in line.inner_text()
    stepper = page.get_by_label("矿泉水 550ml 数量（箱）")
    assert stepper.input_value() == "5"
    line.get_by_role("button", name="增加数量").click()
    page.locator("#checkout-total", has_text="¥144.00").wait_for()
    assert "6 箱（72 件）" in page.locator(f"#line-{water.id}").inner_text()
    assert "共 1 种商品" in page.locator("#checkout-total").inner_text()  # lines, not units
    assert CartItem.get(CartItem.wechat_user == user.id).qty == 72
    dealer.shot("units-cart")

    dealer.button("提交订单").click()
    page.get_by_text("订单已提交").wait_for()
    assert "¥2.00/件 × 6 箱（72 件）" in page.locator("main, body").first.inner_text()
    stored = OrderLine.get(OrderLine.product == water.id)
    assert (stored.qty, stored.unit, stored.unit_qty) == (72, "箱", 6)
    dealer.shot("units-order")
    dealer.go("/h5/orders")
    assert "矿泉水 550ml × 6 箱（72 件）" in page.locator("main").inner_text()
    colour = "e => getComputedStyle(e).color"
    tabs = page.locator(".order-tabs a")
    assert tabs.first.evaluate(colour) == "rgb(7, 193, 96)"  # 全部, the tab shown: green
    assert tabs.nth(1).evaluate(colour) != "rgb(0, 0, 238)"  # not the browser's link blue
    assert dealer.errors == []


def test_a_rep_adds_cases_from_the_visit_catalogue(wechat, shop):
    water = make_cased_water(shop.warehouse, name="矿泉水 550ml")
    rep = make_staff("rep", shop.branch, username="rep-units", name="业务员小赵")
    store = make_store(shop.branch, shop.warehouse, rep, "新开便利店")
    phone = wechat("rep-units", geolocation=STORE_AT, permissions=["geolocation"])
    phone.bind_staff(rep)
    phone.go(f"/h5/rep/customers/{store.id}")
    phone.button("签到").click()
    page = phone.page
    page.wait_for_url(f"{phone.base}/h5/rep/visits/*")
    page.get_by_role("link", name="选商品").click()
    page.get_by_label("搜索商品").fill("矿泉水")
    page.get_by_role("button", name="搜索").click()
    row = page.locator(".rep-product", has_text="矿泉水")
    row.get_by_text("箱", exact=True).click()
    assert row.get_by_label("矿泉水 550ml 数量").input_value() == "2"
    row.get_by_role("button", name="加入 矿泉水 550ml").click()
    page.locator("#visit-cart-bar", has_text="¥48.00").wait_for()
    assert "已加入 2 箱（24 件）" in row.inner_text()
    phone.shot("units-rep-catalogue")
    item = CartItem.get(CartItem.product == water.id)
    assert (item.qty, item.unit, item.unit_qty) == (24, "箱", 2)
    assert phone.errors == []
