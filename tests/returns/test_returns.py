"""Returns (退货): the dealer asks, staff review, the warehouse receives; stock and money put right."""

import json
from decimal import Decimal

import pytest
import requests

from app.core import orders, receivables, returns
from app.core.models import (
    AccountEntry,
    Customer,
    Order,
    OrderLine,
    Receivable,
    ReturnRequest,
    Stock,
    StockMovement,
)
from app.notify.models import InboxMessage, Notification
from app.notify.templates import describe, sms_params
from app.timeutil import local_today
from devkit.testing.clients import ADMIN, MP, Console, bind_dealer, flashes
from devkit.testing.concurrency import all_at_once


def shipped_order(co, customer, qty=10) -> Order:
    order = co.order(customer, (co.tea, qty))
    orders.approve_order(order.id, "staff:1")
    line = Order.get_by_id(order.id).lines[0]
    orders.ship_order(order.id, [(line.id, qty)], "顺丰", "SF1", "staff:2")
    return Order.get_by_id(order.id)


def ask(client, headers, order, qty, reason="包装破损"):
    line = order.lines[0]
    return client.post(
        f"{MP}/orders/{order.id}/returns",
        json={"lines": [{"order_line_id": line.id, "qty": qty}], "reason": reason},
        headers=headers,
    )


def test_a_return_is_asked_reviewed_received_and_puts_stock_and_money_right(client, co):
    dealer = bind_dealer(client, co.east_customer, "ret-dealer")
    order = shipped_order(co, co.east_customer)  # 10 × 45.00 = 450.00 owed
    stock_before = Stock.get((Stock.warehouse == co.sh.id) & (Stock.product == co.tea.id)).on_hand
    asked = ask(client, dealer, order, 4)
    assert asked.status_code == 201
    body = asked.get_json()
    assert (body["status"], body["amount"], body["lines"][0]["qty"]) == ("pending", "180.00", 4)
    approved = client.post(
        f"{ADMIN}/returns/{body['id']}/approve", json={}, headers=co.headers("cs")
    )
    assert approved.get_json()["status"] == "approved"
    twice = client.post(f"{ADMIN}/returns/{body['id']}/approve", json={}, headers=co.headers("cs"))
    assert (twice.status_code, twice.get_json()["error"]["code"]) == (409, "invalid_state")
    line_id = body["lines"][0]["id"]
    part = client.post(
        f"{ADMIN}/returns/{body['id']}/receive",
        json={"lines": [{"return_line_id": line_id, "qty": 3}]},
        headers=co.headers("wh"),
    )
    assert (part.get_json()["status"], part.get_json()["received_amount"]) == (
        "partially_received",
        "135.00",
    )
    rest = client.post(
        f"{ADMIN}/returns/{body['id']}/receive",
        json={"lines": [{"return_line_id": line_id, "qty": 1}]},
        headers=co.headers("wh"),
    )
    assert (rest.get_json()["status"], rest.get_json()["received_amount"]) == ("received", "180.00")
    # Stock back on hand with `return` movements that sum with the rest to the row.
    row = Stock.get((Stock.warehouse == co.sh.id) & (Stock.product == co.tea.id))
    assert row.on_hand == stock_before + 4
    moved = [
        m.on_hand_delta
        for m in StockMovement.select().where(
            (StockMovement.warehouse == co.sh.id) & (StockMovement.product == co.tea.id)
        )
    ]
    assert sum(moved) == row.on_hand
    # Money: the receivable credited at the order's price, ledger summing to the balance.
    customer = Customer.get_by_id(co.east_customer.id)
    assert customer.ar_balance == Decimal("270.00")
    entries = AccountEntry.select().where(AccountEntry.customer == customer.id)
    assert sum((e.amount for e in entries), Decimal("0")) == customer.ar_balance
    assert [e.kind for e in entries] == ["shipment", "return", "return"]
    open_items = sum(
        r.open_amount for r in Receivable.select().where(Receivable.customer == customer.id)
    )
    assert open_items == Decimal("270.00")  # FIFO: the credit took the shipment's receivable down
    _, statement = receivables.statement(customer.id, local_today(), local_today())
    assert [ln.kind for ln in statement] == ["shipment", "return", "return"]
    aging = client.get(f"{ADMIN}/reports/ar-aging", headers=co.headers("fin")).get_json()
    assert {r["customer_id"]: r["total"] for r in aging["items"]}[customer.id] == "270.00"
    # The dealer sees it on the order, in their returns and their inbox.
    mine = client.get(f"{MP}/returns", headers=dealer).get_json()["items"]
    assert [r["number"] for r in mine] == [body["number"]]
    events = client.get(f"{MP}/orders/{order.id}", headers=dealer).get_json()["events"]
    assert {"return_request", "return_approve", "return_receive"} <= {e["action"] for e in events}
    kinds = [m.kind for m in InboxMessage.select().where(InboxMessage.customer == customer.id)]
    assert {"return_approve", "return_receive"} <= set(kinds)
    assert Notification.select().where(Notification.kind == "return_request").count() == 1
    # Customer service hears of the 180.00 asked back, not of the order's 450.00; the dealer,
    # of the 135.00 and 45.00 received.
    asked_back = Notification.get(Notification.kind == "return_request")
    words = describe("return_request", asked_back.audience, json.loads(asked_back.payload))
    assert words["detail"].endswith("退货金额 ¥180.00")
    assert sms_params("staff_task", words)[2:] == ["180.00", "退货待审核"]
    received = Notification.select().where(Notification.kind == "return_receive")
    assert sorted(json.loads(n.payload)["amount"] for n in received) == ["135.00", "45.00"]


