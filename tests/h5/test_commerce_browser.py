"""收藏 and 快速下单 on the dealer's phone (375 px, WeChat's browser), in Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from app.mall.models import CartItem, Favourite


def test_a_dealer_hearts_a_product_and_finds_it_in_favourites(dealer_on_phone, shop):
    dealer, _ = dealer_on_phone("hearts")
    page = dealer.page
    dealer.go("/h5/products")
    page.get_by_role("button", name=f"收藏 {shop.tea.name}").click()
    expect(page.get_by_role("button", name=f"取消收藏 {shop.tea.name}")).to_have_attribute(
        "aria-pressed", "true"
    )
    dealer.shot("catalogue-heart", full_page=False)
    dealer.go(f"/h5/products/{shop.oil.id}")
    page.get_by_role("button", name=f"收藏 {shop.oil.name}").click()
    page.get_by_text("已收藏").wait_for()
    dealer.shot("product-heart", full_page=False)
    assert Favourite.select().count() == 2
    dealer.go("/h5/account")
    page.get_by_role("link", name="我的收藏").click()
    items = page.locator("#favourite-list .product-item")
    expect(items).to_have_count(2)
    assert "¥170.00" in items.first.inner_text()  # the newest first, at the dealer's price
    dealer.shot("favourites")
    page.get_by_role("button", name=f"取消收藏 {shop.tea.name}").click()
    expect(page.locator("#favourite-list .product-item")).to_have_count(1)
    assert dealer.errors == []


def test_a_dealer_pastes_a_list_and_sees_what_was_added(dealer_on_phone, shop):
    dealer, user = dealer_on_phone("quick")
    page = dealer.page
    dealer.go("/h5/")
    page.get_by_role("link", name="快速下单").click()
    page.get_by_label("粘贴商品清单").fill(
        f"{shop.tea.sku}, 10\n{shop.boxed.sku}, 4\nNOPE-1, 3\n{shop.oil.sku}, 1, 托\n坏行"
    )
    dealer.shot("quick-order-typed", full_page=False)
    dealer.button("加入购物车").click()
    page.locator("#quick-added").wait_for()
    assert "已加入购物车 2 种" in page.locator(".quick-result").inner_text()
    assert "4 → 6，起订量 6 箱" in page.locator("#quick-adjusted").inner_text()
    assert "NOPE-1" in page.locator("#quick-not-found").inner_text()
    assert "没有单位“托”" in page.locator("#quick-refused").inner_text()
    assert "第 5 行“坏行”" in page.locator("#quick-errors").inner_text()
    dealer.shot("quick-order-result")
    quantities = {
        c.product_id: c.qty for c in CartItem.select().where(CartItem.wechat_user == user.id)
    }
    assert quantities == {shop.tea.id: 10, shop.boxed.id: 6}
    page.get_by_role("link", name="去购物车 ¥510.00").click()
    page.wait_for_url("**/h5/cart")
    assert dealer.errors == []


def test_a_dealer_uploads_a_csv(dealer_on_phone, shop, tmp_path):
    dealer, user = dealer_on_phone("quick-file")
    listing = tmp_path / "清单.csv"
    listing.write_bytes(f"编码,数量,单位\r\n{shop.tea.sku},20,箱\r\n".encode("gb18030"))
    dealer.go("/h5/quick-order")
    dealer.page.set_input_files("input[name=file]", str(listing))
    dealer.button("加入购物车").click()
    dealer.page.locator("#quick-added").wait_for()
    assert "20 箱" in dealer.page.locator("#quick-added").inner_text()
    assert CartItem.get(CartItem.wechat_user == user.id).qty == 20
    assert dealer.errors == []


def test_the_order_list_has_a_search_box(dealer_on_phone, shop):
    from app.core.orders import LineRequest
    from app.mall import ordering

    dealer, _ = dealer_on_phone("search")
    tea = ordering.place_order(shop.customer, [LineRequest(shop.tea.id, 10)]).order
    oil = ordering.place_order(shop.customer, [LineRequest(shop.oil.id, 1)]).order
    page = dealer.page
    dealer.go("/h5/orders")
    page.get_by_label("搜索订单").fill("花生油")
    page.get_by_label("搜索订单").press("Enter")
    page.wait_for_url("**/h5/orders?q=*")
    cards = page.locator(".order-card")
    expect(cards).to_have_count(1)
    assert oil.number in cards.first.inner_text() and tea.number not in page.content()
    dealer.shot("order-search", full_page=False)
    assert dealer.errors == []
