"""Sales reports and targets against figures worked out by hand."""

import html
import io
import json
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.core import orders, returns
from app.core.models import Customer, Order
from app.core.receivables import record_receipt, void_receipt
from app.timeutil import local_today
from devkit.factories import make_staff
from devkit.testing.clients import ADMIN, flashes, staff_headers


@pytest.fixture
def sales(co):
    """East: order A 10 tea (450.00) approved, 6 shipped (270.00), 2 returned (90.00); order B
    rejected; order D cancelled; a receipt of 100.00. South: order C 2 tea at level 1 (100.00)."""
    a = co.order(co.east_customer, (co.tea, 10))
    orders.approve_order(a.id, "staff:1")
    line = Order.get_by_id(a.id).lines[0]
    orders.ship_order(a.id, [(line.id, 6)], "顺丰", "SF1", "staff:2")
    b = co.order(co.east_customer, (co.tea, 4))
    orders.reject_order(b.id, "staff:1", "不要了")
    c = co.order(co.south_customer, (co.tea, 2))
    d = co.order(co.east_customer, (co.oil, 1))
    orders.cancel_order(d.id, "staff:1")
    record_receipt(co.east_customer.id, Decimal("100.00"), "bank", "R1", recorded_by="test")
    ret = returns.request_return(co.east_customer.id, a.id, [(line.id, 2)], "破损", "t")
    returns.approve(ret.id, co.staff["cs"], "staff:cs")
    returns.receive(ret.id, [(ret.lines[0].id, 2)], "staff:wh")
    return {"a": a, "c": c}


# The `sales` fixture's measures for east after its orders: shipped, returned, received, and the
# margin on what was shipped.
EAST_AFTER_ORDERING = {
    "shipped_amount": "270.00",
    "returned_amount": "90.00",
    "receipts": "100.00",
    # Stock that existed before costs were kept moves at cost 0.
    "cost": "0.00",
    "gross_profit": "180.00",
    "gross_margin": "100.0",
}


def report(client, co, who="admin", **params):
    today = local_today().isoformat()
    query = {"from": today, "to": today, **params}
    return client.get(f"{ADMIN}/reports/sales", query_string=query, headers=co.headers(who))


def rows(response):
    return {r["name"]: r for r in response.get_json()["items"]}


def test_by_branch_leaves_out_rejected_and_cancelled_and_counts_each_measure(client, co, sales):
    got = rows(report(client, co, group_by="branch"))
    assert got["华东分公司"] == {
        "key": co.east.id,
        "name": "华东分公司",
        "orders": 1,
        "amount": "450.00",
        **EAST_AFTER_ORDERING,
    }
    assert (got["华南分公司"]["orders"], got["华南分公司"]["amount"]) == (1, "100.00")
    totals = report(client, co, group_by="branch").get_json()["totals"]
    this_month = client.get(f"{ADMIN}/reports/sales", headers=co.headers("admin")).get_json()
    assert this_month["totals"] == totals  # no dates: this month so far
    # South's one order is not shipped: beyond orders and amounts, the totals are east's.
    assert totals == {"orders": 2, "amount": "550.00", **EAST_AFTER_ORDERING}


def test_by_product_category_rep_customer_and_day(client, co, sales):
    tea = rows(report(client, co, group_by="product"))[co.tea.name]
    assert (
        tea["orders"],
        tea["amount"],
        tea["shipped_amount"],
        tea["returned_amount"],
        tea["receipts"],
    ) == (2, "550.00", "270.00", "90.00", "0.00")
    by_rep = rows(report(client, co, group_by="rep"))
    assert by_rep[co.rep.name]["amount"] == "450.00" and by_rep["未分配"]["amount"] == "100.00"
    by_customer = rows(report(client, co, group_by="customer"))
    assert by_customer[co.east_customer.name]["receipts"] == "100.00"
    (day,) = report(client, co, group_by="day").get_json()["items"]
    assert (day["key"], day["amount"]) == (local_today().isoformat(), "550.00")


def test_an_order_of_several_products_counts_once_per_product_and_once_in_total(client, co):
    co.order(co.east_customer, (co.tea, 2), (co.oil, 1))
    by_product = report(client, co, group_by="product").get_json()
    assert {r["name"]: (r["orders"], r["amount"]) for r in by_product["items"]} == {
        co.tea.name: (1, "90.00"),
        co.oil.name: (1, "200.00"),
    }
    assert by_product["totals"]["orders"] == 1 and by_product["totals"]["amount"] == "290.00"
    (uncategorised,) = report(client, co, group_by="category").get_json()["items"]
    assert (uncategorised["orders"], uncategorised["amount"]) == (1, "290.00")


