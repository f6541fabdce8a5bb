"""The dealer's money pages in a real browser at a phone's size with WeChat's user agent,
against the app under gunicorn and the sandbox's WeChat Pay: 充值, paying an order (and closing
the page mid-payment), 发票 and 对账单. WeChat's client is outside our walls: its
WeixinJSBridge is stood in for by a script that hands the signed block to the sandbox's payer.
Screenshots go to test-artifacts/screenshots/h5/."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal as D

import pytest
import requests

from app.core import orders, receivables
from app.core.models import Order
from app.mall import accounts
from app.payments.models import Invoice, Payment, StatementConfirmation
from app.timeutil import local_today
from devkit.factories import make_staff, place
from devkit.testing.clients import ADMIN, staff_headers

pytestmark = pytest.mark.slow

# WeChat's client: getBrandWCPayRequest shows the payment sheet; here the sheet's block is kept
# for the test (as the payer) and the client answers "ok" — unless the dealer closes the page.
WEIXIN_JS_BRIDGE = """
window.__wxpay = null;
window.WeixinJSBridge = {
  invoke: function (name, params, callback) {
    window.__wxpay = {name: name, params: params};
    if (!window.__leaveOpen) {
      setTimeout(function () { callback({err_msg: "get_brand_wcpay_request:ok"}); }, 50);
    }
  }
};
"""


def bound_phone(wechat, gunicorn, customer, person):
    phone = wechat(person)
    phone.context.add_init_script(WEIXIN_JS_BRIDGE)
    phone.bind(accounts.create_invitation("dealer", customer_id=customer.id).code)
    return phone


def sheet(phone) -> dict:
    """What WeChat's client was handed (waits for the tap to reach it; polled from here, as the
    page's Content-Security-Policy allows no evaluated predicate)."""
    deadline = time.monotonic() + 10
    while (found := phone.page.evaluate("window.__wxpay")) is None:
        assert time.monotonic() < deadline, "WeixinJSBridge was never invoked"
        time.sleep(0.05)
    assert found["name"] == "getBrandWCPayRequest"
    return found["params"]


