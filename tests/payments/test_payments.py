"""Dealers pay with WeChat Pay through the mini-program API; WeChat Pay's notification (from the
sandbox, over HTTP, to the app served over HTTP) credits the payment once."""

from __future__ import annotations

from decimal import Decimal as D

from app.core import orders, receivables
from app.core.models import Customer, Order, Receipt, Receivable
from app.mall import ordering
from app.notify.models import InboxMessage
from app.payments import payments, tasks
from app.payments.models import Payment
from devkit.factories import place
from devkit.testing.clients import MP

KEY = {"Idempotency-Key": "pay-key-0001"}


def top_up(client, dealer, amount="100.00", key=KEY):
    response = client.post(
        f"{MP}/payments", json={"purpose": "topup", "amount": amount}, headers={**dealer, **key}
    )
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def test_a_top_up_paid_at_wechat_raises_the_prepaid_balance_once_it_is_notified(
    client, dealer, shop, pay_sandbox
):
    started = top_up(client, dealer)
    assert started["status"] == "pending" and started["amount"] == "100.00"
    assert (
        started["jsapi"]["signType"] == "RSA" and started["jsapi"]["appId"] == "wxtestminiprogram"
    )
    before = receivables.account_position(shop.customer.id).balance

    paid = pay_sandbox.pay(started["out_trade_no"], jsapi=started["jsapi"])
    pay_sandbox.wait_answered(started["out_trade_no"])

    payment = Payment.get_by_id(started["id"])
    assert payment.status == "paid" and payment.transaction_id == paid["transaction_id"]
    receipt = Receipt.get_by_id(payment.receipt_id)
    assert (receipt.method, receipt.reference, receipt.amount) == (
        "wechat_pay",
        paid["transaction_id"],
        D("100.00"),
    )
    assert receivables.account_position(shop.customer.id).balance == before + D("100.00")
    assert InboxMessage.get(InboxMessage.customer == shop.customer.id).title == "充值已到账"
    shown = client.get(f"{MP}/payments/{started['id']}", headers=dealer).get_json()
    assert shown["status"] == "paid" and shown["transaction_id"] == paid["transaction_id"]


def pay_order(client, dealer, order, key="order-key-1"):
    response = client.post(
        f"{MP}/payments",
        json={"purpose": "order", "order_id": order.id},
        headers={**dealer, "Idempotency-Key": key},
    )
    return response


def test_the_same_idempotency_key_gives_back_the_same_payment(client, dealer, pay_sandbox):
    first = top_up(client, dealer)
    again = client.post(
        f"{MP}/payments", json={"purpose": "topup", "amount": "100.00"}, headers={**dealer, **KEY}
    )
    assert again.status_code == 200 and again.get_json()["id"] == first["id"]
    assert Payment.select().count() == 1


def test_an_order_payment_is_its_unpaid_amount_and_a_second_ask_gets_the_same_payment(
    client, dealer, shop, pay_sandbox
):
    order = place(shop.customer, (shop.tea, 2))  # 2 × 45.00 at level 3
    first = pay_order(client, dealer, order, "k1")
    assert first.status_code == 201 and first.get_json()["amount"] == "90.00"
    again = pay_order(client, dealer, order, "k2")  # the dealer came back to the page
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["jsapi"]["package"] == first.get_json()["jsapi"]["package"]


def test_an_order_payment_waits_for_its_order_and_pays_its_receivable_not_another_orders(
    client, dealer, shop, pay_sandbox
):
    paid_for = place(shop.customer, (shop.tea, 2))
    started = pay_order(client, dealer, paid_for).get_json()
    pay_sandbox.pay(started["out_trade_no"])
    pay_sandbox.wait_answered(started["out_trade_no"])
    other = place(shop.customer, (shop.tea, 4))
    for order in (other, paid_for):  # the other order ships first
        orders.approve_order(order.id, "staff:1")
        line = Order.get_by_id(order.id).lines[0]
        orders.ship_order(order.id, [(line.id, line.qty)], "顺丰", f"SF{order.id}", "staff:2")

    receivable_of = {r.order_id: r for r in Receivable.select()}
    assert receivable_of[other.id].open_amount == D("180.00")  # not paid with paid_for's money
    assert receivable_of[paid_for.id].open_amount == D("0.00")
    assert payments.order_unpaid(Order.get_by_id(paid_for.id)) == D("0.00")
    timeline = [e.action for e in Order.get_by_id(paid_for.id).events]
    assert "pay" in timeline


