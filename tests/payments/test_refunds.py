"""Refunds from the admin API: through WeChat Pay, never more than was paid, the receipt
reversed; through the approval engine when a rule for refunds applies; money back to the
dealer's account when WeChat Pay does not refund."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal as D

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.approval import services as approvals
from app.core import orders, receivables
from app.core.models import AccountEntry, Customer, Order, Receivable
from app.notify.models import InboxMessage
from app.payments import tasks
from app.payments.models import Payment, Refund
from app.timeutil import local_today
from devkit.factories import place
from devkit.sandbox.wechatpay import MCHID
from devkit.testing.clients import ADMIN, MP, bind_dealer
from devkit.testing.payments import NOTIFY_PATH


@pytest.fixture
def paid(client, co, pay_sandbox):
    """A paid top-up of 100.00 by the east customer's dealer: pay(amount, purpose, order)."""

    def make(amount="100.00", order=None, code="refund-dealer"):
        dealer = bind_dealer(client, co.east_customer, code)
        body = {"purpose": "order", "order_id": order.id} if order else {"purpose": "topup"}
        started = client.post(
            f"{MP}/payments", json={**body, "amount": amount}, headers=dealer
        ).get_json()
        pay_sandbox.pay(started["out_trade_no"])
        pay_sandbox.wait_answered(started["out_trade_no"])
        return Payment.get_by_id(started["id"])

    return make


def refund(client, co, payment, amount, who="fin", reason="客户多付"):
    return client.post(
        f"{ADMIN}/payments/{payment.id}/refunds",
        json={"amount": amount, "reason": reason},
        headers=co.headers(who),
    )


def test_a_partial_refund_goes_through_wechat_pay_and_reverses_the_receipt(
    client, co, paid, pay_sandbox
):
    payment = paid()
    balance = receivables.account_position(co.east_customer.id).balance
    asked = refund(client, co, payment, "30.00")
    assert asked.status_code == 201, asked.get_json()
    assert asked.get_json()["status"] == "processing"
    assert Payment.get_by_id(payment.id).status == "partially_refunded"
    assert receivables.account_position(co.east_customer.id).balance == balance - D("30.00")
    entry = AccountEntry.get(AccountEntry.kind == "refund")
    assert (entry.amount, entry.ref) == (D("30.00"), asked.get_json()["out_refund_no"])

    pay_sandbox.finish_refund(asked.get_json()["out_refund_no"])
    pay_sandbox.wait_answered(payment.out_trade_no, count=2)
    done = Refund.get_by_id(asked.get_json()["id"])
    assert done.status == "succeeded" and done.refund_id
    message = InboxMessage.get(InboxMessage.kind == "refund")
    assert message.customer_id == co.east_customer.id and "30.00" in message.body


def test_refunds_never_exceed_what_was_paid_in_total(client, co, paid):
    payment = paid()
    assert refund(client, co, payment, "60.00").status_code == 201
    over = refund(client, co, payment, "40.01")
    assert over.status_code == 409
    assert over.get_json()["error"]["details"]["refundable"] == "40.00"
    assert refund(client, co, payment, "40.00").status_code == 201
    assert Payment.get_by_id(payment.id).status == "refunded"
    assert refund(client, co, payment, "0.01").status_code == 409


def test_a_refund_wechat_pay_closes_gives_the_money_back_to_the_dealer(
    client, co, paid, pay_sandbox
):
    payment = paid()
    balance = receivables.account_position(co.east_customer.id).balance
    asked = refund(client, co, payment, "100.00").get_json()
    pay_sandbox.finish_refund(asked["out_refund_no"], status="CLOSED")
    pay_sandbox.wait_answered(payment.out_trade_no, count=2)
    assert Refund.get_by_id(asked["id"]).status == "failed"
    fresh = Payment.get_by_id(payment.id)
    assert (fresh.status, fresh.refunded_amount) == ("paid", D("0.00"))
    assert receivables.account_position(co.east_customer.id).balance == balance
    assert refund(client, co, payment, "100.00").status_code == 201  # may be refunded again