def test_a_prepaid_customer_gets_the_credit_as_balance_where_nothing_is_owed(client, co):
    customer = co.east_customer
    Customer.update(settlement_method="prepaid").where(Customer.id == customer.id).execute()
    receivables.record_receipt(customer.id, Decimal("1000.00"), "bank", "PRE", recorded_by="test")
    order = shipped_order(co, Customer.get_by_id(customer.id), qty=2)  # paid from the prepayment
    request = returns.request_return(
        customer.id, order.id, [(order.lines[0].id, 2)], "多发", "test"
    )
    returns.approve(request.id, co.staff["cs"], "staff:cs")
    before = receivables.account_position(customer.id).balance
    returns.receive(request.id, [(request.lines[0].id, 2)], "staff:wh")
    assert receivables.account_position(customer.id).balance == before + Decimal("90.00")


def test_returns_of_an_order_not_shipped_are_refused(client, co):
    dealer = bind_dealer(client, co.east_customer, "ret-early")
    order = co.order(co.east_customer, (co.tea, 10))
    r = ask(client, dealer, order, 1)
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "invalid_state")


def test_never_more_than_shipped_minus_what_is_already_asked(client, co):
    dealer = bind_dealer(client, co.east_customer, "ret-more")
    order = shipped_order(co, co.east_customer, qty=5)
    assert ask(client, dealer, order, 3).status_code == 201
    over = ask(client, dealer, order, 3)
    assert (over.status_code, over.get_json()["error"]["details"]["returnable"]) == (409, 2)
    rejected = ReturnRequest.get()
    client.post(
        f"{ADMIN}/returns/{rejected.id}/reject",
        json={"reason": "不符合退货条件"},
        headers=co.headers("cs"),
    )
    assert (
        OrderLine.get_by_id(order.lines[0].id).returned_qty == 0
    )  # the rejected three are free again
    assert ask(client, dealer, order, 5).status_code == 201


def test_receiving_twice_never_credits_twice(client, co):
    order = shipped_order(co, co.east_customer, qty=4)
    request = returns.request_return(
        co.east_customer.id, order.id, [(order.lines[0].id, 4)], "x", "t"
    )
    returns.approve(request.id, co.staff["cs"], "staff:cs")
    line_id = request.lines[0].id
    body = {"lines": [{"return_line_id": line_id, "qty": 4}]}
    first = client.post(
        f"{ADMIN}/returns/{request.id}/receive", json=body, headers=co.headers("wh")
    )
    again = client.post(
        f"{ADMIN}/returns/{request.id}/receive", json=body, headers=co.headers("wh")
    )
    assert first.status_code == 200 and again.status_code == 409
    credits = AccountEntry.select().where(AccountEntry.kind == "return")
    assert [e.amount for e in credits] == [Decimal("-180.00")]


