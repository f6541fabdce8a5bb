"""The dealer's pages at 375 px (WeChat on a phone), measured: nothing overlaps in a cart line,
steppers are one width, tap targets are at least 40 px high, the 购物车 tab counts the cart's
lines and the order list has a tab for cancelled orders."""

from __future__ import annotations

from app.core.orders import LineRequest, cancel_order, create_order
from app.mall import cart
from devkit.factories import make_cased_water, make_product, put_stock


def overlaps(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_a_cart_line_keeps_its_parts_apart_and_its_stepper_one_width(dealer_on_phone, shop):
    dealer, user = dealer_on_phone("cart-layout")
    oil = make_product("2218.40", name="食用调和油 5L×4 特级压榨花生油礼盒装")
    put_stock(shop.warehouse, oil, 3)  # 库存紧张 for 10: the longest stock words
    water = make_cased_water(shop.warehouse, name="苏打饼干 400g")
    cart.set_item(user.id, oil.id, 10)
    cart.set_item(user.id, water.id, 2, "箱")
    cart.set_item(user.id, shop.tea.id, 2)
    page = dealer.page
    dealer.go("/h5/cart")
    widths = set()
    lines = page.locator(".cart-line:not(.gift-line)")
    assert lines.count() == 3
    for i in range(lines.count()):
        line = lines.nth(i)
        remove = line.locator(".line-remove button").bounding_box()
        assert remove["height"] >= 36 and remove["x"] + remove["width"] <= 375
        parts = [
            line.locator(".name"),
            line.locator(".weui-cell__bd > .muted").first,
            line.locator(".stepper"),
            line.locator(".line-amount"),
        ]
        for part in parts:
            for box in part.evaluate_all(
                # what is drawn: each line of its text, each box of its children
                "els => els.flatMap(e => { const r = document.createRange();"
                " r.selectNodeContents(e); return [...r.getClientRects()].map(b => "
                "({x: b.x, y: b.y, width: b.width, height: b.height})) })"
            ):
                assert not overlaps(remove, box), (i, part, box, remove)
        for part in parts[2:]:
            box = part.bounding_box()
            assert box["x"] + box["width"] <= 375 - 16, (i, box)
        widths.add(round(line.locator(".stepper").bounding_box()["width"]))
    assert len(widths) == 1, widths
    bar = page.locator("#checkout-total").bounding_box()
    submit = page.get_by_role("button", name="提交订单").bounding_box()
    assert submit["height"] <= 48 and submit["x"] + submit["width"] <= bar["x"] + bar["width"]
    dealer.shot("layout-cart")
    assert dealer.errors == []


def test_the_catalogues_search_and_chips_are_tall_enough_to_tap(dealer_on_phone, shop):
    dealer, _ = dealer_on_phone("catalogue-layout")
    page = dealer.page
    dealer.go("/h5/products")
    assert page.get_by_label("搜索商品").bounding_box()["height"] >= 40
    assert page.locator(".search button").bounding_box()["height"] >= 40
    chips = page.locator("nav.chips .chip")
    assert chips.count() >= 3
    for i in range(chips.count()):
        assert chips.nth(i).bounding_box()["height"] >= 40
    price = page.locator(f"#product-{shop.oil.id} .price").bounding_box()
    assert price["x"] + price["width"] <= 375
    dealer.shot("layout-catalogue", full_page=False)
    assert dealer.errors == []


def test_the_cart_tab_counts_the_carts_lines(dealer_on_phone, shop):
    dealer, user = dealer_on_phone("cart-badge")
    page = dealer.page
    dealer.go("/h5/")
    tab = page.get_by_role("navigation", name="主导航").get_by_role("link", name="购物车")
    assert tab.locator(".tab-count").count() == 0  # an empty cart: no badge
    cart.set_item(user.id, shop.tea.id, 2)
    cart.set_item(user.id, shop.oil.id, 1)
    dealer.go("/h5/products")
    badge = tab.locator(".tab-count")
    assert badge.inner_text() == "2" and badge.get_attribute("aria-label") == "购物车中 2 种商品"
    box, label = badge.bounding_box(), tab.locator(".weui-tabbar__label").bounding_box()
    assert not overlaps(box, label) and box["x"] + box["width"] <= 375
    dealer.shot("layout-cart-badge", full_page=False)
    assert dealer.errors == []


def test_cancelled_orders_have_their_own_tab(dealer_on_phone, shop):
    dealer, _ = dealer_on_phone("cancelled-tab")
    kept = create_order(shop.customer.id, [LineRequest(shop.tea.id, 1)], placed_by="wechat:1")
    gone = create_order(shop.customer.id, [LineRequest(shop.oil.id, 1)], placed_by="wechat:1")
    cancel_order(gone.id, "test")
    page = dealer.page
    dealer.go("/h5/orders")
    tabs = page.get_by_role("navigation", name="订单状态")
    tabs.get_by_role("link", name="已取消").click()
    page.wait_for_url("**/h5/orders?status=cancelled")
    listed = page.locator("main").inner_text()
    assert gone.number in listed and kept.number not in listed
    for i in range(tabs.get_by_role("link").count()):
        box = tabs.get_by_role("link").nth(i).bounding_box()
        assert box["x"] + box["width"] <= 375
    dealer.shot("layout-orders-cancelled", full_page=False)
    assert dealer.errors == []
