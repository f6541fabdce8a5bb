"""The dealer's orders on the phone (375 px, WeChat): what customer service changed is in the
order's history and the inbox, in words."""

from __future__ import annotations

from app.backoffice import orders as staff_orders
from app.core.orders import LineRequest, create_order
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
