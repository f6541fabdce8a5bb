"""The dealer's cart with promotions on the phone (375 px, WeChat): a 满减 says what the dealer is
short of and then what it took off, a 买赠 puts its gift in the cart at 0.00, and the order keeps
both."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from app.backoffice import promotions
from app.db import utcnow
from app.mall import cart
from devkit.factories import make_staff


def test_a_cart_with_a_full_reduction_and_a_gift(dealer_on_phone, shop):
    admin = make_staff("admin", username="promo_admin")
    window = {
        "starts_at": utcnow() - dt.timedelta(hours=1),
        "ends_at": utcnow() + dt.timedelta(days=3),
    }
    promotions.create_promotion(
        admin,
        {
            "name": "订货会满减",
            "kind": "full_reduction",
            "rules": {"threshold": "500", "reduction": "30"},
            **window,
        },
    )
    promotions.create_promotion(
        admin,
        {
            "name": "绿茶买十赠油",
            "kind": "gift",
            "rules": {
                "product_id": shop.tea.id,
                "min_qty": 10,
                "gift_product_id": shop.oil.id,
                "gift_qty": 1,
            },
            **window,
        },
    )
    dealer, user = dealer_on_phone("promo-cart")
    cart.set_item(user.id, shop.tea.id, 10)  # 450.00 at the dealer's level price
    page = dealer.page

    dealer.go("/h5/products")
    tea = page.locator(".product-item", has_text="茉莉绿茶")
    assert "满500减30" in tea.inner_text()

    dealer.go("/h5/cart")
    promos = page.locator("#cart-promotions")
    assert "订货会满减（满500减30）：再买 ¥50.00 可减 ¥30.00" in promos.inner_text()
    gift = page.locator(".gift-line")
    assert "赠品" in gift.inner_text() and "花生油" in gift.inner_text()
    assert "¥0.00" in gift.inner_text()
    assert page.get_by_label("花生油 数量").count() == 0  # a gift has no stepper
    assert "¥450.00" in page.locator("#checkout-total").inner_text()

    stepper = page.get_by_label("茉莉绿茶 数量")
    stepper.fill("12")
    stepper.blur()
    page.locator("#checkout-total", has_text="¥510.00").wait_for()  # 540 − 30
    assert "已优惠 ¥30.00" in page.locator("#checkout-total").inner_text()
    # The discount said once, by the promotion's name with its rule, as the order names it.
    said = page.locator("#cart-promotions p")
    expect(said.filter(has_text="订货会满减")).to_have_count(1)
    expect(said.filter(has_text="订货会满减")).to_have_text("订货会满减（满500减30）：已减 ¥30.00")
    assert "已优惠 ¥30.00" not in page.locator("#cart-promotions").inner_text()
    bar = page.locator("#checkout-total").bounding_box()
    assert bar["y"] + bar["height"] <= 812 and bar["width"] <= 375
    dealer.shot("cart-promotions", full_page=False)
    dealer.shot("cart-promotions-full")

    dealer.button("提交订单").click()
    page.get_by_text("订货会满减").first.wait_for()
    body = page.locator("main, body").first.inner_text()
    assert "赠品" in body and "−¥30.00" in body and "¥510.00" in body
    dealer.shot("order-with-promotions")
    assert dealer.errors == []


def test_a_special_price_shows_in_the_catalogue_as_the_cart_will_charge_it(dealer_on_phone, shop):
    admin = make_staff("admin", username="special_admin")
    promotions.create_promotion(
        admin,
        {
            "name": "绿茶特价",
            "kind": "special_price",
            "rules": {"items": [{"product_id": shop.tea.id, "price": "39.90"}]},
            "starts_at": utcnow() - dt.timedelta(hours=1),
            "ends_at": utcnow() + dt.timedelta(days=3),
        },
    )
    dealer, user = dealer_on_phone("special-price")
    page = dealer.page
    dealer.go("/h5/products")
    tea = page.locator(".product-item", has_text="茉莉绿茶")
    assert "特价" in tea.inner_text()
    assert tea.locator(".promo-price").inner_text() == "¥39.90/箱"
    assert tea.locator(".was-price").inner_text() == "¥45.00"  # the dealer's own price, struck
    oil = page.locator(".product-item", has_text="花生油")
    assert oil.locator(".promo-price").count() == 0 and oil.locator(".was-price").count() == 0
    dealer.shot("special-price-list")

    dealer.go(f"/h5/products/{shop.tea.id}")
    big = page.locator(".price-big")
    assert big.locator(".promo-price").inner_text() == "¥39.90" and "¥45.00" in big.inner_text()
    tag = page.locator(".promo-tag .tag").bounding_box()
    assert tag["x"] == big.locator(".promo-price").bounding_box()["x"]  # in line with the price
    dealer.shot("special-price-product")
    cart.set_item(user.id, shop.tea.id, 2)
    dealer.go("/h5/cart")
    assert "¥79.80" in page.locator("#checkout-total").inner_text()
    assert dealer.errors == []
