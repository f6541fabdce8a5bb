"""Reconciliation against WeChat Pay's trade bill of a day: matched, missing here, missing
there, amounts that differ; finance hears of a mismatch; a bill that fails its hash is not
believed."""

from __future__ import annotations

import datetime as dt

import pytest

from app.notify.models import InboxMessage
from app.payments import tasks
from app.payments.models import Payment, Refund, TradeBill
from app.timeutil import local_today
from devkit.testing.clients import ADMIN, MP, bind_dealer


def yesterday() -> dt.date:
    """Asked when used: a run that crosses midnight in Beijing has a new yesterday."""
    return local_today() - dt.timedelta(days=1)


@pytest.fixture
def yesterdays(client, co, pay_sandbox):
    """Payments of the east customer paid yesterday: yesterdays("10.00", "20.00")."""
    dealer = bind_dealer(client, co.east_customer, "recon-dealer")

    def make(*amounts):
        made = []
        for i, amount in enumerate(amounts):
            started = client.post(
                f"{MP}/payments",
                json={"purpose": "topup", "amount": amount},
                headers={**dealer, "Idempotency-Key": f"recon-{i}-{amount}"},
            ).get_json()
            pay_sandbox.pay(started["out_trade_no"], paid_at=f"{yesterday()}T1{i}:00:00+08:00")
            pay_sandbox.wait_answered(started["out_trade_no"])
            made.append(Payment.get_by_id(started["id"]))
        return made

    return make


def report(client, co, day=None, who="fin"):
    day = day or yesterday()
    response = client.get(f"{ADMIN}/payments/reconciliation?date={day}", headers=co.headers(who))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_day_where_wechat_pay_and_we_agree_is_all_matched(client, co, yesterdays, pay_sandbox):
    first, second = yesterdays("10.00", "20.00")
    found = report(client, co)
    assert found["status"] == "fetched" and len(found["hash"]) == 40
    assert found["matched"] == 2
    assert {i["out_trade_no"] for i in found["matched_items"]} == {
        first.out_trade_no,
        second.out_trade_no,
    }
    assert found["missing_here"] == found["missing_there"] == found["amount_mismatch"] == []


def test_each_kind_of_disagreement_is_listed_and_finance_is_alerted(
    client, co, yesterdays, pay_sandbox
):
    dropped, changed, fine = yesterdays("10.00", "20.00", "30.00")
    pay_sandbox.edit_bill(
        yesterday(),
        drop=[dropped.out_trade_no],
        amounts={changed.out_trade_no: 1999},
        extra=[
            {"out_trade_no": "WPUNKNOWN0001", "transaction_id": "4200000000000001", "amount": 500}
        ],
    )
    assert tasks.fetch_yesterday() == "fetched"  # the worker's daily run
    found = report(client, co)
    assert found["matched"] == 1 and found["matched_items"][0]["out_trade_no"] == fine.out_trade_no
    assert [i["out_trade_no"] for i in found["missing_there"]] == [dropped.out_trade_no]
    assert [
        (i["out_trade_no"], i["amount_here"], i["amount_there"]) for i in found["amount_mismatch"]
    ] == [(changed.out_trade_no, "20.00", "19.99")]
    assert [(i["out_trade_no"], i["amount_there"]) for i in found["missing_here"]] == [
        ("WPUNKNOWN0001", "5.00")
    ]
    alert = InboxMessage.get(InboxMessage.staff == co.staff["fin"].id)
    assert alert.title == "微信支付对账有差异" and "金额不符 1 笔" in alert.body


def test_refunds_of_the_day_are_reconciled_too(client, co, yesterdays, pay_sandbox):
    (payment,) = yesterdays("50.00")
    asked = client.post(
        f"{ADMIN}/payments/{payment.id}/refunds",
        json={"amount": "5.00", "reason": "差价"},
        headers=co.headers("fin"),
    ).get_json()
    assert report(client, co)["matched"] == 1  # the payment; the refund was asked today
    # Had it been asked yesterday, WeChat Pay's bill of yesterday lists it as a REFUND line.
    refund = Refund.get()
    refund.created_at -= dt.timedelta(days=1)
    refund.save()
    with pay_sandbox.state.lock:
        record = pay_sandbox.state.refunds[asked["out_refund_no"]]
        record["created_at"] = record["created_at"] - dt.timedelta(days=1)
    found = client.post(
        f"{ADMIN}/payments/reconciliation?date={yesterday()}", headers=co.headers("fin")
    ).get_json()
    kinds = sorted((i["kind"], i["amount_there"]) for i in found["matched_items"])
    assert kinds == [("payment", "50.00"), ("refund", "5.00")]


def test_a_bill_that_does_not_match_its_hash_is_not_believed(client, co, yesterdays, pay_sandbox):
    yesterdays("10.00")
    pay_sandbox.edit_bill(yesterday(), corrupt=True)
    found = report(client, co)
    assert found["status"] == "failed" and "摘要" in found["error"]
    assert found["matched"] == 0
    pay_sandbox.edit_bill(yesterday())  # WeChat Pay serves it right again: the next look fetches
    assert report(client, co)["matched"] == 1


def test_a_day_without_payments_has_no_bill_and_nothing_missing(client, co, pay_sandbox):
    found = report(client, co, day=local_today() - dt.timedelta(days=3))
    assert found["status"] == "none" and found["matched"] == 0 and found["missing_there"] == []


def test_a_payment_we_never_heard_of_paid_shows_as_missing_here(
    client, co, yesterdays, pay_sandbox
):
    (payment,) = yesterdays("10.00")
    Payment.update(status="pending", paid_at=None, transaction_id=None).execute()  # as if lost
    found = report(client, co)
    assert [i["out_trade_no"] for i in found["missing_here"]] == [payment.out_trade_no]
    assert found["missing_here"][0]["customer_id"] == co.east_customer.id


def test_reconciliation_is_for_staff_who_see_every_branch_and_for_past_days(
    client, co, pay_sandbox
):
    branch_manager = client.get(
        f"{ADMIN}/payments/reconciliation?date={yesterday()}", headers=co.headers("bm_east")
    )
    assert branch_manager.status_code == 403
    today = client.get(
        f"{ADMIN}/payments/reconciliation?date={local_today()}", headers=co.headers("fin")
    )
    assert today.status_code == 422
    assert (
        client.get(f"{ADMIN}/payments/reconciliation", headers=co.headers("fin")).status_code == 422
    )
    assert TradeBill.select().count() == 0
