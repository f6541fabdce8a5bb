"""Invariant 10 under real concurrency, against the app under gunicorn (several processes):
a payment is credited once however many notifications and queries race, and refunds asked at
the same moment never exceed what was paid."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import requests

from app.core import credit, orders, receivables
from app.core.models import AccountEntry, Customer, Order, Receipt, Receivable
from app.payments.models import Payment, Refund
from devkit.testing.clients import ADMIN, MP, bind_dealer, dealer_token_over_http
from devkit.testing.concurrency import all_at_once
from devkit.testing.payments import NOTIFY_PATH

pytestmark = pytest.mark.slow


def start_top_up(client, headers, amount: str) -> dict:
    response = client.post(
        f"{MP}/payments", json={"purpose": "topup", "amount": amount}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_fifteen_notifications_and_queries_racing_them_credit_the_payment_once(
    client, gunicorn, shop, pay_sandbox, notification
):
    dealer = bind_dealer(client, shop.customer, "race-payer")
    payment = start_top_up(client, dealer, "88.00")
    paid = pay_sandbox.pay(payment["out_trade_no"], notify=False)
    t = pay_sandbox.transaction(payment["out_trade_no"])
    t.pop("prepay_id")
    copies = [notification.make(t) for _ in range(15)]  # WeChat Pay's, each with its own nonce
    Payment.update(next_query_at=Payment.created_at).execute()

    def notify(signed):
        return lambda: (
            requests.post(
                gunicorn.url + NOTIFY_PATH, data=signed.body, headers=signed.headers, timeout=30
            ).status_code
        )

    def ask():
        url = f"{gunicorn.url}{MP}/payments/{payment['id']}"
        return requests.get(url, headers=dealer, timeout=30).status_code

    answers = all_at_once([notify(s) for s in copies] + [ask for _ in range(5)])

    assert answers == [204] * 15 + [200] * 5
    fresh = Payment.get_by_id(payment["id"])
    assert (fresh.status, fresh.transaction_id) == ("paid", paid["transaction_id"])
    assert Receipt.select().count() == 1
    assert AccountEntry.select().count() == 1
    assert Receipt.get().amount == D("88.00")


def test_refunds_asked_at_the_same_moment_never_exceed_what_was_paid(
    client, co, gunicorn, pay_sandbox
):
    dealer = bind_dealer(client, co.east_customer, "race-refund")
    payment = start_top_up(client, dealer, "100.00")
    pay_sandbox.pay(payment["out_trade_no"])
    pay_sandbox.wait_answered(payment["out_trade_no"])

    def ask():
        return requests.post(
            f"{gunicorn.url}{ADMIN}/payments/{payment['id']}/refunds",
            json={"amount": "30.00", "reason": "重复付款"},
            headers=co.headers("fin"),
            timeout=30,
        ).status_code

    answers = all_at_once([ask for _ in range(6)])

    assert sorted(answers) == [201, 201, 201, 409, 409, 409]
    assert Payment.get_by_id(payment["id"]).refunded_amount == D("90.00")
    assert sum(r.amount for r in Refund.select()) == D("90.00")
    assert len(pay_sandbox.state.refunds) == 3
    assert sum(r["refund"] for r in pay_sandbox.state.refunds.values()) == 9000


def _books_balance(customer_id: int) -> None:
    """Receivables and receipts agree with each other and with the ledger; money paid and free
    to use never sits beside an open receivable (it would have paid it)."""
    for receipt in Receipt.select().where(Receipt.customer == customer_id):
        applied = sum((a.amount for a in receipt.allocations), D("0.00"))
        assert applied + receipt.unapplied == receipt.amount, receipt.number
    open_total = D("0.00")
    for receivable in Receivable.select().where(Receivable.customer == customer_id):
        paid = sum((a.amount for a in receivable.allocations), D("0.00"))
        assert receivable.amount - paid == receivable.open_amount >= 0
        open_total += receivable.open_amount
    free = credit.oldest_open(Receipt, customer_id)
    assert open_total == 0 or not free, (open_total, free)
    position = receivables.account_position(customer_id)
    ledger = sum(
        (e.amount for e in AccountEntry.select().where(AccountEntry.customer == customer_id)),
        D("0.00"),
    )
    assert position.net == ledger == Customer.get_by_id(customer_id).ar_balance


def test_a_paid_orders_cancel_racing_a_shipment_and_a_receipt_keeps_the_books(
    client, co, gunicorn, pay_sandbox
):
    customer = co.east_customer
    payer = bind_dealer(client, customer, "race-cancel-payer")
    dealer = dealer_token_over_http(gunicorn.url, customer.id, "race-cancel-dealer")
    for round_no in range(4):
        older = co.order(customer, (co.tea, 2))
        orders.approve_order(older.id, "staff:1")
        line = Order.get_by_id(older.id).lines[0]
        orders.ship_order(older.id, [(line.id, 2)], "顺丰", f"SF-old-{round_no}", "staff:2")
        paid = co.order(customer, (co.tea, 2))
        started = client.post(
            f"{MP}/payments",
            json={"purpose": "order", "order_id": paid.id},
            headers={**payer, "Idempotency-Key": f"race-cancel-{round_no}"},
        ).get_json()
        pay_sandbox.pay(started["out_trade_no"])
        pay_sandbox.wait_answered(started["out_trade_no"])
        to_ship = co.order(customer, (co.tea, 3))
        orders.approve_order(to_ship.id, "staff:1")
        ship_line = Order.get_by_id(to_ship.id).lines[0].id

        def cancel(order_id=paid.id):
            return requests.post(
                f"{gunicorn.url}{MP}/orders/{order_id}/cancel",
                headers={"Authorization": f"Bearer {dealer}"},
                timeout=30,
            ).status_code

        def ship(order_id=to_ship.id, line_id=ship_line, n=round_no):
            return requests.post(
                f"{gunicorn.url}{ADMIN}/orders/{order_id}/shipments",
                json={
                    "lines": [{"order_line_id": line_id, "qty": 3}],
                    "carrier": "顺丰",
                    "tracking_no": f"SF-race-{n}",
                },
                headers=co.headers("wh"),
                timeout=30,
            ).status_code

        def receive(n=round_no):
            return requests.post(
                f"{gunicorn.url}{ADMIN}/customers/{customer.id}/receipts",
                json={"amount": "30.00", "method": "bank", "reference": f"网银 {n}"},
                headers=co.headers("fin"),
                timeout=30,
            ).status_code

        assert all_at_once([cancel, ship, receive]) == [200, 201, 201]
        assert Order.get_by_id(paid.id).status == "cancelled"
        _books_balance(customer.id)
