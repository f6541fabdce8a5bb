"""收款记录 in the console through the test client: receipts across customers in the staff
member's scope, with their columns, filters (customer, method, days received), newest first and
paged; recording a receipt dated as the money arrived (on the customer's page and in the admin
API); and 作废 with a reason, its refusals said on the page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from app.core import orders, receivables
from app.core.models import AccountEntry, Customer, Receipt, Receivable
from app.payments.models import StatementConfirmation
from app.timeutil import local_date, local_today
from devkit.factories import make_customer, place
from devkit.testing.clients import ADMIN, flashes

D = Decimal


def days_ago(n: int) -> dt.date:
    return local_today() - dt.timedelta(days=n)


def row_of(page: str, number: str) -> str:
    """The list's row of one receipt, by its number."""
    return re.search(rf"<tr[^>]*>\s*<td>{number}.*?</tr>", page, re.S).group(0)


def numbers(page: str) -> list[str]:
    """The receipts the list shows, in its order."""
    return re.findall(r"<tr[^>]*>\s*<td>(RC\d+)", page)


def shipped(co, customer, *lines):
    order = place(customer, *lines)
    orders.approve_order(order.id, "staff:1")
    orders.ship_order(order.id, [(ln.id, ln.qty) for ln in order.lines], "顺丰", "SF", "wh")
    return order


def test_the_list_shows_receipts_across_customers_in_scope_newest_first(signed_in, co):
    east, south = co.east_customer, co.south_customer
    order = place(east, (co.tea, 4))
    old = receivables.record_receipt(
        east.id,
        D("120.00"),
        "cheque",
        "支票 9",
        f"staff:{co.staff['fin'].id}",
        received_on=days_ago(3),
    )
    paid = receivables.record_receipt(
        east.id, D("80.00"), "wechat_pay", "42000", recorded_by="wechatpay", order_id=order.id
    )
    theirs = receivables.record_receipt(south.id, D("50.00"), "bank", recorded_by="seed")
    receivables.record_receipt(
        east.id, D("10.00"), "return", "RT1", entry_kind="return", note="退货"
    )

    page = signed_in("fin").get("/admin/receipts").get_data(as_text=True)
    assert numbers(page) == [theirs.number, paid.number, old.number]  # the credit note is none
    row = row_of(page, old.number)
    assert "支票" in row and "支票 9" in row and "¥120.00" in row
    assert str(days_ago(3)) in row
    assert f"财务 {co.staff['fin'].name}" in row or co.staff["fin"].username in row
    assert f'href="/admin/customers/{east.id}"' in row and east.name in row
    assert "有效" in row
    row = row_of(page, paid.number)
    assert "微信支付" in row and f'href="/admin/orders/{order.id}"' in row and order.number in row
    assert "¥80.00" in row  # unapplied: the order has not shipped
    assert "在“微信收款”中退款" in row and "作废原因" not in row
    assert "系统" in row_of(page, theirs.number)
    # The tab is there, and current.
    assert re.search(r'<a href="/admin/receipts" aria-current="page">收款记录</a>', page)

    # A branch manager sees their branch's customers only.
    east_only = signed_in("bm_east").get("/admin/receipts").get_data(as_text=True)
    assert numbers(east_only) == [paid.number, old.number]
    assert "作废原因" not in east_only  # no void for a manager
    assert signed_in("wh").get("/admin/receipts").status_code == 403