def test_refunding_an_order_payment_reopens_that_orders_receivable(client, co, paid):
    order = co.order(co.east_customer, (co.tea, 2))  # 90.00
    orders.approve_order(order.id, "staff:1")
    line = Order.get_by_id(order.id).lines[0]
    orders.ship_order(order.id, [(line.id, 2)], "顺丰", "SF1", "staff:2")
    payment = paid(order=order)
    assert Receivable.get(Receivable.order == order.id).open_amount == D("0.00")
    assert refund(client, co, payment, "40.00").status_code == 201
    assert Receivable.get(Receivable.order == order.id).open_amount == D("40.00")
    assert "refund" not in [e.action for e in Order.get_by_id(order.id).events]  # not yet


def test_a_prepaid_balance_an_approved_order_holds_is_not_refunded(client, co, paid):
    Customer.update(settlement_method="prepaid").where(Customer.id == co.east_customer.id).execute()
    payment = paid()
    order = place(co.east_customer, (co.tea, 2))  # 90.00 of the 100.00 prepaid
    orders.approve_order(order.id, "staff:1")
    refused = refund(client, co, payment, "20.00")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "credit_exceeded")
    assert Payment.get_by_id(payment.id).refunded_amount == D("0.00")
    assert refund(client, co, payment, "10.00").status_code == 201


def test_a_refund_a_rule_names_waits_for_its_signatures_then_goes_to_wechat_pay(
    client, co, paid, pay_sandbox
):
    approvals.create_rule(
        "退款超过 50 元：财务经理",
        {"min_amount": "50"},
        [{"role": "hq_approver"}],
        document="refund",
    )
    payment = paid()
    small = refund(client, co, payment, "20.00").get_json()
    assert small["status"] == "processing"  # no rule matches 20.00
    big = refund(client, co, payment, "60.00").get_json()
    assert big["status"] == "pending_approval"
    assert pay_sandbox.state.refunds.keys() == {small["out_refund_no"]}
    cs_told = InboxMessage.get(InboxMessage.staff == co.staff["cs"].id)
    assert cs_told.title == "退款待您审批"

    too_early = client.post(
        f"{ADMIN}/refunds/{big['id']}/approve", json={}, headers=co.headers("hq")
    )
    assert too_early.status_code == 403  # customer service reviews first
    reviewed = client.post(
        f"{ADMIN}/refunds/{big['id']}/approve", json={}, headers=co.headers("cs")
    )
    assert reviewed.get_json()["status"] == "pending_approval"
    signed = client.post(f"{ADMIN}/refunds/{big['id']}/approve", json={}, headers=co.headers("hq"))
    assert signed.get_json()["status"] == "processing"
    assert big["out_refund_no"] in pay_sandbox.state.refunds


def test_a_rejected_refund_frees_what_it_reserved(client, co, paid):
    approvals.create_rule("所有退款：总部", {}, [{"role": "hq_approver"}], document="refund")
    payment = paid()
    waiting = refund(client, co, payment, "100.00").get_json()
    assert refund(client, co, payment, "0.01").status_code == 409  # all of it is reserved
    rejected = client.post(
        f"{ADMIN}/refunds/{waiting['id']}/reject",
        json={"reason": "不予退款"},
        headers=co.headers("cs"),
    )
    assert rejected.get_json()["status"] == "rejected"
    assert Payment.get_by_id(payment.id).status == "paid"
    assert refund(client, co, payment, "100.00").status_code == 201


def test_a_refund_wechat_pay_did_not_receive_is_sent_again_by_the_worker(
    client, co, paid, pay_sandbox
):
    payment = paid()
    pay_sandbox.settings(fail_next=1)
    asked = refund(client, co, payment, "10.00").get_json()
    assert asked["status"] == "processing" and asked["refund_id"] is None
    Refund.update(next_query_at=Refund.created_at).execute()
    assert tasks.settle_due()["refunds"] == {"processing": 1}
    assert Refund.get_by_id(asked["id"]).refund_id is not None
    pay_sandbox.finish_refund(asked["out_refund_no"], notify=False)  # its notification is lost
    Refund.update(next_query_at=Refund.created_at).execute()
    assert tasks.settle_due()["refunds"] == {"succeeded": 1}


def test_only_finance_and_admins_refund_and_only_in_their_scope(client, co, paid):
    payment = paid()
    assert refund(client, co, payment, "1.00", who="cs").status_code == 403
    assert refund(client, co, payment, "1.00", who="wh").status_code == 403
    from devkit.factories import make_staff
    from devkit.testing.clients import staff_headers

    south_finance = make_staff("finance", co.south, data_scope="branch", username="fin_s")
    response = client.post(
        f"{ADMIN}/payments/{payment.id}/refunds",
        json={"amount": "1.00", "reason": "x"},
        headers=staff_headers(south_finance),
    )
    assert response.status_code == 404
    listed = client.get(f"{ADMIN}/payments", headers=staff_headers(south_finance)).get_json()
    assert listed["total"] == 0