def test_scoping_for_dealers_and_staff(client, co):
    east = bind_dealer(client, co.east_customer, "ret-east")
    south = bind_dealer(client, co.south_customer, "ret-south")
    order = shipped_order(co, co.east_customer)
    created = ask(client, east, order, 1).get_json()
    assert client.get(f"{MP}/returns/{created['id']}", headers=south).status_code == 404
    assert ask(client, south, order, 1).status_code == 404  # someone else's order
    assert (
        client.get(f"{ADMIN}/returns/{created['id']}", headers=co.headers("bm_south")).status_code
        == 404
    )
    assert (
        client.post(
            f"{ADMIN}/returns/{created['id']}/approve", json={}, headers=co.headers("bm_south")
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"{ADMIN}/returns/{created['id']}/approve", json={}, headers=co.headers("wh")
        ).status_code
        == 403
    )
    listed = client.get(f"{ADMIN}/returns", headers=co.headers("bm_south")).get_json()
    assert listed["items"] == []


def test_an_approval_rule_adds_a_step_for_big_returns(client, co):
    dealer = bind_dealer(client, co.east_customer, "ret-big")
    order = shipped_order(co, co.east_customer, qty=150)  # 6,750.00
    created = ask(client, dealer, order, 120).get_json()  # 5,400.00: over the 5,000 rule
    first = client.post(
        f"{ADMIN}/returns/{created['id']}/approve", json={}, headers=co.headers("cs")
    )
    assert first.get_json()["status"] == "pending"  # the branch manager signs next
    # The branch manager is asked to weigh the return's 5,400.00 (not the order's), as a return.
    step = Notification.get(Notification.kind == "approval_step")
    words = describe(step.kind, step.audience, json.loads(step.payload))
    assert (words["title"], words["amount"]) == ("退货待您审批", "5400.00")
    assert (
        client.post(
            f"{ADMIN}/returns/{created['id']}/approve", json={}, headers=co.headers("hq")
        ).status_code
        == 403
    )
    signed = client.post(
        f"{ADMIN}/returns/{created['id']}/approve", json={}, headers=co.headers("bm_east")
    )
    assert signed.get_json()["status"] == "approved"


@pytest.mark.slow
def test_eight_racing_requests_never_return_more_than_shipped(gunicorn, client, co):
    order = shipped_order(co, co.east_customer, qty=10)
    tokens = [bind_dealer(client, co.east_customer, f"racer-{i}") for i in range(8)]

    def race(headers):
        return lambda: (
            requests.post(
                f"{gunicorn.url}{MP}/orders/{order.id}/returns",
                json={"lines": [{"order_line_id": order.lines[0].id, "qty": 3}], "reason": "抢"},
                headers=headers,
                timeout=30,
            ).status_code
        )

    statuses = all_at_once([race(h) for h in tokens])
    assert sorted(statuses) == [201, 201, 201, 409, 409, 409, 409, 409]  # 3 × 3 ≤ 10 < 4 × 3
    line = OrderLine.get_by_id(order.lines[0].id)
    asked = sum(r.lines[0].qty for r in ReturnRequest.select())
    assert line.returned_qty == asked == 9 <= line.shipped_qty


def test_the_console_queue_page_export_and_actions(client, co):
    from admin.console.blueprint import bp  # noqa: F401 - the console is registered

    dealer = bind_dealer(client, co.east_customer, "ret-console")
    order = shipped_order(co, co.east_customer)
    created = ask(client, dealer, order, 2).get_json()
    cs = Console(client.application.test_client())
    assert cs.login("cs1").status_code == 302
    cs.refresh_token("/admin/returns")
    queue = cs.get("/admin/returns").get_data(as_text=True)
    assert created["number"] in queue and "待审核" in queue
    page = cs.get(f"/admin/returns/{created['id']}").get_data(as_text=True)
    assert "同意退货" in page and "驳回" in page and "确认入库" not in page
    approved = cs.post(f"/admin/returns/{created['id']}/approve", {"comment": "同意"})
    assert ("success", "退货已批准，等待仓库入库") in flashes(approved)
    wh = Console(client.application.test_client())
    wh.login("wh1")
    wh.refresh_token(f"/admin/returns/{created['id']}")
    line_id = created["lines"][0]["id"]
    received = wh.post(f"/admin/returns/{created['id']}/receive", {f"receive-{line_id}": "2"})
    assert any("已入库" in text for _, text in flashes(received))
    assert ReturnRequest.get_by_id(created["id"]).status == "received"
    export = cs.get("/admin/returns.xlsx")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")
