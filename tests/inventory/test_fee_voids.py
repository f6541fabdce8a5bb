"""作废 a customer fee recorded by mistake: it stays listed with who voided it, when and why, and
no longer counts in the fee total or in profit; voided once, even by two clerks at once; in the
caller's scope; in the console, asked first and said in words."""

import pytest
import requests

from app.inventory import services
from app.inventory.models import CustomerFee
from app.timeutil import local_today
from devkit.testing.clients import ADMIN, flashes
from devkit.testing.concurrency import all_at_once
from devkit.testing.inventory import sell, stocked_at_cost


def get(client, path, headers, **query):
    r = client.get(ADMIN + path, headers=headers, query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _fee(co, amount: str, **more) -> CustomerFee:
    data = {"kind": "listing", "amount": amount, "date": local_today(), **more}
    return services.record_fee(co.staff["fin"], co.east_customer.id, data)


def test_a_voided_fee_stays_listed_and_no_longer_counts_in_profit(client, co):
    stocked_at_cost(co)
    sell(co, co.east_customer, co.tea, 10, ship=10)
    wrong, right = _fee(co, "1000.00"), _fee(co, "100.00")
    path = f"{ADMIN}/customers/{co.east_customer.id}/fees/{wrong.id}/void"
    r = client.post(path, json={"reason": "金额录错，应为 100 元"}, headers=co.headers("fin"))
    assert r.status_code == 200, r.get_json()
    voided = r.get_json()
    assert voided["void_reason"] == "金额录错，应为 100 元"
    assert voided["voided_by"] == f"staff:{co.staff['fin'].id}" and voided["voided_at"]
    listed = get(client, f"/customers/{co.east_customer.id}/fees", co.headers("fin"))["items"]
    assert {(f["id"], f["voided_at"] is None) for f in listed} == {
        (wrong.id, False),
        (right.id, True),
    }
    row = get(client, "/reports/profit", co.headers("admin"), group_by="customer")["items"][0]
    assert (row["fees"], row["profit"]) == ("100.00", "150.00")  # 250.00 gross, less 100.00

    again = client.post(path, json={"reason": "再作废"}, headers=co.headers("fin"))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "invalid_state"
    assert "已作废" in again.get_json()["error"]["message"]
    blank = client.post(path, json={"reason": " "}, headers=co.headers("fin"))
    assert blank.status_code == 422


def test_a_void_is_the_scope_and_the_role_of_the_caller(client, co):
    fee = _fee(co, "50.00")
    path = f"{ADMIN}/customers/{co.east_customer.id}/fees/{fee.id}/void"
    body = {"reason": "录错"}
    assert client.post(path, json=body, headers=co.headers("wh")).status_code == 403
    assert client.post(path, json=body, headers=co.headers("bm_south")).status_code == 404
    other = f"{ADMIN}/customers/{co.south_customer.id}/fees/{fee.id}/void"
    assert client.post(other, json=body, headers=co.headers("fin")).status_code == 404
    assert CustomerFee.get_by_id(fee.id).voided_at is None


@pytest.mark.slow
def test_two_clerks_voiding_one_fee_at_once_void_it_once(gunicorn, co):
    fee = _fee(co, "80.00")
    url = f"{gunicorn.url}{ADMIN}/customers/{co.east_customer.id}/fees/{fee.id}/void"

    def void(reason):
        def call():
            r = requests.post(url, json={"reason": reason}, headers=co.headers("fin"), timeout=30)
            return r.status_code, r.json()

        return call

    answers = all_at_once([void(f"第 {i} 次") for i in range(6)])
    assert sorted(status for status, _ in answers) == [200] + [409] * 5
    (won,) = [body for status, body in answers if status == 200]
    assert CustomerFee.get_by_id(fee.id).void_reason == won["void_reason"]


def test_finance_voids_a_fee_in_the_console_and_the_total_leaves_it_out(signed_in, co):
    _fee(co, "300.00")
    wrong = _fee(co, "3000.00", note="多录了一个 0")
    finance = signed_in("fin")
    page = finance.get("/admin/fees").get_data(as_text=True)
    assert "合计 ¥3,300.00" in page
    assert f"作废 {co.east_customer.name} {wrong.date} 的进场费 ¥3,000.00 吗？" in page
    done = finance.post(
        f"/admin/customers/{co.east_customer.id}/fees/{wrong.id}/void", {"reason": "多录了一个 0"}
    )
    message = f"已作废 {co.east_customer.name} {wrong.date} 的进场费 ¥3,000.00"
    assert ("success", message) in flashes(done)
    page = done.get_data(as_text=True)
    assert "合计 ¥300.00，其中 1 笔已作废、不计入合计" in page
    assert (
        "<s>¥3,000.00</s>" in page
        and f"已作废：多录了一个 0（财务 {co.staff['fin'].name}，" in page
    )
    reader = signed_in("cs").get("/admin/fees").get_data(as_text=True)
    assert "已作废：多录了一个 0" in reader and 'name="reason"' not in reader


def test_a_clerk_voids_a_fee_in_chromium_after_saying_yes(desk, gunicorn, co):
    wrong = _fee(co, "3000.00", note="多录了一个 0")
    _fee(co, "300.00")
    clerk = desk(co.staff["fin"].username, viewport={"width": 1366, "height": 768})
    page = clerk.page
    clerk.go("/admin/fees")
    label = f"作废 {co.east_customer.name} {wrong.date} ¥3,000.00 的原因"
    page.get_by_label(label).fill("多录了一个 0")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    row = page.locator("#fees tr", has_text="¥3,000.00")
    row.get_by_role("button", name="作废").click()
    assert asked and asked[0].startswith(f"作废 {co.east_customer.name}")
    assert CustomerFee.get_by_id(wrong.id).voided_at is None  # not agreed: nothing happened
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        row.get_by_role("button", name="作废").click()
    assert clerk.flash().startswith(f"已作废 {co.east_customer.name}")
    assert "其中 1 笔已作废" in page.locator("h2").inner_text()
    clerk.shot("fees-voided", full_page=False)
    assert clerk.errors == []