def test_finance_lists_payments_by_status_customer_and_dates_in_scope(client, co, paid):
    done = paid()
    south = bind_dealer(client, co.south_customer, "south-payer")
    waiting = client.post(
        f"{MP}/payments",
        json={"purpose": "topup", "amount": "5.00"},
        headers={**south, "Idempotency-Key": "south-1"},
    ).get_json()
    today = local_today()

    def ids(query, who="fin"):
        answer = client.get(f"{ADMIN}/payments?{query}", headers=co.headers(who))
        assert answer.status_code == 200, answer.get_json()
        return [p["id"] for p in answer.get_json()["items"]]

    assert ids("page=1") == [waiting["id"], done.id]
    assert ids("status=paid") == [done.id]
    assert ids("status=pending") == [waiting["id"]]
    assert ids(f"customer_id={co.south_customer.id}") == [waiting["id"]]
    assert ids(f"from={today}&to={today}") == [waiting["id"], done.id]
    assert ids(f"from={today + dt.timedelta(days=1)}") == []
    assert ids(f"to={today - dt.timedelta(days=1)}") == []
    from devkit.factories import make_staff
    from devkit.testing.clients import staff_headers

    south_finance = make_staff("finance", co.south, data_scope="branch", username="fin_s2")
    listed = client.get(f"{ADMIN}/payments", headers=staff_headers(south_finance)).get_json()
    assert [p["id"] for p in listed["items"]] == [waiting["id"]]
    refused = client.get(f"{ADMIN}/payments?status=lost", headers=co.headers("fin"))
    assert refused.status_code == 422


def test_bad_refund_requests_get_a_clear_4xx(client, co, paid):
    payment = paid()
    for body in ({"amount": "0"}, {"amount": "-5", "reason": "x"}, {"amount": "5", "reason": ""}):
        response = client.post(
            f"{ADMIN}/payments/{payment.id}/refunds", json=body, headers=co.headers("fin")
        )
        assert response.status_code == 422, response.get_json()
    assert (
        client.post(
            f"{ADMIN}/payments/999999/refunds",
            json={"amount": "1", "reason": "x"},
            headers=co.headers("fin"),
        ).status_code
        == 404
    )


def test_a_refund_notification_counts_once_and_a_forged_one_changes_nothing(
    client, co, paid, notification
):
    payment = paid()
    balance = receivables.account_position(co.east_customer.id).balance
    asked = refund(client, co, payment, "30.00").get_json()
    closed = {
        "mchid": MCHID,
        "out_trade_no": payment.out_trade_no,
        "transaction_id": payment.transaction_id,
        "out_refund_no": asked["out_refund_no"],
        "refund_id": asked["refund_id"],
        "refund_status": "CLOSED",
        "amount": {"total": 10000, "refund": 3000, "payer_total": 10000, "payer_refund": 3000},
    }

    def send(resource, **forgery):
        signed = notification.make(resource, "REFUND.CLOSED", **forgery)
        return client.post(NOTIFY_PATH, data=signed.body, headers=signed.headers)

    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert send(closed, key=forger).status_code == 403
    assert send(closed, timestamp=int(time.time()) - 600).status_code == 403
    assert send(closed, tamper_ciphertext=True).status_code == 403
    assert send({**closed, "out_refund_no": "RF20261201999999ZZZZ"}).status_code == 404
    more = {**closed["amount"], "refund": 9000, "payer_refund": 9000}
    assert send({**closed, "amount": more}).status_code == 409
    assert send({**closed, "out_trade_no": "WP2026120199999999ZZ"}).status_code == 409
    assert Refund.get_by_id(asked["id"]).status == "processing"  # nothing changed
    assert receivables.account_position(co.east_customer.id).balance == balance - D("30.00")

    for _ in range(3):  # WeChat Pay repeating itself, each time with a new nonce
        assert send(closed).status_code == 204
    assert Refund.get_by_id(asked["id"]).status == "failed"
    assert AccountEntry.select().where(AccountEntry.kind == "refund_void").count() == 1
    assert receivables.account_position(co.east_customer.id).balance == balance
    assert Payment.get_by_id(payment.id).refunded_amount == D("0.00")