def test_the_list_filters_by_customer_method_and_days_received(signed_in, co):
    east, south = co.east_customer, co.south_customer
    other = make_customer(co.east, co.sh, name="西湖茶行", code="XH01")
    a = receivables.record_receipt(east.id, D("10"), "bank", received_on=days_ago(5))
    b = receivables.record_receipt(east.id, D("20"), "cash", received_on=days_ago(2))
    c = receivables.record_receipt(south.id, D("30"), "bank")
    d = receivables.record_receipt(other.id, D("40"), "cash", received_on=days_ago(2))
    fin = signed_in("fin")

    def listed(**query) -> list[str]:
        response = fin.get("/admin/receipts", query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return numbers(response.get_data(as_text=True))

    assert listed() == [c.number, d.number, b.number, a.number]
    assert listed(q="西湖") == [d.number]
    assert listed(q="XH0") == [d.number]
    assert listed(q=south.code) == [c.number]
    assert listed(customer_id=east.id) == [b.number, a.number]
    assert listed(method="cash") == [d.number, b.number]
    day = str(days_ago(2))
    assert listed(**{"from": day, "to": day}) == [d.number, b.number]
    assert listed(**{"from": str(days_ago(4))}) == [c.number, d.number, b.number]
    assert listed(**{"to": str(days_ago(3))}) == [a.number]
    assert listed(method="bank", **{"from": str(days_ago(6)), "to": str(days_ago(1))}) == [a.number]
    # The chosen customer is said, with a way back to all; a bad method is refused in words.
    page = fin.get(f"/admin/receipts?customer_id={east.id}").get_data(as_text=True)
    assert f"客户：{east.code} {east.name}" in page and 'aria-label="全部客户"' in page
    refused = fin.get("/admin/receipts?method=bitcoin")
    assert refused.status_code == 422 and "收款方式无效" in refused.get_data(as_text=True)
    # Another scope's customer is not found.
    assert signed_in("bm_east").get(f"/admin/receipts?customer_id={south.id}").status_code == 404


def test_the_list_is_paged(signed_in, co):
    made = [receivables.record_receipt(co.east_customer.id, D("1"), "cash") for _ in range(31)]
    fin = signed_in("fin")
    first = fin.get("/admin/receipts").get_data(as_text=True)
    assert "（31）" in first and "第 1 / 2 页" in first
    assert numbers(first) == [r.number for r in reversed(made)][:30]
    second = fin.get("/admin/receipts?page=2&method=cash").get_data(as_text=True)
    assert numbers(second) == [made[0].number]
    assert 'href="/admin/receipts?page=1&amp;method=cash"' in second


def test_a_receipt_is_dated_on_the_customers_page_and_never_in_the_future(signed_in, co):
    east = co.east_customer
    fin = signed_in("fin")
    page = fin.get(f"/admin/customers/{east.id}").get_data(as_text=True)
    assert re.search(rf'name="received_at" max="{local_today()}" value="{local_today()}"', page)
    day = days_ago(4)
    form = {"amount": "300", "method": "bank", "reference": "网银", "received_at": str(day)}
    done = fin.post(f"/admin/customers/{east.id}/receipts", form)
    receipt = Receipt.get()
    assert ("success", f"已登记收款 {receipt.number}：¥300.00（收款日期 {day}）") in flashes(done)
    assert local_date(receipt.received_at) == day
    entry = AccountEntry.get(AccountEntry.ref == receipt.number)
    assert local_date(entry.created_at) == day

    future = {**form, "received_at": str(local_today() + dt.timedelta(days=1))}
    refused = fin.post(f"/admin/customers/{east.id}/receipts", future)
    said = refused.get_data(as_text=True)
    assert "收款日期不能晚于今天" in said and "您填写的内容还在" in said
    assert Receipt.select().count() == 1
    # Left as it comes (today), it is today's.
    fin.post(f"/admin/customers/{east.id}/receipts", {**form, "received_at": ""})
    assert (
        local_date(Receipt.select().order_by(Receipt.id.desc()).get().received_at) == local_today()
    )


def test_a_month_the_dealer_confirmed_takes_no_receipt_dated_into_it(signed_in, co):
    east = co.east_customer
    last_month_day = local_today().replace(day=1) - dt.timedelta(days=1)
    StatementConfirmation.create(
        customer=east.id, period=f"{last_month_day:%Y-%m}", status="confirmed", opening=0, closing=0
    )
    form = {"amount": "300", "method": "bank", "received_at": str(last_month_day)}
    refused = signed_in("fin").post(f"/admin/customers/{east.id}/receipts", form)
    assert f"客户已确认 {last_month_day:%Y-%m} 的对账单，收款日期不能在该月内" in refused.get_data(
        as_text=True
    )
    assert Receipt.select().count() == 0


def test_the_admin_api_takes_the_day_received(client, co):
    east = co.east_customer
    url = f"{ADMIN}/customers/{east.id}/receipts"
    body = {"amount": "88.00", "method": "bank", "reference": "ERP-1"}
    dated = client.post(
        url, json={**body, "received_at": str(days_ago(2))}, headers=co.headers("fin")
    )
    assert dated.status_code == 201, dated.get_json()
    assert dated.get_json()["received_at"].startswith(f"{days_ago(2)}T23:59:59")
    plain = client.post(url, json=body, headers=co.headers("fin"))
    assert plain.status_code == 201
    assert plain.get_json()["received_at"].startswith(str(local_today()))
    ahead = str(local_today() + dt.timedelta(days=1))
    refused = client.post(url, json={**body, "received_at": ahead}, headers=co.headers("fin"))
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"]["received_at"] == ["不能晚于今天"]
    bad = client.post(url, json={**body, "received_at": "昨天"}, headers=co.headers("fin"))
    assert bad.status_code == 422


def test_finance_voids_a_receipt_with_a_reason_and_the_account_moves_back(signed_in, co):
    east = co.east_customer
    shipped(co, east, (co.tea, 10))  # 450.00 owed
    receipt = receivables.record_receipt(east.id, D("500.00"), "bank", "网银 1", "staff:1")
    assert Customer.get_by_id(east.id).ar_balance == D("-50.00")
    fin = signed_in("fin")
    page = fin.get("/admin/receipts?method=bank").get_data(as_text=True)
    row = row_of(page, receipt.number)
    assert "data-confirm=" in row and "不能撤销" in row
    assert f'action="/admin/receipts/{receipt.id}/void?page=1&amp;method=bank"' in row

    empty = fin.post(f"/admin/receipts/{receipt.id}/void?method=bank", {"reason": " "})
    assert ("error", "提交的数据不正确：原因：此项必填") in flashes(empty)
    assert Receipt.get_by_id(receipt.id).voided_at is None

    done = fin.post(f"/admin/receipts/{receipt.id}/void?method=bank", {"reason": "客户未付款"})
    assert done.request.path == "/admin/receipts" and done.request.args["method"] == "bank"
    assert ("success", f"已作废收款 {receipt.number}（{east.name} ¥500.00）") in flashes(done)
    row = row_of(done.get_data(as_text=True), receipt.number)
    assert "已作废" in row and "客户未付款" in row and co.staff["fin"].username in row
    assert "作废原因" not in row
    voided = Receipt.get_by_id(receipt.id)
    assert voided.voided_by == f"staff:{co.staff['fin'].id}" and voided.unapplied == D("0.00")
    assert Customer.get_by_id(east.id).ar_balance == D("450.00")
    assert Receivable.get().open_amount == D("450.00")
    # The statement shows the void as a line of its own.
    statement = fin.get(f"/admin/customers/{east.id}/statement").get_data(as_text=True)
    assert "收款作废" in statement and f"收款作废 {receipt.number}：客户未付款" in statement

    again = fin.post(f"/admin/receipts/{receipt.id}/void", {"reason": "再作废"})
    assert ("error", f"收款 {receipt.number} 已作废，不能再次作废") in flashes(again)
    assert AccountEntry.select().where(AccountEntry.kind == "receipt_void").count() == 1


def test_voids_refused_wechat_pay_other_scopes_and_roles(signed_in, co):
    east, south = co.east_customer, co.south_customer
    paid = receivables.record_receipt(
        east.id, D("80.00"), "wechat_pay", "42", recorded_by="wechatpay"
    )
    theirs = receivables.record_receipt(south.id, D("60.00"), "bank")
    mine = receivables.record_receipt(east.id, D("40.00"), "cash")
    credit_note = receivables.record_receipt(
        east.id, D("5"), "return", "RT", entry_kind="return", note="退货"
    )

    fin = signed_in("fin")
    refused = fin.post(f"/admin/receipts/{paid.id}/void", {"reason": "误收"})
    assert ("error", "微信支付的收款不能作废，请在“微信收款”中退款") in flashes(refused)
    refused = fin.post(f"/admin/receipts/{credit_note.id}/void", {"reason": "误收"})
    assert ("error", "退货冲抵不是收款，不能作废") in flashes(refused)
    assert ("error", "收款不存在") in flashes(
        fin.post("/admin/receipts/999999/void", {"reason": "误收"})
    )
    # Customer service and managers see the list but void nothing.
    assert (
        signed_in("cs").post(f"/admin/receipts/{mine.id}/void", {"reason": "x"}).status_code == 403
    )
    assert (
        signed_in("bm_east").post(f"/admin/receipts/{mine.id}/void", {"reason": "x"}).status_code
        == 403
    )
    assert Receipt.select().where(Receipt.voided_at.is_null(False)).count() == 0
    # Finance of one branch finds no other branch's receipt to void.
    co.add_staff("fin_east", "finance", co.east, username="fin_e")
    hidden = signed_in("fin_east").post(f"/admin/receipts/{theirs.id}/void", {"reason": "录错"})
    assert ("error", "收款不存在") in flashes(hidden)
    assert Receipt.get_by_id(theirs.id).voided_at is None
    done = signed_in("admin").post(f"/admin/receipts/{theirs.id}/void", {"reason": "录错"})
    assert ("success", f"已作废收款 {theirs.number}（{south.name} ¥60.00）") in flashes(done)
