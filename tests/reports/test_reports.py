"""Sales reports and targets against figures worked out by hand."""

from decimal import Decimal

import pytest

from app.core import orders, returns
from app.core.models import Order
from app.core.receivables import record_receipt
from app.timeutil import local_today
from tests.admin.conftest import ADMIN


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
    returns.sign(ret.id, "customer_service", co.staff["cs"].id, "staff:cs", "", lambda r: ("", []))
    returns.receive(ret.id, [(ret.lines[0].id, 2)], "staff:wh")
    return {"a": a, "c": c}


def report(client, co, who="admin", **params):
    today = local_today().isoformat()
    query = {"from": today, "to": today, **params}
    return client.get(f"{ADMIN}/reports/sales", query_string=query, headers=co.headers(who))


def rows(response):
    return {r["name"]: r for r in response.get_json()["items"]}


def test_by_branch_leaves_out_rejected_and_cancelled_and_counts_each_measure(client, co, sales):
    got = rows(report(client, co, group_by="branch"))
    assert got["华东分公司"] == {
        "key": str(co.east.id),
        "name": "华东分公司",
        "orders": 1,
        "amount": "450.00",
        "shipped_amount": "270.00",
        "returned_amount": "90.00",
        "receipts": "100.00",
    }
    assert (got["华南分公司"]["orders"], got["华南分公司"]["amount"]) == (1, "100.00")
    totals = report(client, co, group_by="branch").get_json()["totals"]
    assert totals == {
        "orders": 2,
        "amount": "550.00",
        "shipped_amount": "270.00",
        "returned_amount": "90.00",
        "receipts": "100.00",
    }


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


def test_targets_against_achievement_and_receipts(client, co, sales):
    period = local_today().strftime("%Y-%m")

    def put(body, who="admin"):
        return client.put(f"{ADMIN}/targets", json=body, headers=co.headers(who))

    assert put({"period": period, "branch_id": co.east.id, "amount": "1000.00"}).status_code == 200
    assert put({"period": period, "staff_id": co.rep.id, "amount": "900.00"}).status_code == 200
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
