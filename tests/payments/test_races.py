"""Invariant 10 under real concurrency, against the app under gunicorn (several processes):
a payment is credited once however many notifications and queries race, and refunds asked at
the same moment never exceed what was paid."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import requests

from app.core.models import AccountEntry, Receipt
from app.payments.models import Payment, Refund
from devkit.testing.clients import ADMIN, MP, bind_dealer
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
