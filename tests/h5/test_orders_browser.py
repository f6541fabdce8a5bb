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