def test_a_dealer_tops_up_and_the_result_page_waits_for_our_server_not_the_browser(
    wechat, gunicorn, shop, pay_sandbox
):
    base = gunicorn.url
    phone = bound_phone(wechat, gunicorn, shop.customer, "pay-topup")
    page = phone.page
    before = receivables.account_position(shop.customer.id).balance

    page.goto(f"{base}/h5/account")
    page.get_by_role("link", name="充值").click()
    page.get_by_text("¥1000").click()
    assert page.get_by_label("充值金额").input_value() == "1000"
    phone.shot("topup")
    phone.button("下一步").click()
    page.wait_for_url(f"{base}/h5/pay/*")
    assert "¥1,000.00" in page.content()  # the pay sheet writes amounts as every page does
    phone.shot("pay-sheet")
    phone.button("立即支付").click()
    block = sheet(phone)
    page.wait_for_url(f"{base}/h5/pay/*/result?said=*")
    # WeChat's client said "ok", but nothing was paid: our server says so.
    page.get_by_text("支付确认中").wait_for()
    phone.shot("pay-waiting")
    payment = Payment.get()
    assert payment.status == "pending"

    pay_sandbox.pay(payment.out_trade_no, jsapi=block)  # the payer confirms in WeChat
    page.get_by_text("支付成功").wait_for(timeout=15000)  # the page asked until it knew
    phone.shot("pay-success")
    assert receivables.account_position(shop.customer.id).balance == before + D("1000.00")
    page.goto(f"{base}/h5/payments")
    assert "已支付" in page.content()
    phone.shot("payments")
    for width in (320, 430):  # the narrowest and widest phones WeChat runs on
        page.set_viewport_size({"width": width, "height": 800})
        for path in (
            "/h5/pay/topup",
            f"/h5/pay/{payment.id}/result",
            "/h5/payments",
            "/h5/invoices",
            "/h5/invoices/new",
            "/h5/statements",
        ):
            page.goto(f"{base}{path}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (width, path, overflow)
    assert phone.errors == []


def test_a_dealer_pays_an_order_closes_the_page_mid_payment_and_finds_it_paid(
    wechat, gunicorn, shop, pay_sandbox
):
    base = gunicorn.url
    order = place(shop.customer, (shop.tea, 3))  # 3 × 45.00
    phone = bound_phone(wechat, gunicorn, shop.customer, "pay-order")
    page = phone.page
    page.goto(f"{base}/h5/orders/{order.id}")
    assert "待付款" in page.content() and "¥135.00" in page.content()
    phone.shot("order-unpaid")
    phone.button("去付款").click()
    page.wait_for_url(f"{base}/h5/pay/*")
    page.evaluate("window.__leaveOpen = true")  # the sheet stays up: no answer from WeChat
    phone.button("立即支付").click()
    block = sheet(phone)
    page.close()  # the dealer closes the page while paying

    payment = Payment.get(Payment.order == order.id)
    pay_sandbox.pay(payment.out_trade_no, jsapi=block)
    pay_sandbox.wait_answered(payment.out_trade_no)

    page = phone.context.new_page()
    page.goto(f"{base}/h5/payments")
    assert "订单付款 ¥135.00" in page.content() and "已支付" in page.content()
    page.goto(f"{base}/h5/orders/{order.id}")
    assert "去付款" not in page.content() and "微信支付" in page.content()
    phone.page = page
    phone.shot("order-paid")
    assert phone.errors == []


def test_a_dealer_asks_for_an_invoice_and_downloads_it_once_issued(
    wechat, gunicorn, shop, pay_sandbox
):
    base = gunicorn.url
    order = place(shop.customer, (shop.tea, 2))
    orders.approve_order(order.id, "staff:1")
    line = Order.get_by_id(order.id).lines[0]
    orders.ship_order(order.id, [(line.id, 2)], "顺丰", "SF1", "staff:2")
    phone = bound_phone(wechat, gunicorn, shop.customer, "pay-invoice")
    page = phone.page
    page.goto(f"{base}/h5/account")
    page.get_by_role("link", name="发票").click()
    page.get_by_role("link", name="申请开票").click()
    page.get_by_label(order.number).check()
    page.get_by_label("增值税专用发票").check()
    page.get_by_label("抬头").fill("上海某某商贸有限公司")
    page.get_by_label("税号").fill("91310000MA1FL0000X")
    phone.shot("invoice-new")
    phone.button("提交开票申请").click()
    page.get_by_text("开票申请已提交").wait_for()
    page.get_by_text("待开票").wait_for()
    invoice = Invoice.get()
    finance = make_staff("finance", username="pay-fin")
    issued = requests.post(
        f"{base}{ADMIN}/invoices/{invoice.id}/issue",
        data={"invoice_no": "26312000000000054321"},
        files={"file": ("fapiao.pdf", b"%PDF-1.7 test invoice", "application/pdf")},
        headers=staff_headers(finance),
        timeout=10,
    )
    assert issued.status_code == 200, issued.text
    page.reload()
    assert "已开票" in page.content() and "26312000000000054321" in page.content()
    phone.shot("invoices")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载发票").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert phone.errors == []


def test_a_dealer_disputes_last_months_statement_then_confirms_it(
    wechat, gunicorn, shop, pay_sandbox
):
    base = gunicorn.url
    receivables.record_receipt(shop.customer.id, D("300.00"), "bank", "网银", recorded_by="test")
    phone = bound_phone(wechat, gunicorn, shop.customer, "pay-statement")
    page = phone.page
    first = local_today().replace(day=1)
    period = f"{first - dt.timedelta(days=1):%Y-%m}"
    page.goto(f"{base}/h5/account")
    page.get_by_role("link", name="月度对账单").click()
    page.wait_for_url(f"{base}/h5/statements")
    assert period in page.content() and "未确认" in page.content()
    page.get_by_label("异议说明").fill("上月 20 日的回款未计入")
    phone.shot("statement")
    phone.button("有异议").click()
    page.get_by_text("异议已提交").wait_for()
    assert page.locator(".confirm-status").inner_text() == "有异议"
    phone.shot("statement-disputed")
    phone.button("确认").click()
    page.get_by_text("已确认对账单").wait_for()
    assert page.locator(".confirm-status").inner_text() == "已确认"
    answer = StatementConfirmation.get()
    assert (answer.period, answer.status) == (period, "confirmed")
    phone.shot("statement-confirmed")
    page.goto(f"{base}/h5/statements?period={local_today():%Y-%m}")
    assert "本月尚未结束" in page.content()
    assert phone.errors == []


def test_a_dealer_cancels_a_paid_order_is_told_where_the_money_goes_and_the_account_agrees(
    wechat, gunicorn, shop, pay_sandbox
):
    base = gunicorn.url
    older = place(shop.customer, (shop.tea, 4))  # 180.00, shipped and unpaid
    orders.approve_order(older.id, "staff:1")
    line = Order.get_by_id(older.id).lines[0]
    orders.ship_order(older.id, [(line.id, 4)], "顺丰", "SF100", "staff:2")
    paid = place(shop.customer, (shop.tea, 2))  # 90.00, paid, then cancelled
    phone = bound_phone(wechat, gunicorn, shop.customer, "pay-cancel")
    page = phone.page
    page.goto(f"{base}/h5/orders/{paid.id}")
    phone.button("去付款").click()
    page.wait_for_url(f"{base}/h5/pay/*")
    phone.button("立即支付").click()
    block = sheet(phone)
    page.get_by_text("支付确认中").wait_for()
    pay_sandbox.pay(Payment.get(Payment.order == paid.id).out_trade_no, jsapi=block)
    page.get_by_text("支付成功").wait_for(timeout=15000)

    page.goto(f"{base}/h5/orders/{paid.id}")
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    phone.button("取消订单").click()
    page.wait_for_load_state()
    page.get_by_text("订单已取消。已付的 ¥90.00 已转入预付款").wait_for()
    assert asked == [
        "确定取消这个订单吗？已付的 ¥90.00 将转入预付款，先抵扣您未付的货款（如有，最早的先抵），"
        "余下的留在预付款余额，用于以后的订单；如需退回微信请联系客服。"
    ]
    phone.shot("order-cancelled-paid")

    page.goto(f"{base}/h5/account")

    def cell(name):
        return page.locator(".weui-cell", has_text=name).first.locator(".weui-cell__ft")

    assert cell("应付款").inner_text() == "¥90.00"
    assert cell("预付款余额").inner_text() == "¥0.00"
    assert cell("账户欠款").inner_text() == "¥90.00"
    closing = page.locator("table.statement tr.total td.num").inner_text()
    assert closing == "¥90.00"  # the statement ends where the figures above say
    assert (
        "信用额度 − 应付款 + 预付款余额 − 在途订单" in cell("可用额度").locator("..").inner_text()
    )
    assert cell("可用额度").inner_text() == "¥4,910.00"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]
    phone.shot("account-after-cancel")

    page.goto(f"{base}/h5/orders/{older.id}")
    assert "待付款 ¥90.00" in " ".join(page.locator(".order-actions").inner_text().split())
    assert phone.errors == []
