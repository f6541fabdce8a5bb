"""The WeChat Pay adapter against the sandbox over HTTP: the requests it signs are accepted, the
answers it gets are verified in both of WeChat Pay's modes, and what is wrong is refused."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip

import pytest
import requests

from app.adapters.wechatpay import (
    JSAPI_PARAMS,
    Gateway,
    PayError,
    PaySettings,
    parse_bill,
    wechat_pay,
)
from app.timeutil import local_today

OPENID = "sandbox-oa-gateway"
APPID = "wxtestofficialacct"


def place(gateway: Gateway, out_trade_no: str, fen: int = 1234) -> str:
    return gateway.jsapi_order(
        appid=APPID,
        out_trade_no=out_trade_no,
        description="测试",
        amount_fen=fen,
        openid=OPENID,
        expire_at=dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=30),
    )


@pytest.fixture
def gateway(app, pay_sandbox):
    return wechat_pay.gateway


def test_an_order_placed_is_paid_with_the_signed_jsapi_block_and_queried_as_paid(
    gateway, pay_sandbox
):
    prepay_id = place(gateway, "GWTEST000001")
    jsapi = gateway.jsapi_params(APPID, prepay_id)
    assert jsapi["package"] == f"prepay_id={prepay_id}" and jsapi["signType"] == "RSA"
    assert tuple(jsapi) == JSAPI_PARAMS  # what the answer's JsapiOut declares
    assert gateway.query("GWTEST000001")["trade_state"] == "NOTPAY"

    pay_sandbox.pay("GWTEST000001", jsapi=jsapi, notify=False)

    paid = gateway.query("GWTEST000001")
    assert paid["trade_state"] == "SUCCESS"
    assert paid["amount"]["total"] == 1234 and paid["payer"]["openid"] == OPENID


def test_a_jsapi_block_signed_with_another_key_is_refused_by_the_payers_wechat(
    gateway, pay_sandbox
):
    prepay_id = place(gateway, "GWTEST000002")
    jsapi = {**gateway.jsapi_params(APPID, prepay_id), "nonceStr": "changed"}
    response = requests.post(
        f"{pay_sandbox.url}/_sandbox/pay/GWTEST000002/pay", json={"jsapi": jsapi}, timeout=5
    )
    assert response.status_code == 400


def test_placing_the_same_order_again_gives_the_same_prepay_id(gateway, pay_sandbox):
    assert place(gateway, "GWTEST000003") == place(gateway, "GWTEST000003")
    with pytest.raises(PayError) as refused:
        place(gateway, "GWTEST000003", fen=999)
    assert refused.value.code == "INVALID_REQUEST" and not refused.value.retryable


def test_a_request_signed_with_a_key_wechat_pay_does_not_know_is_refused(
    app, gateway, pay_sandbox, tmp_path
):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    forger = Gateway(dataclasses.replace(gateway.settings, private_key=pem))
    with pytest.raises(PayError) as refused:
        forger.query("GWTEST000004")
    assert refused.value.status == 401 and refused.value.code == "SIGN_ERROR"


def test_an_answer_signed_by_someone_else_is_not_believed(gateway, pay_sandbox, sandbox):
    place(gateway, "GWTEST000005")
    real = sandbox.state.pay.platform_key
    from cryptography.hazmat.primitives.asymmetric import rsa

    sandbox.state.pay.platform_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    try:
        with pytest.raises(PayError) as refused:
            gateway.query("GWTEST000005")
        assert refused.value.retryable
    finally:
        sandbox.state.pay.platform_key = real


def test_the_platform_certificate_mode_downloads_the_certificate_and_verifies_with_it(
    gateway, pay_sandbox
):
    pay_sandbox.settings(sign_with="platform_certificate")
    certificates = Gateway(
        dataclasses.replace(
            gateway.settings,
            verify_mode="platform_certificate",
            public_key=None,
            public_key_id=None,
        )
    )
    place(certificates, "GWTEST000006")
    assert certificates.query("GWTEST000006")["trade_state"] == "NOTPAY"


def test_closing_an_unpaid_order_closes_it_and_a_paid_one_is_not_closed(gateway, pay_sandbox):
    place(gateway, "GWTEST000007")
    assert gateway.close("GWTEST000007") is True
    assert gateway.query("GWTEST000007")["trade_state"] == "CLOSED"
    place(gateway, "GWTEST000008")
    pay_sandbox.pay("GWTEST000008", notify=False)
    assert gateway.close("GWTEST000008") is False


def test_a_refund_is_asked_and_queried_and_never_beyond_the_total(gateway, pay_sandbox):
    place(gateway, "GWTEST000009", fen=1000)
    pay_sandbox.pay("GWTEST000009", notify=False)
    asked = gateway.refund(
        out_refund_no="GWRF000009A",
        out_trade_no="GWTEST000009",
        refund_fen=600,
        total_fen=1000,
        reason="测试",
    )
    assert asked["status"] == "PROCESSING"
    assert gateway.query_refund("GWRF000009A")["amount"]["refund"] == 600
    with pytest.raises(PayError) as refused:
        gateway.refund(
            out_refund_no="GWRF000009B",
            out_trade_no="GWTEST000009",
            refund_fen=500,
            total_fen=1000,
            reason="测试",
        )
    assert not refused.value.retryable


def test_the_trade_bill_is_downloaded_and_its_hash_checked(gateway, pay_sandbox):
    yesterday = local_today() - dt.timedelta(days=1)
    place(gateway, "GWTEST000010", fen=2500)
    pay_sandbox.pay("GWTEST000010", paid_at=f"{yesterday}T11:00:00+08:00", notify=False)
    bill = gateway.trade_bill(yesterday)
    assert [(ln.out_trade_no, ln.state, str(ln.amount)) for ln in bill.lines] == [
        ("GWTEST000010", "SUCCESS", "25.00")
    ]
    pay_sandbox.edit_bill(yesterday, corrupt=True)
    with pytest.raises(PayError) as corrupt:
        gateway.trade_bill(yesterday)
    assert corrupt.value.code == "HASH_MISMATCH"


def test_a_day_without_payments_has_no_bill(gateway, pay_sandbox):
    assert gateway.trade_bill(local_today() - dt.timedelta(days=2)) is None


def test_the_bill_parser_reads_wechats_backquoted_csv_and_stops_at_the_summary():
    text = (
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
        "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
        "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n"
        "`2026-11-30 10:00:00,`wx1,`1900000109,`0,`,`4200001,`WP1,`o1,`JSAPI,`SUCCESS,`OTHERS,"
        "`CNY,`12.30,`0.00,`0,`0,`0.00,`0.00,`,`,`充值,`,`0.07000,`0.60%,`12.30,`0.00,`\r\n"
        "`2026-11-30 11:00:00,`wx1,`1900000109,`0,`,`4200001,`WP1,`o1,`JSAPI,`REFUND,`OTHERS,"
        "`CNY,`0.00,`0.00,`5030001,`RF1,`2.00,`0.00,`ORIGINAL,`SUCCESS,`充值,`,`-0.01000,`0.60%,"
        "`12.30,`2.00,`\r\n"
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n"
        "`2,`12.30,`2.00,`0.00,`0.06000,`12.30,`2.00\r\n"
    )
    lines = parse_bill(text)
    assert [(ln.state, str(ln.amount), ln.out_refund_no, str(ln.refund)) for ln in lines] == [
        ("SUCCESS", "12.30", "", "0.00"),
        ("REFUND", "0.00", "RF1", "2.00"),
    ]
    assert gzip.decompress(gzip.compress(text.encode())).decode() == text


def test_settings_say_which_part_of_a_half_configured_account_is_missing():
    with pytest.raises(ValueError, match="WECHATPAY_PRIVATE_KEY_PATH"):
        PaySettings.from_settings({"WECHATPAY_MCHID": "1900000109"})
    assert PaySettings.from_settings({}) is None
