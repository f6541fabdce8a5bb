"""The dealer's orders on the phone (375 px, WeChat): what customer service changed is in the
order's history and the inbox, in words."""

from __future__ import annotations

import re
import struct
import zlib

from playwright.sync_api import expect

from app.backoffice import orders as staff_orders
from app.core.models import CustomerAddress
from app.core.orders import LineRequest, create_order
from app.mall import accounts
from devkit.factories import make_staff


def test_the_dealer_sees_an_adjustment_in_the_timeline_and_the_inbox(dealer_on_phone, shop):
    dealer, user = dealer_on_phone("order-adjusted")
    order = create_order(
        shop.customer.id,
        [LineRequest(shop.tea.id, 10), LineRequest(shop.oil.id, 1)],
        placed_by=f"wechat:{user.id}",
    )
    cs = make_staff("customer_service", username="adjusting-cs", name="客服小李")
    staff_orders.adjust(
        cs, order.id, [{"product_id": shop.tea.id, "qty": 15}], "仓库只剩整箱，按 15 箱发"
    )
    page = dealer.page
    dealer.go(f"/h5/orders/{order.id}")
    banner = page.locator(".adjusted").inner_text()
    assert "茉莉绿茶 数量 10→15" in banner and "删除 花生油" in banner
    assert "仓库只剩整箱，按 15 箱发" in banner
    entry = page.locator(".timeline .timeline-adjust").inner_text()
    assert entry.startswith(page.locator(".timeline-adjust span").inner_text())
    assert "订单调整（茉莉绿茶 数量 10→15" in entry and "adjust" not in entry
    assert "¥675.00" in page.locator(".weui-cell.total").inner_text()
    dealer.shot("order-adjusted")

    dealer.go("/h5/messages")
    inbox = page.locator(".messages").inner_text()
    assert order.number in inbox and "10→15" in inbox
    dealer.shot("messages-adjusted")
    assert dealer.errors == []


