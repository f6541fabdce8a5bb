"""收款与发票 pages through the test client: the payments list's filters and columns, and the
reconciliation page's default day and refusals said on the page itself."""

from __future__ import annotations

import datetime as dt
import re

from app.payments.models import Payment
from app.timeutil import local_today
from devkit.testing.clients import MP, bind_dealer


def yesterday() -> dt.date:
    """Asked when used: a run that crosses midnight in Beijing has a new yesterday."""
    return local_today() - dt.timedelta(days=1)


def paid_yesterday(client, co, pay_sandbox, amount: str, key: str) -> Payment:
    """A top-up started today and paid (by WeChat Pay's word) yesterday at 10:00 Beijing time."""
    dealer = bind_dealer(client, co.east_customer, f"pages-{key}")
    started = client.post(
        f"{MP}/payments",
        json={"purpose": "topup", "amount": amount},
        headers={**dealer, "Idempotency-Key": key},
    ).get_json()
    pay_sandbox.pay(started["out_trade_no"], paid_at=f"{yesterday()}T10:00:00+08:00")
    pay_sandbox.wait_answered(started["out_trade_no"])
    return Payment.get_by_id(started["id"])


def row_of(page: str, out_trade_no: str) -> str:
    return re.search(rf"<tr>\s*<td><a [^>]*>{out_trade_no}</a>.*?</tr>", page, re.S).group(0)


def test_payments_are_filtered_by_the_day_they_were_paid(console, client, co, pay_sandbox):
    payment = paid_yesterday(client, co, pay_sandbox, "80.00", "day")
    console.login("fin1")
    page = console.get("/admin/payments").get_data(as_text=True)
    # The filter says what its dates are.
    assert re.search(r'从 <input type="date" name="from"', page)
    assert re.search(r'到 <input type="date" name="to"', page)
    day = yesterday()
    on_the_day = console.get(f"/admin/payments?from={day}&to={day}").get_data(as_text=True)
    assert payment.out_trade_no in on_the_day  # the time the list shows: paid yesterday
    today = local_today()
    started_today = console.get(f"/admin/payments?from={today}&to={today}")
    assert payment.out_trade_no not in started_today.get_data(as_text=True)


def test_payments_list_ignores_query_parameters_it_does_not_know(console, client, co, pay_sandbox):
    payment = paid_yesterday(client, co, pay_sandbox, "80.00", "utm")
    console.login("fin1")
    response = console.get("/admin/payments?utm_source=wechat&status=paid")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert payment.out_trade_no in page and "utm_source" not in page


def test_payments_list_shows_nothing_refunded_as_zero(console, client, co, pay_sandbox):
    payment = paid_yesterday(client, co, pay_sandbox, "80.00", "zero")
    console.login("fin1")
    row = row_of(console.get("/admin/payments").get_data(as_text=True), payment.out_trade_no)
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == ["¥80.00", "¥0.00"]


def test_reconciliation_defaults_to_yesterday_in_beijing(console, co, pay_sandbox):
    console.login("fin1")
    page = console.get("/admin/reconciliation").get_data(as_text=True)
    assert f"<h2>微信支付对账 <small>{yesterday()}</small></h2>" in page
    assert f'max="{yesterday()}"' in page  # the picker offers no day without a bill


def test_reconciliation_of_today_or_later_is_refused_on_the_page(console, co, pay_sandbox):
    console.login("fin1")
    for day in (local_today(), local_today() + dt.timedelta(days=3), "2026-13-01"):
        response = console.get(f"/admin/reconciliation?date={day}")
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "无法完成" not in page  # not the bare error page
        assert 'name="date"' in page and "查看" in page  # the form, to choose another day
        said = (
            "提交的数据不正确：日期格式应为 YYYY-MM-DD"
            if day == "2026-13-01"
            else "只能对账今天以前的日期"
        )
        assert f'role="alert" id="reconciliation-alert">{said}</p>' in page
        assert "重新获取对账单" not in page and "核对一致" not in page


def test_a_payment_left_unpaid_past_its_expiry_is_listed_as_expired(
    console, client, co, pay_sandbox
):
    dealer = bind_dealer(client, co.east_customer, "pages-expired")
    started = client.post(
        f"{MP}/payments",
        json={"purpose": "topup", "amount": "12.00"},
        headers={**dealer, "Idempotency-Key": "expired"},
    ).get_json()
    Payment.update(expires_at=Payment.created_at).execute()
    console.login("fin1")
    row = row_of(console.get("/admin/payments").get_data(as_text=True), started["out_trade_no"])
    assert "已过期" in row and "待支付" not in row
    page = console.get(f"/admin/payments/{started['id']}").get_data(as_text=True)
    assert '<span class="tag">已过期</span>' in page
    # The filter offers stored statuses only.
    filters = console.get("/admin/payments").get_data(as_text=True).split("</select>")[0]
    assert "已过期" not in filters