def test_other_periods_are_empty(client, co, sales):
    got = client.get(
        f"{ADMIN}/reports/sales",
        query_string={"from": "2020-01-01", "to": "2020-01-31", "group_by": "branch"},
        headers=co.headers("admin"),
    ).get_json()
    assert got["items"] == [] and got["totals"]["amount"] == "0.00"


def test_a_branch_manager_sees_only_their_branch(client, co, sales):
    got = rows(report(client, co, who="bm_east", group_by="branch"))
    assert list(got) == ["华东分公司"]
    assert (
        report(client, co, who="bm_east", group_by="branch", branch_id=co.south.id).status_code
        == 403
    )
    assert report(client, co, who="cs", group_by="branch").status_code == 403  # not a report role


def test_an_own_scope_sees_only_the_customers_they_look_after(client, co, sales):
    finance = make_staff("finance", co.east, data_scope="own")
    mine = client.get(
        f"{ADMIN}/reports/sales",
        query_string={"from": local_today().isoformat(), "group_by": "customer"},
        headers=staff_headers(finance),
    ).get_json()
    assert mine["items"] == [] and mine["totals"]["amount"] == "0.00"
    Customer.update(rep=finance.id).where(Customer.id == co.south_customer.id).execute()
    mine = client.get(
        f"{ADMIN}/reports/sales",
        query_string={"from": local_today().isoformat(), "group_by": "customer"},
        headers=staff_headers(finance),
    ).get_json()
    assert [(r["name"], r["amount"]) for r in mine["items"]] == [(co.south_customer.name, "100.00")]


def test_targets_against_achievement_and_receipts(client, co, sales):
    period = local_today().strftime("%Y-%m")

    def put(body, who="admin"):
        return client.put(f"{ADMIN}/targets", json=body, headers=co.headers(who))

    assert put({"period": period, "branch_id": co.east.id, "amount": "1000.00"}).status_code == 200
    assert put({"period": period, "staff_id": co.rep.id, "amount": "900.00"}).status_code == 200
    # Money is a string with two decimals at most: a JSON number, or a third decimal, is
    # refused, never rounded, and the target stays as it was (below).
    for amount, said in ((1001, '金额须为字符串，如 "1234.50"'), ("999.999", "金额最多 2 位小数")):
        refused = put({"period": period, "branch_id": co.east.id, "amount": amount})
        error = refused.get_json()["error"]
        assert (refused.status_code, error["code"]) == (422, "validation_error"), error
        assert said in str(error), error
    assert (
        put({"period": period, "branch_id": co.south.id, "amount": "1.00"}, "bm_east").status_code
        == 403
    )
    got = client.get(
        f"{ADMIN}/reports/targets", query_string={"period": period}, headers=co.headers("admin")
    ).get_json()
    east = {r["name"]: r for r in got["branches"]}["华东分公司"]
    assert (east["target"], east["achieved"], east["receipts"], east["percent"]) == (
        "1000.00",
        "450.00",
        "100.00",
        "45.0",
    )
    rep = {r["name"]: r for r in got["reps"]}[co.rep.name]
    assert (rep["target"], rep["achieved"], rep["percent"]) == ("900.00", "450.00", "50.0")
    mine = client.get(
        f"{ADMIN}/reports/targets", query_string={"period": period}, headers=co.headers("bm_east")
    ).get_json()
    assert [r["name"] for r in mine["branches"]] == ["华东分公司"]