def test_a_shipped_orders_payment_settles_that_orders_receivable_first(
    client, dealer, shop, pay_sandbox
):
    older, newer = place(shop.customer, (shop.tea, 1)), place(shop.customer, (shop.tea, 2))
    for order in (older, newer):
        orders.approve_order(order.id, "staff:1")
        line = Order.get_by_id(order.id).lines[0]
        orders.ship_order(order.id, [(line.id, line.qty)], "顺丰", f"SF{order.id}", "staff:2")
    started = pay_order(client, dealer, newer).get_json()
    assert started["amount"] == "90.00"
    pay_sandbox.pay(started["out_trade_no"])
    pay_sandbox.wait_answered(started["out_trade_no"])
    receivable_of = {r.order_id: r.open_amount for r in Receivable.select()}
    assert receivable_of == {older.id: D("45.00"), newer.id: D("0.00")}


def test_a_prepaid_dealer_pays_an_order_before_review_and_its_approval_holds_that_money(
    client, dealer, shop, pay_sandbox
):
    Customer.update(settlement_method="prepaid").where(Customer.id == shop.customer.id).execute()
    order = place(shop.customer, (shop.tea, 2))
    started = pay_order(client, dealer, order).get_json()
    pay_sandbox.pay(started["out_trade_no"])
    pay_sandbox.wait_answered(started["out_trade_no"])
    orders.approve_order(order.id, "staff:1")  # no credit_exceeded: the payment funds the hold
    assert payments.order_unpaid(Order.get_by_id(order.id)) == D("0.00")
    again = pay_order(client, dealer, order, "k2")
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "invalid_state")


def test_someone_elses_order_and_a_cancelled_order_cannot_be_paid(
    client, dealer, shop, pay_sandbox
):
    theirs = place(shop.other, (shop.tea, 1))
    assert pay_order(client, dealer, theirs).status_code == 404
    mine = place(shop.customer, (shop.tea, 1))
    orders.cancel_order(mine.id, "test")
    refused = pay_order(client, dealer, mine)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "invalid_state")


def test_bad_payment_requests_get_a_clear_4xx(client, dealer, pay_sandbox):
    cases = [
        {"purpose": "topup"},
        {"purpose": "topup", "amount": "0.00"},
        {"purpose": "topup", "amount": "-1"},
        {"purpose": "topup", "amount": "1000000.01"},
        {"purpose": "order"},
        {"purpose": "gift", "amount": "1"},
    ]
    for body in cases:
        response = client.post(f"{MP}/payments", json=body, headers=dealer)
        assert response.status_code in (400, 422), (body, response.get_json())
        assert response.get_json()["error"]["code"] == "validation_error"


def test_a_payment_whose_notification_never_comes_is_credited_by_the_workers_query(
    client, dealer, shop, pay_sandbox, app
):
    started = top_up(client, dealer, "50.00")
    pay_sandbox.pay(started["out_trade_no"], notify=False)  # WeChat Pay's notification is lost
    Payment.update(next_query_at=Payment.created_at).execute()  # past the wait for it
    assert tasks.settle_due()["payments"] == {"paid": 1}
    assert Payment.get_by_id(started["id"]).status == "paid"
    assert Receipt.select().where(Receipt.method == "wechat_pay").count() == 1
    pay_sandbox.renotify(started["out_trade_no"])  # and then it comes after all
    pay_sandbox.wait_answered(started["out_trade_no"])
    assert Receipt.select().where(Receipt.method == "wechat_pay").count() == 1


def test_the_result_page_asks_wechat_pay_rather_than_trusting_the_browser(
    client, dealer, pay_sandbox
):
    started = top_up(client, dealer, "20.00")
    assert client.get(f"{MP}/payments/{started['id']}", headers=dealer).get_json()["status"] == (
        "pending"
    )  # the browser said "ok" and nothing was paid: still pending
    pay_sandbox.pay(started["out_trade_no"], notify=False)
    Payment.update(next_query_at=Payment.created_at).execute()
    shown = client.get(f"{MP}/payments/{started['id']}", headers=dealer).get_json()
    assert shown["status"] == "paid"


def test_an_unpaid_payment_past_its_expiry_is_closed_here_and_at_wechat_pay(
    client, dealer, pay_sandbox
):
    started = top_up(client, dealer, "20.00")
    Payment.update(next_query_at=Payment.created_at, expires_at=Payment.created_at).execute()
    assert tasks.settle_due()["payments"] == {"closed": 1}
    assert Payment.get_by_id(started["id"]).status == "closed"
    assert pay_sandbox.transaction(started["out_trade_no"])["trade_state"] == "CLOSED"


def test_wechat_pay_unreachable_is_a_502_and_the_same_key_works_once_it_is_back(
    client, dealer, pay_sandbox
):
    pay_sandbox.settings(fail_next=1)
    down = client.post(
        f"{MP}/payments", json={"purpose": "topup", "amount": "10.00"}, headers={**dealer, **KEY}
    )
    assert (down.status_code, down.get_json()["error"]["code"]) == (502, "payment_unavailable")
    back = top_up(client, dealer, "10.00")
    assert back["jsapi"] is not None and Payment.select().count() == 1


