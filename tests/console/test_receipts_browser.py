"""收款记录 in Chromium at 1366 px against the app under gunicorn: finance records a cheque that
arrived three days ago on the customer's page, finds it among every customer's receipts by the
customer's name and its day, and voids it with a reason after saying yes to the question; the
customer owes again what it paid. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.core import orders, receivables
from app.core.models import Customer, Order, Receipt
from app.timeutil import local_date, local_today

pytestmark = pytest.mark.slow


def test_finance_dates_finds_and_voids_a_receipt(desk, co):
    east, south = co.east_customer, co.south_customer
    order = co.order(east, (co.tea, 10))  # 450.00
    orders.approve_order(order.id, "staff:1")
    line = Order.get_by_id(order.id).lines[0]
    orders.ship_order(order.id, [(line.id, 10)], "顺丰", "SF1", "staff:2")
    receivables.record_receipt(south.id, Decimal("1200.00"), "bank", "网银 3321", "seed")
    receivables.record_receipt(
        east.id, Decimal("80.00"), "wechat_pay", "4200009", recorded_by="wechatpay"
    )
    day = local_today() - dt.timedelta(days=3)

    finance = desk("fin1")
    page = finance.page
    finance.go(f"/admin/customers/{east.id}")
    page.get_by_label("金额").fill("450.00")
    page.get_by_label("收款方式").select_option(label="支票")
    page.get_by_label("参考号").fill("支票 No.0078")
    page.get_by_label("收款日期").fill(str(day))
    page.locator("#receipt-form").scroll_into_view_if_needed()
    finance.shot("receipt-dated", full_page=False)
    finance.button("登记").click()
    assert f"（收款日期 {day}）" in finance.flash()
    receipt = Receipt.get(Receipt.method == "cheque")
    assert local_date(receipt.received_at) == day
    assert Customer.get_by_id(east.id).ar_balance == Decimal("-80.00")

    page.get_by_role("link", name="收款与发票").first.click()
    page.locator("#receipts").wait_for()
    assert page.locator(".money-tabs [aria-current=page]").inner_text() == "收款记录"
    assert page.locator("#receipts tbody tr").count() == 3
    page.get_by_label("客户", exact=True).fill(east.name)
    page.get_by_label("开始日期").fill(str(day))
    page.get_by_label("结束日期").fill(str(day))
    finance.button("筛选").click()
    page.wait_for_url("**to=*")
    rows = page.locator("#receipts tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert receipt.number in row and "支票" in row and "¥450.00" in row and str(day) in row
    finance.shot("receipts")

    asked = []

    def answer(dialog, accept: bool):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.get_by_label(f"作废原因 {receipt.number}").fill("支票退票")
    page.once("dialog", lambda d: answer(d, False))  # nothing happens until agreed to
    page.get_by_role("button", name=f"作废收款 {receipt.number}").click()
    page.wait_for_timeout(300)
    assert asked and asked[0].startswith(
        f"确定作废收款 {receipt.number}（{east.name} ¥450.00）吗？"
    )
    assert Receipt.get_by_id(receipt.id).voided_at is None
    page.once("dialog", lambda d: answer(d, True))
    page.get_by_role("button", name=f"作废收款 {receipt.number}").click()
    assert f"已作废收款 {receipt.number}" in finance.flash()
    assert "to=" in page.url  # back to the list as it was filtered
    row = page.locator("#receipts tbody tr").first.inner_text()
    assert "已作废" in row and "支票退票" in row
    assert Customer.get_by_id(east.id).ar_balance == Decimal("370.00")  # 450 owed, 80 prepaid
    finance.shot("receipts-voided")

    finance.go(f"/admin/customers/{east.id}/statement")
    assert "收款作废" in page.content()
    assert finance.errors == []
