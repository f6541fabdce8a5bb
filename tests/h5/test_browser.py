"""The H5 pages in a real browser at a phone's size, with WeChat's user agent: Playwright drives
Debian's Chromium against the app under gunicorn, signing in through the sandbox's OAuth.

The dealer binds from the invitation link, orders (a double tap makes one order), staff approve
and ship through the admin API, the dealer sees the carrier and tracking number, confirms receipt
and reorders; another WeChat user sees nothing of it. The rep checks in (refused far away, taken
at the store), uploads a shelf photo, reports stock and sales, orders from the suggestions and
checks out. Every page is screenshotted to test-artifacts/screenshots/h5/; any console error
fails the test.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import requests

from app.core.models import Order, ReturnRequest
from app.core.orders import approve_order
from app.field import reports
from app.field.models import StockSalesReport, Visit, VisitPhoto
from app.mall import accounts
from devkit.factories import make_staff, make_store
from devkit.testing.clients import ADMIN, png_bytes, staff_headers

STORE = {"latitude": 31.2304, "longitude": 121.4737}


def staff_call(base, staff, method, path, body=None):
    response = requests.request(
        method,
        f"{base}{ADMIN}{path}",
        json=body,
        headers=staff_headers(staff),
        timeout=10,
    )
    assert response.status_code < 300, response.text
    return response.json()


def test_a_dealer_binds_orders_tracks_confirms_and_reorders_on_the_phone(
    wechat, gunicorn, shop, screenshots
):
    base = gunicorn.url
    invitation = accounts.create_invitation("dealer", customer_id=shop.customer.id)
    dealer = wechat("browser-h5-dealer")
    page = dealer.page

    page.goto(f"{base}/h5/bind?code={invitation.code}")  # the link in the welcome message
    assert page.get_by_label("邀请码").input_value() == invitation.code
    dealer.shot("bind")
    dealer.button("绑定").click()
    page.wait_for_url(f"{base}/h5/?bound=1")
    dealer.shot("home")

    page.goto(f"{base}/h5/products")
    dealer.shot("products")
    page.get_by_text("茉莉绿茶").first.click()
    page.wait_for_url(f"{base}/h5/products/{shop.tea.id}")
    page.get_by_role("button", name="增加数量").click()
    assert page.get_by_label("订购数量").input_value() == "2"
    dealer.shot("product")
    dealer.button("加入购物车").click()
    page.get_by_text("已加入购物车").wait_for()

    page.goto(f"{base}/h5/cart")
    assert "¥90.00" in page.content()
    dealer.shot("cart")
    dealer.button("提交订单").dblclick()  # a double tap
    page.wait_for_url(f"{base}/h5/orders/*")
    assert Order.select().where(Order.customer == shop.customer.id).count() == 1
    order = Order.get(Order.customer == shop.customer.id)
    dealer.shot("order-pending")

    admin = make_staff("admin", username="h5-admin")
    staff_call(base, admin, "post", f"/orders/{order.id}/approve", {})
    line = staff_call(base, admin, "get", f"/orders/{order.id}")["lines"][0]
    staff_call(
        base,
        admin,
        "post",
        f"/orders/{order.id}/shipments",
        {
            "lines": [{"order_line_id": line["id"], "qty": 2}],
            "carrier": "顺丰速运",
            "tracking_no": "SF1234567890",
        },
    )
    page.reload()
    assert "顺丰速运" in page.content() and "SF1234567890" in page.content()
    dealer.shot("order-shipped")
    dealer.button("确认收货").click()
    page.get_by_text("已确认收货").wait_for()
    assert Order.get_by_id(order.id).status == "completed"
    dealer.button("再来一单").click()
    page.wait_for_url(f"{base}/h5/cart")
    assert "茉莉绿茶" in page.content()

    # 申请退货 on the completed order: one of the two back, with a reason and a photo.
    page.goto(f"{base}/h5/orders/{order.id}")
    page.get_by_role("button", name="申请退货").click()
    page.get_by_label("茉莉绿茶 退货数量").fill("1")
    page.get_by_placeholder("退货原因（必填），如破损、错发").fill("外箱破损")
    photo = screenshots / "return-photo.png"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(png_bytes())
    page.get_by_label("退货照片").set_input_files(str(photo))
    dealer.shot("return-new")
    dealer.button("提交退货申请").click()
    page.get_by_text("退货申请已提交").wait_for()
    returned = ReturnRequest.get(ReturnRequest.order == order.id)
    assert (returned.status, returned.amount, len(returned.photos)) == (
        "pending",
        Decimal("45.00"),
        1,
    )
    staff_call(base, admin, "post", f"/returns/{returned.id}/approve", {})
    line_id = staff_call(base, admin, "get", f"/returns/{returned.id}")["lines"][0]["id"]
    staff_call(
        base,
        admin,
        "post",
        f"/returns/{returned.id}/receive",
        {"lines": [{"return_line_id": line_id, "qty": 1}]},
    )
    page.reload()
    assert "已入库" in page.content() and "¥45.00" in page.content()
    dealer.shot("return-received")

    for path, name in (
        ("/h5/orders", "orders"),
        ("/h5/account", "account"),
        ("/h5/messages", "messages"),
    ):
        page.goto(f"{base}{path}")
        dealer.shot(name)
    assert order.number in page.content()  # the messages page lists the order's events

    other = wechat("browser-h5-stranger")
    other_invite = accounts.create_invitation("dealer", customer_id=shop.other.id)
    other.page.goto(f"{base}/h5/bind?code={other_invite.code}")
    other.button("绑定").click()
    other.page.wait_for_url(f"{base}/h5/?bound=1")
    seen = other.page.goto(f"{base}/h5/orders/{order.id}")
    assert seen.status == 404 and "页面不存在" not in other.page.content()
    assert "订单不存在" in other.page.content()
    other.errors = [e for e in other.errors if "404" not in e]  # that 404 was the point
    other.page.goto(f"{base}/h5/orders")
    assert order.number not in other.page.content()
    other.shot("someone-elses-order")

    for width in (320, 430):  # the narrowest and widest phones WeChat runs on
        page.set_viewport_size({"width": width, "height": 800})
        for path in ("/h5/", "/h5/products", "/h5/cart", f"/h5/orders/{order.id}", "/h5/account"):
            page.goto(f"{base}{path}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (width, path, overflow)
        dealer.shot(f"account-{width}px")

    assert dealer.errors == [] and other.errors == [], dealer.errors + other.errors


def test_a_rep_checks_in_reports_orders_and_checks_out_on_the_phone(
    wechat, gunicorn, shop, tmp_path
):
    base = gunicorn.url
    rep = make_staff("rep", shop.branch, username="h5-rep", name="业务员张三")
    store = make_store(shop.branch, shop.warehouse, rep, "静安便利店", level=3)
    two_weeks_ago = dt.date.today() - dt.timedelta(days=14)
    reports.submit_report(
        store.id,
        two_weeks_ago,
        [{"product_id": shop.tea.id, "stock_qty": 40, "sales_qty": 10}],
        source="dealer",
    )
    invitation = accounts.create_invitation("rep", staff_id=rep.id)
    far = {"latitude": STORE["latitude"] + 0.02, "longitude": STORE["longitude"]}  # ~2.2 km
    phone = wechat("browser-h5-rep", geolocation=far, permissions=["geolocation"])
    page = phone.page

    page.goto(f"{base}/h5/bind?code={invitation.code}")
    phone.button("绑定").click()
    page.wait_for_url(f"{base}/h5/rep/?bound=1")
    phone.shot("rep-plan")
    page.get_by_text("静安便利店").first.click()
    phone.button("签到").click()
    page.get_by_text("超出签到范围").wait_for()
    phone.shot("rep-checkin-too-far")
    assert Visit.select().count() == 0
    phone.errors = [e for e in phone.errors if "422" not in e]  # that refusal was the point

    phone.context.set_geolocation(STORE)
    phone.button("签到").click()
    page.wait_for_url(f"{base}/h5/rep/visits/*")
    visit = Visit.get()

    photo = tmp_path / "shelf.png"
    photo.write_bytes(png_bytes())
    chosen = page.locator(".file-pick .file-chosen")
    assert chosen.inner_text() == "未选择照片"
    assert chosen.evaluate("e => e.scrollWidth <= e.clientWidth")  # said whole, not "未…"
    page.get_by_label("拍摄货架照片").set_input_files(str(photo))
    phone.button("上传照片").click()
    page.get_by_text("照片已上传").wait_for()
    assert VisitPhoto.select().where(VisitPhoto.visit == visit.id).count() == 1

    page.get_by_label("茉莉绿茶 库存").fill("2")
    page.get_by_label("茉莉绿茶 销量").fill("30")
    phone.button("上报进销存").click()
    page.get_by_text("已上报 1 种商品的进销存").wait_for()
    assert StockSalesReport.select().where(StockSalesReport.visit == visit.id).count() == 1

    phone.button("按建议补货").click()
    page.get_by_text("已按补货建议加入").wait_for()
    phone.shot("rep-visit")
    phone.button("提交订单").click()
    page.get_by_text("已为客户下单").wait_for()
    placed = Order.get(Order.customer == store.id)
    assert (placed.source, placed.placed_by) == ("rep", f"rep:{rep.id}")

    phone.button("签退").click()
    page.wait_for_url(f"{base}/h5/rep/")
    assert Visit.get_by_id(visit.id).checkout_at is not None
    phone.shot("rep-after-checkout")

    # Approved at HQ: the rep hears of it in their inbox.
    approve_order(placed.id, "staff:1")
    page.goto(f"{base}/h5/rep/")
    page.get_by_role("link", name="消息").click()
    page.get_by_text("订单已审核通过").wait_for()
    phone.shot("rep-messages")
    assert phone.errors == [], phone.errors


def test_a_staff_member_binds_hears_of_a_new_order_and_approves_it_on_the_phone(
    wechat, gunicorn, sandbox, shop, app
):
    from urllib.parse import urlsplit

    from app import outbox
    from app.core.orders import LineRequest, create_order
    from app.mall.models import WechatUser
    from app.notify.delivery import NOTIFICATIONS

    base = gunicorn.url
    sandbox.state.reset()
    cs = make_staff("customer_service", username="h5-cs", name="客服小王")
    invitation = accounts.create_invitation("staff", staff_id=cs.id)
    phone = wechat("browser-h5-cs")
    page = phone.page
    page.goto(f"{base}/h5/bind?code={invitation.code}")
    phone.button("绑定").click()
    page.wait_for_url(f"{base}/h5/staff/?bound=1")
    # They follow the official account (the callback records the subscribe event).
    WechatUser.update(follows_oa=True).where(
        WechatUser.oa_openid == "sandbox-oa-browser-h5-cs"
    ).execute()

    order = create_order(shop.customer.id, [LineRequest(shop.tea.id, 2)], placed_by="wechat:1")
    with app.app_context():
        outbox.deliver_due(NOTIFICATIONS)
    (message,) = sandbox.messages(touser="sandbox-oa-browser-h5-cs")
    assert (
        message["template_id"] == "staff-task" and message["data"]["phrase4"]["value"] == "待审核"
    )
    page.goto(f"{base}{urlsplit(message['url']).path}")  # the link in the WeChat message
    assert "信用与资金" in page.content() and "可用库存" in page.content()
    phone.shot("staff-order")
    phone.button("通过").click()
    page.get_by_text("订单已审核通过").wait_for()
    assert Order.get_by_id(order.id).status == "approved"
    phone.shot("staff-order-approved")
    page.goto(f"{base}/h5/staff/")
    phone.shot("staff-queue")
    assert phone.errors == [], phone.errors