def test_a_dealer_sees_only_their_own_payments(client, dealer, other_dealer, pay_sandbox):
    mine = top_up(client, dealer)
    assert client.get(f"{MP}/payments/{mine['id']}", headers=other_dealer).status_code == 404
    assert client.get(f"{MP}/payments", headers=other_dealer).get_json()["total"] == 0
    assert client.get(f"{MP}/payments", headers=dealer).get_json()["total"] == 1


def test_starting_payments_is_rate_limited_like_ordering(app, client, dealer, pay_sandbox):
    app.config["RATELIMIT_ORDERS"] = "2 per minute"
    try:
        answers = [
            client.post(
                f"{MP}/payments",
                json={"purpose": "topup", "amount": "1.00"},
                headers={**dealer, "Idempotency-Key": f"limit-{i}"},
            )
            for i in range(3)
        ]
    finally:
        app.config["RATELIMIT_ORDERS"] = "1000 per minute"
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].get_json()["error"]["code"] == "rate_limited"
    assert Payment.select().count() == 2


def test_an_orders_timeline_says_what_was_paid(client, dealer, shop, pay_sandbox):
    order = place(shop.customer, (shop.tea, 2))
    started = pay_order(client, dealer, order).get_json()
    pay_sandbox.pay(started["out_trade_no"])
    pay_sandbox.wait_answered(started["out_trade_no"])
    paid = [e for e in Order.get_by_id(order.id).events if e.action == "pay"]
    assert [(e.note, e.actor) for e in paid] == [("¥90.00", "wechatpay")]
    told = InboxMessage.get(InboxMessage.kind == "pay")
    assert (told.title, told.order_id) == ("订单已付款", order.id)
    assert "已收到微信支付 ¥90.00" in told.body


def test_the_workers_minute_task_credits_a_payment_wechat_pay_never_told_us_of(
    client, dealer, pay_sandbox
):
    from app.worker import settle_payments

    started = top_up(client, dealer, "30.00")
    pay_sandbox.pay(started["out_trade_no"], notify=False)
    Payment.update(next_query_at=Payment.created_at).execute()
    assert settle_payments.call_local() == {"payments": {"paid": 1}, "refunds": {}}
    assert Payment.get_by_id(started["id"]).status == "paid"


def test_a_payment_past_its_expiry_that_wechat_pay_says_was_paid_is_recorded_paid_not_closed(
    client, dealer, pay_sandbox
):
    started = top_up(client, dealer, "30.00")
    pay_sandbox.pay(started["out_trade_no"], notify=False)  # paid; the notification is lost
    Payment.update(next_query_at=Payment.created_at, expires_at=Payment.created_at).execute()
    assert tasks.settle_due()["payments"] == {"paid": 1}
    assert Payment.get_by_id(started["id"]).status == "paid"
    assert pay_sandbox.transaction(started["out_trade_no"])["trade_state"] == "SUCCESS"
    assert Receipt.select().where(Receipt.method == "wechat_pay").count() == 1


def test_cancelling_an_order_expires_its_waiting_payment_and_the_worker_closes_it(
    client, dealer, shop, pay_sandbox
):
    order = place(shop.customer, (shop.tea, 2))
    started = pay_order(client, dealer, order, "k-stop").get_json()
    ordering.cancel(shop.customer.id, order.id, "wechat:1")
    again = pay_order(client, dealer, order, "k-stop").get_json()  # the page opened again
    assert again["id"] == started["id"] and again["jsapi"] is None  # nothing to pay with
    assert tasks.settle_due()["payments"] == {"closed": 1}  # asked first, then closed
    assert Payment.get_by_id(started["id"]).status == "closed"
    assert pay_sandbox.transaction(started["out_trade_no"])["trade_state"] == "CLOSED"


def test_the_payments_page_shows_an_abandoned_payment_as_expired_not_waiting(
    client, dealer, dealer_phone, pay_sandbox
):
    started = top_up(client, dealer, "40.00")
    page = dealer_phone.open("/h5/payments").get_data(as_text=True)
    assert "待支付" in page
    Payment.update(expires_at=Payment.created_at).execute()  # the dealer left; it expired
    page = dealer_phone.open("/h5/payments").get_data(as_text=True)
    assert "已过期" in page and "待支付" not in page
    Payment.update(next_query_at=Payment.created_at).execute()
    assert tasks.settle_due()["payments"] == {"closed": 1}
    page = dealer_phone.open("/h5/payments").get_data(as_text=True)
    assert "已关闭" in page and "待支付" not in page
    assert Payment.get_by_id(started["id"]).status == "closed"
