"""Invoices (发票) and statement confirmation (对账确认), end to end through the APIs."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from app.core import orders, receivables
from app.core.models import AccountEntry, Order
from app.notify.models import InboxMessage
from app.payments.models import InvoiceOrder, StatementConfirmation
from app.timeutil import local_today, start_of_local_day_utc
from devkit.testing.clients import ADMIN, MP, bind_dealer
from devkit.testing.concurrency import all_at_once

PDF = b"%PDF-1.7\n% invoice\n"
TAX_NO = "91310000MA1FL0000X"


def shipped(co, qty=2):
    order = co.order(co.east_customer, (co.tea, qty))
    orders.approve_order(order.id, "staff:1")
    line = Order.get_by_id(order.id).lines[0]
    orders.ship_order(order.id, [(line.id, qty)], "顺丰", f"SF{order.id}", "staff:2")
    return Order.get_by_id(order.id)


@pytest.fixture
def east_dealer(client, co):
    return bind_dealer(client, co.east_customer, "invoice-dealer")


def ask(client, dealer, ids, **fields):
    body = {"kind": "special", "title": "上海某某商贸有限公司", "tax_no": TAX_NO, "order_ids": ids}
    return client.post(f"{MP}/invoices", json={**body, **fields}, headers=dealer)


def test_a_dealer_asks_for_an_invoice_finance_issues_it_with_a_file_and_the_dealer_downloads_it(
    client, co, east_dealer
):
    first, second = shipped(co, 2), shipped(co, 4)
    offered = client.get(f"{MP}/invoices/invoiceable-orders", headers=east_dealer).get_json()
    assert (offered["page"], offered["per_page"], offered["total"]) == (1, 100, 2)
    assert {o["order_id"]: o["amount"] for o in offered["items"]} == {
        first.id: "90.00",
        second.id: "180.00",
    }
    asked = ask(client, east_dealer, [first.id, second.id])
    assert asked.status_code == 201, asked.get_json()
    invoice = asked.get_json()
    assert (invoice["status"], invoice["amount"]) == ("requested", "270.00")
    left = client.get(f"{MP}/invoices/invoiceable-orders", headers=east_dealer).get_json()
    assert (left["items"], left["total"]) == ([], 0)

    issued = client.post(
        f"{ADMIN}/invoices/{invoice['id']}/issue",
        data={"invoice_no": "26312000000000012345", "file": (io.BytesIO(PDF), "fapiao.pdf")},
        headers=co.headers("fin"),
        content_type="multipart/form-data",
    )
    assert issued.status_code == 200, issued.get_json()
    assert issued.get_json()["status"] == "issued" and issued.get_json()["has_file"] is True
    assert issued.get_json()["file_url"] == f"/api/admin/v1/invoices/{invoice['id']}/file"
    assert invoice["file_url"] is None  # none before it is issued
    told = InboxMessage.get(InboxMessage.kind == "invoice")
    assert told.title == "发票已开具" and "26312000000000012345" in told.body
    listed = client.get(f"{MP}/invoices", headers=east_dealer).get_json()["items"]
    assert listed[0]["invoice_no"] == "26312000000000012345"
    assert listed[0]["file_url"] == f"{MP}/invoices/{invoice['id']}/file"
    download = client.get(listed[0]["file_url"], headers=east_dealer)
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"


def test_an_order_is_on_one_invoice_even_when_asked_for_twice_at_once(app, co, east_dealer):
    order = shipped(co)

    def one():
        with app.test_client() as c:
            return ask(c, east_dealer, [order.id]).status_code

    answers = all_at_once([one, one, one])
    assert sorted(answers) == [201, 409, 409]
    assert InvoiceOrder.select().count() == 1


def test_orders_not_shipped_or_not_the_dealers_are_not_invoiced(client, co, east_dealer):
    pending = co.order(co.east_customer, (co.tea, 1))
    refused = ask(client, east_dealer, [pending.id])
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "invalid_state")
    theirs = co.order(co.south_customer, (co.tea, 1))
    assert ask(client, east_dealer, [theirs.id]).status_code == 404
    for bad in ({"tax_no": "123"}, {"kind": "vat"}, {"title": ""}, {"order_ids": []}):
        assert ask(client, east_dealer, [pending.id], **bad).status_code == 422, bad


def test_a_rejected_request_frees_its_orders_and_tells_the_dealer_why(client, co, east_dealer):
    order = shipped(co)
    invoice = ask(client, east_dealer, [order.id]).get_json()
    rejected = client.post(
        f"{ADMIN}/invoices/{invoice['id']}/reject",
        json={"reason": "税号与抬头不符"},
        headers=co.headers("fin"),
    )
    assert rejected.get_json()["status"] == "rejected"
    assert "税号与抬头不符" in InboxMessage.get(InboxMessage.kind == "invoice").body
    assert ask(client, east_dealer, [order.id]).status_code == 201


def test_issuing_checks_the_number_and_the_file_and_happens_once(client, co, east_dealer):
    invoice = ask(client, east_dealer, [shipped(co).id]).get_json()
    url = f"{ADMIN}/invoices/{invoice['id']}/issue"
    assert client.post(url, json={"invoice_no": "12"}, headers=co.headers("fin")).status_code == 422
    not_pdf = client.post(
        url,
        data={"invoice_no": "12345678", "file": (io.BytesIO(b"MZ\x90\x00"), "a.exe")},
        headers=co.headers("fin"),
        content_type="multipart/form-data",
    )
    assert not_pdf.status_code == 422
    assert (
        client.post(url, json={"invoice_no": "12345678"}, headers=co.headers("cs")).status_code
        == 403
    )
    assert (
        client.post(url, json={"invoice_no": "12345678"}, headers=co.headers("fin")).status_code
        == 200
    )
    again = client.post(url, json={"invoice_no": "87654321"}, headers=co.headers("fin"))
    assert again.status_code == 409
    no_file = client.get(f"{MP}/invoices/{invoice['id']}/file", headers=east_dealer)
    assert no_file.status_code == 404


def last_month() -> str:
    first_of_this = local_today().replace(day=1)
    return f"{first_of_this - dt.timedelta(days=1):%Y-%m}"


def test_a_dealer_reads_a_month_disputes_it_finance_is_told_and_then_the_dealer_confirms(
    client, co, east_dealer
):
    receipt = receivables.record_receipt(co.east_customer.id, 100, "bank", "R1", recorded_by="test")
    period = last_month()
    mid_month = start_of_local_day_utc(local_today().replace(day=1) - dt.timedelta(days=15))
    AccountEntry.update(created_at=mid_month).where(AccountEntry.ref == receipt.number).execute()
    month = client.get(f"{MP}/account/statements/{period}", headers=east_dealer).get_json()
    assert month["status"] == "pending" and month["ended"] is True
    assert {"opening_balance", "closing_balance", "items", "from", "to"} <= month.keys()
    # The contract's names: opening, lines, closing.
    assert [line["ref"] for line in month["lines"]] == [receipt.number]
    assert month["lines"] == month["items"] and month["opening"] == "0.00"
    assert month["closing"] == month["lines"][-1]["balance"] == month["closing_balance"]
    assert month["closing"] != month["opening"]

    disputed = client.post(
        f"{MP}/account/statements/{period}/confirm",
        json={"agree": False, "note": "11 月 5 日的货款未计入"},
        headers=east_dealer,
    )
    assert disputed.status_code == 200, disputed.get_json()
    assert disputed.get_json()["status"] == "disputed"
    told = InboxMessage.get(InboxMessage.staff == co.staff["fin"].id)
    assert told.title == "对账单有异议" and "货款未计入" in told.body
    finance_view = client.get(
        f"{ADMIN}/statement-confirmations?period={period}", headers=co.headers("fin")
    ).get_json()
    rows = {r["customer_id"]: r for r in finance_view["items"]}
    assert rows[co.east_customer.id]["status"] == "disputed"
    assert rows[co.east_customer.id]["note"] == "11 月 5 日的货款未计入"
    assert rows[co.east_customer.id]["closing"] == month["closing"]
    assert rows[co.south_customer.id]["status"] == "pending"
    assert finance_view["counts"] == {"confirmed": 0, "disputed": 1, "pending": 1}

    confirmed = client.post(
        f"{MP}/account/statements/{period}/confirm", json={"agree": True}, headers=east_dealer
    ).get_json()
    assert confirmed["status"] == "confirmed" and confirmed["confirmation"]["answered_at"]
    assert confirmed["confirmation"]["answered_by"]  # who, besides when
    once_more = client.post(
        f"{MP}/account/statements/{period}/confirm",
        json={"agree": False, "note": "x"},
        headers=east_dealer,
    )
    assert once_more.status_code == 409


def test_a_month_not_over_cannot_be_confirmed_and_a_dispute_needs_a_note(client, co, east_dealer):
    this_month = f"{local_today():%Y-%m}"
    assert (
        client.get(f"{MP}/account/statements/{this_month}", headers=east_dealer).status_code == 200
    )
    early = client.post(
        f"{MP}/account/statements/{this_month}/confirm", json={"agree": True}, headers=east_dealer
    )
    assert early.status_code == 409
    silent = client.post(
        f"{MP}/account/statements/{last_month()}/confirm",
        json={"agree": False},
        headers=east_dealer,
    )
    assert silent.status_code == 422
    for bad in ("2026-13", "abc", "1999-01"):
        assert client.get(f"{MP}/account/statements/{bad}", headers=east_dealer).status_code == 422
    assert StatementConfirmation.select().count() == 0


def test_finance_sees_only_customers_in_scope(client, co, east_dealer):
    south = client.get(
        f"{ADMIN}/statement-confirmations?period={last_month()}", headers=co.headers("bm_south")
    ).get_json()
    assert [r["customer_id"] for r in south["items"]] == [co.south_customer.id]
    east = ask(client, east_dealer, [shipped(co).id]).get_json()
    for who, seen in (("fin", [east["id"]]), ("bm_south", [])):
        listed = client.get(f"{ADMIN}/invoices", headers=co.headers(who)).get_json()
        assert [i["id"] for i in listed["items"]] == seen
    assert (
        client.get(f"{ADMIN}/invoices/{east['id']}", headers=co.headers("bm_south")).status_code
        == 404
    )


def test_a_form_part_without_a_name_is_refused_in_the_envelope(client, co, east_dealer):
    invoice = ask(client, east_dealer, [shipped(co).id]).get_json()
    boundary = "dm-boundary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="invoice_no"\r\n\r\n'
        "1\r\n"
        f"--{boundary}\r\n"
        "Content-Disposition: form-data\r\n\r\n"
        "nameless\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    answer = client.post(
        f"{ADMIN}/invoices/{invoice['id']}/issue",
        data=body,
        headers=co.headers("fin"),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert answer.status_code == 422
    details = answer.get_json()["error"]["details"]
    assert "invoice_no" in details
