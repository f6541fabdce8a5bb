"""The dealer's cart on the phone (375 px, WeChat): adding adds, the stepper keeps the dealer's
place and the total in view, and the cart says in words what stock and credit will do before the
order is sent."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from app.core.models import Customer
from app.core.orders import LineRequest, create_order
from app.core.receivables import record_receipt
from app.mall import cart
from app.mall.models import CartItem
from devkit.factories import make_cased_water, make_product, put_stock


def in_cart(user, product) -> int:
    return CartItem.get((CartItem.wechat_user == user.id) & (CartItem.product == product.id)).qty


def test_reordering_from_home_says_and_adds_the_unit_last_ordered(dealer_on_phone, shop):
    dealer, user = dealer_on_phone("reorder-units")
    water = make_cased_water(shop.warehouse)
    create_order(shop.customer.id, [LineRequest(water.id, 3, "箱")], placed_by="wechat:1")
    page = dealer.page

    dealer.go("/h5/")
    recent = page.get_by_role("region", name="最近订购")
    expect(recent).to_contain_text("上次 3 箱（36 件）")
    dealer.shot("recent-in-cases")
    recent.get_by_role("button", name="再订 3 箱 矿泉水").click()
    page.get_by_text("已加入购物车，购物车中共 3 箱（36 件）").wait_for()
    row = CartItem.get((CartItem.wechat_user == user.id) & (CartItem.product == water.id))
    assert (row.qty, row.unit, row.unit_qty) == (36, "箱", 3)


def test_adding_adds_to_what_the_cart_already_holds(dealer_on_phone, shop):
    dealer, user = dealer_on_phone("cart-adds")
    create_order(shop.customer.id, [LineRequest(shop.tea.id, 10)], placed_by="wechat:1")
    cart.set_item(user.id, shop.tea.id, 30)
    page = dealer.page

    dealer.go("/h5/")
    page.get_by_role("button", name="再订 10 箱 茉莉绿茶").click()  # the last order was 10
    page.get_by_text("已加入购物车，购物车中共 40 箱").wait_for()
    assert in_cart(user, shop.tea) == 40

    dealer.go(f"/h5/products/{shop.tea.id}")
    assert "购物车中已有 40 箱" in page.locator(".in-cart").inner_text()
    assert page.get_by_label("订购数量").input_value() == "1"  # what to add, not the cart's 40
    page.get_by_role("button", name="增加数量").click()
    dealer.button("加入购物车").click()
    page.get_by_text("已加入购物车，购物车中共 42 箱").wait_for()
    assert in_cart(user, shop.tea) == 42
    dealer.shot("product-added")

    dealer.go("/h5/cart")
    stepper = page.get_by_label("茉莉绿茶 数量")
    stepper.fill("12")  # the cart page sets
    stepper.blur()
    page.locator("#checkout-total", has_text="¥540.00").wait_for()
    assert in_cart(user, shop.tea) == 12
    assert dealer.errors == []


def test_the_stepper_keeps_the_dealers_place_and_the_total_in_view(dealer_on_phone, shop):
    dealer, user = dealer_on_phone("cart-stepper")
    for i in range(12):
        product = make_product("10.00", name=f"调味品 {i + 1:02d}")
        put_stock(shop.warehouse, product, 500)
        cart.set_item(user.id, product.id, 1)
    page = dealer.page
    dealer.go("/h5/cart")
    bar = page.locator("#checkout-total")
    assert bar.is_visible() and bar.bounding_box()["y"] + bar.bounding_box()["height"] <= 812
    assert page.get_by_role("button", name="提交订单").is_visible()  # without scrolling
    dealer.shot("cart-top", full_page=False)

    last = page.locator(".cart-line").last
    last.scroll_into_view_if_needed()
    page.evaluate("window.notReloaded = true")
    before = page.evaluate("window.scrollY")
    assert before > 200

    def lines() -> list[str]:
        return page.locator(".cart-line .name").all_inner_texts()

    listed = lines()
    last.get_by_role("button", name="增加数量").click()
    page.locator("#checkout-total", has_text="¥130.00").wait_for()
    assert page.evaluate("window.notReloaded") is True  # swapped in place, not a new page
    assert abs(page.evaluate("window.scrollY") - before) < 5
    assert bar.is_visible()
    dealer.shot("cart-after-stepper", full_page=False)
    assert lines() == listed  # the line changed keeps its place, now and when the cart opens
    dealer.go("/h5/cart")
    assert lines() == listed
    assert dealer.errors == []


def test_the_cart_says_what_stock_and_credit_will_do_before_the_order_is_sent(
    dealer_on_phone, shop
):
    dealer, user = dealer_on_phone("cart-warnings")
    cart.set_item(user.id, shop.tea.id, 110)  # 100 in stock
    cart.set_item(user.id, shop.oil.id, 1)  # 5 in stock: little left
    cart.set_item(user.id, shop.boxed.id, 6)  # none in stock
    page = dealer.page
    dealer.go("/h5/cart")
    lines = {
        name: page.locator(".cart-line", has_text=name).locator(".stock").inner_text()
        for name in ("茉莉绿茶", "花生油", "饼干")
    }
    assert lines == {"茉莉绿茶": "库存紧张", "花生油": "库存紧张", "饼干": "缺货"}
    assert "可能无法足量发货" in page.locator(".cart-line", has_text="茉莉绿茶").inner_text()
    funds = page.locator("#cart-funds").inner_text()
    assert funds == "本单超出可用信用额度 ¥180.00（可用 ¥5,000.00），审核时可能需要特批"
    dealer.shot("cart-warnings")

    dealer.button("提交订单").click()
    page.wait_for_url(f"{dealer.base}/h5/orders/*")
    flashes = page.locator(".flashes").inner_text()
    assert "饼干 缺货，审核后可能无法发货" in flashes
    assert "茉莉绿茶 库存不足，可能无法足量发货" in flashes
    assert "库存紧张" not in flashes
    assert dealer.errors == []


def test_a_cart_within_credit_says_what_is_left(dealer_on_phone, shop):
    dealer, user = dealer_on_phone("cart-credit-ok")
    cart.set_item(user.id, shop.tea.id, 2)
    dealer.go("/h5/cart")
    funds = dealer.page.locator("#cart-funds").inner_text()
    assert funds == "可用信用额度 ¥5,000.00，提交后剩余 ¥4,910.00"
    assert dealer.page.locator(".cart-line .stock").inner_text() == "有货"
    assert dealer.errors == []


def test_a_prepaid_cart_says_what_the_balance_covers_and_what_is_short(dealer_on_phone, shop):
    Customer.update(settlement_method="prepaid").where(Customer.id == shop.customer.id).execute()
    record_receipt(shop.customer.id, Decimal("100.00"), "bank", "网银预付", recorded_by="t")
    dealer, user = dealer_on_phone("cart-prepaid")
    cart.set_item(user.id, shop.tea.id, 2)  # 90.00
    page = dealer.page
    dealer.go("/h5/cart")
    funds = page.locator("#cart-funds")
    assert funds.inner_text() == "预付款可用余额 ¥100.00，足够支付本单"
    stepper = page.get_by_label("茉莉绿茶 数量")
    stepper.fill("3")  # 135.00
    stepper.blur()
    expect(funds).to_have_text("预付款可用余额 ¥100.00，本单还差 ¥35.00，请及时打款")
    dealer.shot("cart-prepaid-short")
    assert dealer.errors == []


def test_a_quantity_typed_before_the_page_scripts_run_still_counts(dealer_on_phone, shop):
    """On a slow phone the page shows before its scripts have run: a quantity the dealer types
    and leaves meanwhile is sent once they run, not kept on the screen while the cart and its
    total stay at the old one (then ordered as the old one)."""
    dealer, user = dealer_on_phone("cart-typed-early")
    cart.set_item(user.id, shop.tea.id, 1)
    page = dealer.page
    held = []
    page.route("**/h5.js", lambda route: held.append(route))  # run once the dealer has typed
    page.goto(f"{dealer.base}/h5/cart", wait_until="commit")
    stepper = page.get_by_label("茉莉绿茶 数量")
    stepper.fill("12")
    stepper.blur()
    assert len(held) == 1
    held[0].continue_()
    page.locator("#checkout-total", has_text="¥540.00").wait_for()
    assert in_cart(user, shop.tea) == 12
    assert stepper.input_value() == "12"
    assert dealer.errors == []


def test_a_typed_quantity_raised_to_the_multiple_is_said(dealer_on_phone, shop):
    dealer, user = dealer_on_phone("cart-raised")
    cart.set_item(user.id, shop.boxed.id, 6)  # 饼干: 起订 6 · 倍数 6
    page = dealer.page
    dealer.go("/h5/cart")
    stepper = page.get_by_label("饼干 数量")
    stepper.fill("7")
    stepper.blur()
    note = page.locator("#cart-lines .line-note")
    expect(note).to_have_text("饼干：7 → 12，订货倍数 6 箱")
    assert in_cart(user, shop.boxed) == 12
    stepper = page.get_by_label("饼干 数量")
    stepper.fill("2")
    stepper.blur()
    expect(page.locator("#cart-lines .line-note")).to_have_text("饼干：2 → 6，起订量 6 箱")
    page.get_by_role("button", name="增加数量").click()  # a step is no raise: nothing to say
    page.locator("#checkout-total", has_text="¥120.00").wait_for()
    expect(page.locator("#cart-lines .line-note")).to_have_count(0)
    dealer.shot("cart-raised")
    assert dealer.errors == []
