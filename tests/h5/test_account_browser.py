"""The dealer's 我的 page on the phone (375 px, WeChat): what each amount counts, a way to call
customer service, and the prompt to follow the official account."""

from __future__ import annotations

import re
from decimal import Decimal

from app.core.orders import LineRequest, approve_order, create_order
from app.core.receivables import record_receipt
from app.mall.models import WechatUser


def test_the_account_says_what_is_counted_in_transit_and_what_waits_for_review(
    dealer_on_phone, shop
):
    dealer, _ = dealer_on_phone("account-counts")
    create_order(shop.customer.id, [LineRequest(shop.tea.id, 2)], placed_by="x")  # 90.00
    create_order(shop.customer.id, [LineRequest(shop.oil.id, 1)], placed_by="x")  # 170.00
    approve_order(
        create_order(shop.customer.id, [LineRequest(shop.tea.id, 1)], placed_by="x").id, "t"
    )
    page = dealer.page
    dealer.go("/h5/account")
    assert page.title() == "我的账户"  # WeChat's top bar shows it
    transit = page.locator(".weui-cell", has_text="在途订单").first.inner_text()
    assert "已审核、未发货的订单" in transit and "¥45.00" in transit
    assert page.locator(".awaiting").inner_text() == "2 单 · ¥260.00"
    dealer.shot("account")
    page.get_by_role("link", name="待审核订单").click()
    page.wait_for_url("**/h5/orders?status=pending_review")
    assert dealer.errors == []


def test_the_statement_reads_on_a_phone(dealer_on_phone, shop):
    dealer, _ = dealer_on_phone("account-statement")
    record_receipt(shop.customer.id, Decimal("500.00"), "bank", "RC-流水 20261204-0001", "test")
    page = dealer.page
    dealer.go("/h5/account")
    table = page.locator("table.statement")
    rows = table.locator("tbody tr")
    assert rows.count() == 3  # opening, the receipt, closing
    for row in range(3):
        cells = rows.nth(row).locator("td")
        day = cells.nth(0)
        assert re.fullmatch(r"\d\d-\d\d", day.inner_text()), day.inner_text()
        lines = "e => { const r = document.createRange(); r.selectNodeContents(e);"
        lines += " return r.getClientRects().length; }"
        assert day.evaluate(lines) == 1  # the date on one line
        assert re.fullmatch(r"-?¥[\d,]+\.\d\d", cells.nth(3).inner_text())
    assert "-¥500.00" in rows.nth(1).inner_text()
    assert table.bounding_box()["width"] <= page.viewport_size["width"]
    dealer.shot("account-statement")
    assert dealer.errors == []


def test_the_dealer_can_call_customer_service_from_the_account_page(dealer_on_phone):
    dealer, _ = dealer_on_phone("account-call")
    dealer.go("/h5/account")
    call = dealer.page.get_by_role("link", name="联系客服")
    assert call.get_attribute("href") == "tel:400-800-1234"
    assert dealer.errors == []


def test_a_dealer_who_does_not_follow_is_asked_to_and_can_put_it_off_on_the_home_page(
    dealer_on_phone,
):
    dealer, user = dealer_on_phone("account-follow")
    page = dealer.page
    dealer.go("/h5/")
    prompt = page.locator(".follow-prompt")
    assert "审核结果、发货和物流单号" in prompt.inner_text()
    dealer.shot("home-follow-prompt")
    prompt.get_by_role("button", name="稍后再说").click()
    page.wait_for_url(f"{dealer.base}/h5/")
    assert page.locator(".follow-prompt").count() == 0
    dealer.go("/h5/account")
    assert page.locator(".follow-prompt").count() == 1  # 我的 still says it

    WechatUser.update(follows_oa=True).where(WechatUser.id == user.id).execute()
    page.reload()
    assert page.locator(".follow-prompt").count() == 0
    assert dealer.errors == []


def test_a_dealer_unbinds_their_wechat_from_the_account_page(dealer_on_phone, shop):
    dealer, user = dealer_on_phone("account-unbind")
    page = dealer.page
    dealer.go("/h5/account")
    page.once("dialog", lambda dialog: dialog.accept())  # 确定解除吗？
    page.get_by_role("button", name="解除绑定").click()
    page.wait_for_url(f"{dealer.base}/h5/bind")
    assert f"已解除与“{shop.customer.name}”的绑定" in page.locator(".flashes").inner_text()
    unbound = WechatUser.get_by_id(user.id)
    assert (unbound.role, unbound.customer_id) == (None, None)
    dealer.go("/h5/orders")
    page.wait_for_url(f"{dealer.base}/h5/bind")  # no longer anyone's dealer
    dealer.shot("unbound")
    assert dealer.errors == []