def test_the_console_page_shows_the_period_drills_down_sets_targets_and_exports(
    signed_in, co, sales
):
    admin = signed_in("admin")
    page = admin.get("/admin/reports").get_data(as_text=True)
    assert "华东分公司" in page and "450.00" in page and 'id="reports-data"' in page
    for kind in ("product", "brand"):  # money is received per dealer, not per product
        rows = page.split(f'id="report-{kind}"')[1].split("</table>")[0].split("<tr")[2:]
        assert rows and all(re.findall(r'<td class="num">([^<]*)</td>', r)[4] == "—" for r in rows)
    charts = json.loads(page.split('id="reports-data">')[1].split("</script>")[0])
    assert dict(charts["branches"]) == {"华东分公司": "450.00", "华南分公司": "100.00"}

    # A branch narrows the page to that branch; a customer leads to their orders in the period.
    drill = re.search(rf'href="(/admin/reports\?[^"]*branch_id={co.east.id}[^"]*)"', page)
    narrowed = admin.get(html.unescape(drill.group(1))).get_data(as_text=True)
    assert "华南分公司" not in narrowed.split('id="report-branch"')[1].split("</table>")[0]
    orders_link = re.search(r'href="(/admin/orders\?[^"]*customer_id=\d+[^"]*)"', narrowed)
    orders_page = admin.get(html.unescape(orders_link.group(1))).get_data(as_text=True)
    assert sales["a"].number in orders_page and sales["c"].number not in orders_page

    period = local_today().strftime("%Y-%m")
    done = admin.post(
        "/admin/reports/targets",
        {"period": period, "target": f"branch:{co.east.id}", "amount": "1000"},
    )
    assert ("success", f"已设定 {period} 的目标") in flashes(done)
    page = admin.get("/admin/reports").get_data(as_text=True)
    assert "45.0%" in page
    assert f"<td>{co.east.name}</td>" in page and f"业务员 {co.east.name}" not in page
    co.rep.name = "业务员 郑华东"  # a name that already says the role is not said twice
    co.rep.save()
    assert admin.post(
        "/admin/reports/targets", {"period": period, "target": f"rep:{co.rep.id}", "amount": "9"}
    ).status_code in (200, 302)
    page = admin.get("/admin/reports").get_data(as_text=True)
    assert "业务员 郑华东" in page and "业务员 业务员" not in page
    blank = admin.post("/admin/reports/targets", {"period": period, "amount": "1"})
    assert flashes(blank)[0][0] == "error"

    workbook = admin.get("/admin/reports.xlsx?table=product")
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    assert [c.value for c in sheet[1]][:3] == ["商品", "订单数", "订货金额"]
    assert sheet.cell(sheet.max_row, 1).value == "合计"


def test_the_console_page_keeps_a_branch_manager_in_their_branch(signed_in, co, sales):
    manager = signed_in("bm_east")
    page = manager.get("/admin/reports").get_data(as_text=True)
    branch_table = page.split('id="report-branch"')[1].split("</table>")[0]
    assert "华东分公司" in branch_table and "华南分公司" not in branch_table
    assert manager.get(f"/admin/reports?branch_id={co.south.id}").status_code == 403
    refused = manager.post(
        "/admin/reports/targets",
        {
            "period": local_today().strftime("%Y-%m"),
            "target": f"branch:{co.south.id}",
            "amount": "1",
        },
    )
    assert flashes(refused)[0][0] == "error"
    assert signed_in("cs").get("/admin/reports").status_code == 403


def test_far_periods_and_unknown_branches_or_reps_are_refused_in_words(client, co):
    headers = co.headers("admin")
    for period in ("0001-01", "1999-12", "2100-01", "2026-13"):
        got = client.get(
            f"{ADMIN}/reports/targets", query_string={"period": period}, headers=headers
        )
        assert (
            got.status_code in (400, 422) and got.get_json()["error"]["code"] == "validation_error"
        )
    far = client.get(f"{ADMIN}/reports/sales", query_string={"from": "0001-01-01"}, headers=headers)
    assert far.status_code in (400, 422)
    for body in ({"branch_id": 999999}, {"staff_id": 999999}):
        put = client.put(
            f"{ADMIN}/targets",
            json={"period": "2026-11", "amount": "1.00", **body},
            headers=headers,
        )
        assert put.status_code == 404 and put.get_json()["error"]["code"] == "not_found"


def test_a_voided_receipt_is_no_money_received_in_reports_or_targets(client, co, sales):
    mistaken = record_receipt(co.east_customer.id, Decimal("70.00"), "bank", "R2", "test")
    by_customer = rows(report(client, co, group_by="customer"))
    assert by_customer[co.east_customer.name]["receipts"] == "170.00"
    void_receipt(mistaken.id, "录错", "staff:1")
    by_customer = rows(report(client, co, group_by="customer"))
    assert by_customer[co.east_customer.name]["receipts"] == "100.00"
    period = local_today().strftime("%Y-%m")
    got = client.get(
        f"{ADMIN}/reports/targets", query_string={"period": period}, headers=co.headers("admin")
    ).get_json()
    assert {r["name"]: r for r in got["branches"]}["华东分公司"]["receipts"] == "100.00"
