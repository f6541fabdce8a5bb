"""WeChat Pay's notifications: only WeChat Pay's, fresh, new and intact ones count; anything
else gets a 4xx and changes nothing, and no notification can credit another dealer."""

from __future__ import annotations

import dataclasses
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.adapters.wechatpay import Gateway, wechat_pay
from app.core.models import AccountEntry, Receipt
from app.notify.models import CallbackNonce
from app.payments.models import Payment
from devkit.sandbox.wechatpay import PLATFORM_SERIAL
from devkit.testing.clients import MP, login
from devkit.testing.payments import NOTIFY_PATH


def started(client, headers, amount="100.00", key="k-1") -> dict:
    response = client.post(
        f"{MP}/payments",
        json={"purpose": "topup", "amount": amount},
        headers={**headers, "Idempotency-Key": key},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def resource(pay_sandbox, payment: dict, **changes) -> dict:
    """What WeChat Pay's notification of this payment would carry once paid."""
    t = pay_sandbox.transaction(payment["out_trade_no"])
    body = {
        **t,
        "trade_state": "SUCCESS",
        "transaction_id": "4200009999202612010000000001",
        "success_time": "2026-12-01T10:00:00+08:00",
        "payer": {"openid": t.get("payer", {}).get("openid") or OPENIDS["dealer-a"]},
        "amount": {
            "total": t["amount"]["total"],
            "payer_total": t["amount"]["total"],
            "currency": "CNY",
        },
    }
    body.pop("prepay_id", None)
    return {**body, **changes}


OPENIDS = {"dealer-a": "sandbox-dealer-a", "dealer-b": "sandbox-dealer-b"}


def nothing_changed() -> bool:
    return (
        Payment.select().where(Payment.status != "pending").count() == 0
        and Receipt.select().count() == 0
        and AccountEntry.select().count() == 0
    )


def post(client, signed):
    return client.post(NOTIFY_PATH, data=signed.body, headers=signed.headers)


def test_a_genuine_notification_is_taken_with_204(client, dealer, pay_sandbox, notification):
    payment = started(client, dealer)
    answer = post(client, notification.make(resource(pay_sandbox, payment)))
    assert answer.status_code == 204
    assert Payment.get_by_id(payment["id"]).status == "paid"


def test_a_notification_signed_with_another_key_is_refused(
    client, dealer, pay_sandbox, notification
):
    payment = started(client, dealer)
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    answer = post(client, notification.make(resource(pay_sandbox, payment), key=forger))
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "forbidden"
    assert nothing_changed()


def test_a_notification_without_signature_headers_is_refused(client, dealer, pay_sandbox):
    payment = started(client, dealer)
    answer = client.post(NOTIFY_PATH, json={"resource": {"out_trade_no": payment["out_trade_no"]}})
    assert answer.status_code == 403
    assert nothing_changed()


def test_an_old_notification_is_refused_even_when_signed(client, dealer, pay_sandbox, notification):
    payment = started(client, dealer)
    old = notification.make(resource(pay_sandbox, payment), timestamp=int(time.time()) - 301)
    assert post(client, old).status_code == 403
    assert nothing_changed()


def test_a_repeated_nonce_is_refused_and_the_payment_credited_once(
    client, dealer, pay_sandbox, notification
):
    payment = started(client, dealer)
    signed = notification.make(resource(pay_sandbox, payment))
    assert post(client, signed).status_code == 204
    replay = post(client, signed)
    assert replay.status_code == 403 and "重复" in replay.get_json()["error"]["message"]
    assert Receipt.select().count() == 1


def test_a_notification_with_the_wrong_amount_is_refused(client, dealer, pay_sandbox, notification):
    payment = started(client, dealer)
    wrong = resource(pay_sandbox, payment, amount={"total": 1, "payer_total": 1, "currency": "CNY"})
    answer = post(client, notification.make(wrong))
    assert answer.status_code == 409 and "total" in answer.get_json()["error"]["details"]["fields"]
    assert nothing_changed()
    assert CallbackNonce.select().count() == 0  # the refused one's nonce stays unused


def test_a_notification_for_an_unknown_out_trade_no_is_refused(
    client, dealer, pay_sandbox, notification
):
    payment = started(client, dealer)
    unknown = resource(pay_sandbox, payment, out_trade_no="WP2026120199999999ZZ")
    assert post(client, notification.make(unknown)).status_code == 404
    assert nothing_changed()


def test_a_notification_with_tampered_ciphertext_is_refused(
    client, dealer, pay_sandbox, notification
):
    payment = started(client, dealer)
    resigned = notification.make(resource(pay_sandbox, payment), tamper_ciphertext=True)
    assert post(client, resigned).status_code == 403
    # The same tampering without re-signing fails the signature first.
    signed = notification.make(resource(pay_sandbox, payment))
    body = signed.body.replace(b'"ciphertext": "', b'"ciphertext": "A', 1)
    assert client.post(NOTIFY_PATH, data=body, headers=signed.headers).status_code == 403
    assert nothing_changed()


def test_a_notification_naming_another_dealers_payer_credits_no_one(
    client, dealer, other_dealer, shop, pay_sandbox, notification
):
    mine = started(client, dealer)
    theirs = started(client, other_dealer, key="k-2")
    # WeChat Pay's record of the other dealer's payment, dressed as this dealer's payment.
    crossed = resource(pay_sandbox, mine, payer={"openid": OPENIDS["dealer-b"]})
    assert post(client, notification.make(crossed)).status_code == 409
    crossed = resource(pay_sandbox, theirs, attach=f"customer:{shop.customer.id}")
    assert post(client, notification.make(crossed)).status_code == 409
    assert nothing_changed()


def test_fifteen_repeats_of_one_notification_credit_it_once(client, dealer, pay_sandbox):
    payment = started(client, dealer)
    pay_sandbox.pay(payment["out_trade_no"])
    for _ in range(14):
        pay_sandbox.renotify(payment["out_trade_no"])
    pay_sandbox.wait_answered(payment["out_trade_no"], count=15)
    assert Receipt.select().count() == 1
    assert AccountEntry.select().count() == 1


def test_a_notification_answered_with_an_error_is_sent_again_until_it_is_taken(
    client, dealer, pay_sandbox, app
):
    payment = started(client, dealer)
    pay_sandbox.settings(schedule_scale=0.01)
    gateway = wechat_pay.gateway
    # Our side cannot verify for a moment (a key rotated without our knowing): 403s, then ours.
    wrong_id = Gateway(dataclasses.replace(gateway.settings, public_key_id="PUB_KEY_ID_OTHER"))
    wechat_pay.use(wrong_id)
    try:
        pay_sandbox.pay(payment["out_trade_no"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            attempts = pay_sandbox.notifications(payment["out_trade_no"])[0]["attempts"]
            if len(attempts) >= 3:
                break
            time.sleep(0.05)
    finally:
        wechat_pay.use(gateway)
    answered = pay_sandbox.wait_answered(payment["out_trade_no"])
    statuses = [a["status"] for a in answered[0]["attempts"]]
    assert statuses[:3] == [403, 403, 403] and statuses[-1] == 204
    assert Receipt.select().count() == 1


@pytest.fixture
def certificate_mode(pay_sandbox):
    """The merchant still on platform certificates; WeChat Pay signs with its certificate."""
    gateway = wechat_pay.gateway
    pay_sandbox.settings(sign_with="platform_certificate")
    wechat_pay.use(
        Gateway(
            dataclasses.replace(
                gateway.settings,
                verify_mode="platform_certificate",
                public_key=None,
                public_key_id=None,
            )
        )
    )
    yield
    wechat_pay.use(gateway)


def test_in_platform_certificate_mode_a_certificate_signed_notification_is_taken(
    client, dealer, pay_sandbox, certificate_mode
):
    payment = started(client, dealer)
    pay_sandbox.pay(payment["out_trade_no"])
    pay_sandbox.wait_answered(payment["out_trade_no"])
    assert Payment.get_by_id(payment["id"]).status == "paid"


def test_in_public_key_mode_a_certificate_signed_notification_is_refused(
    client, dealer, pay_sandbox, notification
):
    payment = started(client, dealer)
    signed = notification.make(resource(pay_sandbox, payment), serial=PLATFORM_SERIAL)
    assert post(client, signed).status_code == 403
    assert nothing_changed()


def test_while_migrating_both_modes_are_accepted(client, dealer, pay_sandbox, notification):
    gateway = wechat_pay.gateway
    wechat_pay.use(Gateway(dataclasses.replace(gateway.settings, verify_mode="both")))
    try:
        first, second = started(client, dealer), started(client, dealer, "5.00", "k-2")
        assert post(client, notification.make(resource(pay_sandbox, first))).status_code == 204
        by_certificate = notification.make(
            resource(pay_sandbox, second, transaction_id="4200009999202612010000000002"),
            serial=PLATFORM_SERIAL,
        )
        assert post(client, by_certificate).status_code == 204
    finally:
        wechat_pay.use(gateway)
    assert Payment.select().where(Payment.status == "paid").count() == 2


def test_a_forged_serial_does_not_make_us_fetch_certificates_again_and_again(
    client, dealer, pay_sandbox, notification, sandbox, certificate_mode
):
    payment = started(client, dealer)
    before = sandbox.stats()["calls"].get("/v3/certificates", 0)
    for serial in ("ABCDEF01", "ABCDEF02", "ABCDEF03"):
        signed = notification.make(resource(pay_sandbox, payment), serial=serial)
        assert post(client, signed).status_code == 403
    assert sandbox.stats()["calls"].get("/v3/certificates", 0) - before <= 1
    assert nothing_changed()


def test_one_wechat_transaction_cannot_pay_two_payments(client, dealer, pay_sandbox, notification):
    first, second = started(client, dealer), started(client, dealer, "5.00", "k-2")
    assert post(client, notification.make(resource(pay_sandbox, first))).status_code == 204
    same_transaction = notification.make(resource(pay_sandbox, second))
    assert post(client, same_transaction).status_code == 409
    assert Payment.get_by_id(second["id"]).status == "pending"
    assert Receipt.select().count() == 1


def test_a_wechat_user_not_bound_to_a_dealer_cannot_start_a_payment(client, shop, pay_sandbox):
    token = login(client, "not-bound")["token"]
    response = client.post(
        f"{MP}/payments",
        json={"purpose": "topup", "amount": "1.00"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    assert Payment.select().count() == 0