def real_png(size: int = 4) -> bytes:
    """A red square a browser can draw (the photo the dealer took), written out as PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xc8\x1e\x1e" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_the_dealer_sees_the_photos_they_sent_with_a_return(dealer_on_phone, wechat, shop, app):
    from app.adapters.storage import LocalStorage
    from app.core.orders import approve_order, ship_order
    from app.mall import returns

    dealer, _user = dealer_on_phone("return-photos")
    order = create_order(shop.customer.id, [LineRequest(shop.tea.id, 4)], placed_by="x")
    approve_order(order.id, "staff:1")
    line = order.lines[0]
    ship_order(order.id, [(line.id, 4)], "顺丰速运", "SF1", "staff:1")
    asked = returns.request(
        shop.customer.id, order.id, [{"order_line_id": line.id, "qty": 1}], "瓶身破损", "x"
    )
    storage = LocalStorage(app.config["UPLOAD_DIR"])
    for _ in range(2):
        returns.add_photo(shop.customer.id, asked.id, real_png(), storage, 5 * 1024 * 1024)
    page = dealer.page
    dealer.go(f"/h5/returns/{asked.id}")
    photos = page.get_by_role("img", name=re.compile("退货照片"))
    assert photos.count() == 2
    for photo in photos.all():
        # The server sends the picture itself to the dealer's browser session.
        sent = page.request.get(f"{dealer.base}{photo.get_attribute('src')}")
        assert (sent.status, sent.headers["content-type"]) == (200, "image/png")
        assert sent.body() == real_png()
        # Drawn lazily, once in view: bring it wholly into the viewport (a loaded machine may
        # paint late), then the browser itself has drawn it, at the size it was sent.
        photo.scroll_into_view_if_needed()
        expect(photo).to_be_in_viewport(ratio=1)
        expect(photo).to_have_js_property("naturalWidth", 4, timeout=30000)
    dealer.shot("return-photos")

    stranger = wechat("return-photos-stranger")
    stranger.bind(accounts.create_invitation("dealer", customer_id=shop.other.id).code)
    assert stranger.go(photos.first.get_attribute("src")).status == 404  # not theirs
    assert dealer.errors == []


def test_the_order_page_labels_a_long_address_on_one_line_beside_it(dealer_on_phone, shop):
    dealer, user = dealer_on_phone("order-address")
    CustomerAddress.update(address="张杨路 1200 号时代广场 B 座 1808 室").where(
        CustomerAddress.customer == shop.customer.id
    ).execute()
    order = create_order(
        shop.customer.id,
        [LineRequest(shop.tea.id, 2)],
        placed_by=f"wechat:{user.id}",
        remark="周五上午送货，谢谢",
    )
    page = dealer.page
    dealer.go(f"/h5/orders/{order.id}")
    for label in ("收货地址", "备注"):
        cell = page.locator(".weui-cell", has=page.get_by_text(label, exact=True))
        name = cell.locator(".weui-cell__bd").bounding_box()
        value = cell.locator(".weui-cell__ft").bounding_box()
        line = page.evaluate(
            "e => parseFloat(getComputedStyle(e).lineHeight) || 20",
            cell.locator(".weui-cell__bd").element_handle(),
        )
        assert name["height"] < 1.5 * line, f"{label} wraps"
        assert name["x"] + name["width"] <= value["x"], f"{label} runs under its value"
    assert "张杨路 1200 号时代广场" in page.locator(".weui-cell", has_text="收货地址").inner_text()
    dealer.shot("order-address")
    assert dealer.errors == []


def _shipped_return(customer_id: int, product, qty: int, reason: str):
    from app.core.orders import approve_order, ship_order
    from app.mall import returns

    order = create_order(customer_id, [LineRequest(product.id, qty)], placed_by="x")
    approve_order(order.id, "staff:1")
    line = order.lines[0]
    ship_order(order.id, [(line.id, qty)], "顺丰速运", "SF1", "staff:1")
    return returns.request(
        customer_id, order.id, [{"order_line_id": line.id, "qty": qty}], reason, "x"
    )


def test_the_dealer_finds_their_returns_under_my_account_newest_first(
    dealer_on_phone, shop, client
):
    from app.core import returns as core_returns

    dealer, _user = dealer_on_phone("return-list")
    older = _shipped_return(shop.customer.id, shop.oil, 1, "漏油")
    newer = _shipped_return(shop.customer.id, shop.tea, 2, "瓶身破损")
    core_returns.reject(older.id, "staff:1", "超过退货期限")
    theirs = _shipped_return(shop.other.id, shop.tea, 1, "别家的退货")
    page = dealer.page
    dealer.go("/h5/account")
    page.locator("a.returns-link").click()
    page.wait_for_url(f"{dealer.base}/h5/returns")
    cards = page.locator(".return-card")
    assert [cards.nth(i).get_attribute("id") for i in range(cards.count())] == [
        f"return-{newer.id}",
        f"return-{older.id}",
    ]  # their own only, newest first
    first, second = cards.nth(0).inner_text(), cards.nth(1).inner_text()
    assert newer.number in first and "待审核" in first and "茉莉绿茶 × 2" in first
    assert f"¥{newer.amount:,.2f}" in first
    assert "已驳回" in second and "pending" not in first + second
    assert theirs.number not in page.locator(".return-list").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= 375")
    dealer.shot("returns-list")
    cards.nth(0).click()
    page.wait_for_url(f"{dealer.base}/h5/returns/{newer.id}")
    assert "瓶身破损" in page.locator(".timeline").inner_text()
    assert dealer.errors == []


def test_the_returns_list_says_so_when_there_are_none(dealer_on_phone):
    dealer, _user = dealer_on_phone("return-list-empty")
    dealer.go("/h5/returns")
    assert "还没有退货申请" in dealer.page.locator(".return-list").inner_text()
    assert dealer.errors == []
