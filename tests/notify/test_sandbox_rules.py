"""The sandbox refuses what WeChat refuses, serves stable_token as WeChat does, counts calls per
endpoint, and stands in for Tencent Cloud SMS: its rules checked on their own, over HTTP."""

import pytest
import requests
from wechatpy.exceptions import WeChatClientException

from app.adapters.wechat import make_client

GOOD_STATUS = {
    "character_string1": {"value": "SO20261127000001"},
    "phrase2": {"value": "已审核"},
    "time3": {"value": "2026-11-27 14:05"},
    "thing4": {"value": "我们将尽快为您安排发货"},
}


@pytest.fixture
def wx(sandbox):
    sandbox.state.reset()
    token = requests.post(
        f"{sandbox.url}/cgi-bin/stable_token",
        json={"grant_type": "client_credential", "appid": "wx-rules", "secret": "s"},
        timeout=5,
    ).json()["access_token"]

    def send(kind, template_id, data):
        path = "template/send" if kind == "template" else "subscribe/send"
        body = {"touser": "oa-rules", "template_id": template_id, "data": data}
        return requests.post(
            f"{sandbox.url}/cgi-bin/message/{path}?access_token={token}", json=body, timeout=5
        ).json()

    return send


def test_a_message_within_the_rules_is_taken(wx):
    assert wx("subscribe", "order-status", GOOD_STATUS)["errcode"] == 0


def test_an_unknown_template_is_40037(wx):
    assert wx("subscribe", "no-such-template", GOOD_STATUS)["errcode"] == 40037
    assert wx("template", "no-such-template", {})["errcode"] == 40037


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("thing4", "一" * 21),
        ("phrase2", "已审核通过啦"),
        ("character_string1", "SO单号"),
        ("character_string1", "S" * 33),
        ("time3", "明天上午"),
    ],
)
def test_subscribe_fields_that_break_their_type_are_47003(wx, field, value):
    assert (
        wx("subscribe", "order-status", {**GOOD_STATUS, field: {"value": value}})["errcode"]
        == 47003
    )


def test_template_messages_take_keywords_only_within_twenty_characters(wx):
    ok = {"character_string1": {"value": "SO1"}, "amount4": {"value": "450.00"}}
    assert wx("template", "order-status", ok)["errcode"] == 0
    for bad in (
        {"first": {"value": "订单已审核"}},  # dropped by WeChat in May 2023
        {"remark": {"value": "谢谢"}},
        {"thing5": {"value": "第一行\n第二行"}},
        {"thing5": {"value": "字" * 21}},
        {"amount4": {"value": "450.123"}},
        {"keyword9": {"value": "x"}},
    ):
        assert wx("template", "order-status", {**ok, **bad})["errcode"] == 47003, bad


def test_stable_token_is_shared_and_forced_refreshes_are_spaced(sandbox):
    sandbox.state.reset()

    def fetch(force=False):
        return requests.post(
            f"{sandbox.url}/cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": "wx-st",
                "secret": "s",
                "force_refresh": force,
            },
            timeout=5,
        ).json()

    first, again = fetch(), fetch()
    assert first["access_token"] == again["access_token"]  # the same token within its window
    forced = fetch(force=True)
    assert forced["access_token"] != first["access_token"]
    assert fetch(force=True)["errcode"] == 45011  # twice within 30 s: refused
    calls = sandbox.stats()["calls"]
    assert calls["/cgi-bin/stable_token"] == 4 and "/cgi-bin/token" not in calls


def test_the_client_uses_stable_token_and_forces_a_refresh_only_when_refused(sandbox):
    sandbox.state.reset()
    client = make_client("wx-force", "secret", sandbox.url)
    send = lambda: client.call(  # noqa: E731
        lambda: client.message.send_template(
            "oa-x", "order-status", {"phrase2": {"value": "已审核"}}
        )
    )
    send()
    requests.post(f"{sandbox.url}/_sandbox/invalidate-tokens", timeout=5)  # 40001 from now on
    send()  # refused → the unforced stable token is the same → one forced refresh
    requests.post(f"{sandbox.url}/_sandbox/invalidate-tokens", timeout=5)
    with pytest.raises(WeChatClientException, match="too soon"):
        send()  # a second forced refresh within 30 s is not attempted
    calls = sandbox.stats()["calls"]
    assert calls.get("/cgi-bin/token") is None
    assert calls["/cgi-bin/stable_token"] == 4  # first, unforced + forced, unforced (no force)


def test_tencent_sms_stand_in_checks_the_template_and_its_parameters(sandbox):
    sandbox.state.reset()

    def send(template_id, params):
        return requests.post(
            f"{sandbox.url}/",
            headers={"X-TC-Action": "SendSms"},
            json={
                "PhoneNumberSet": ["+8613800000009"],
                "SmsSdkAppId": "1400000000",
                "SignName": "订货商城",
                "TemplateId": template_id,
                "TemplateParamSet": params,
            },
            timeout=5,
        ).json()["Response"]

    assert send("1000001", ["SO1", "已审核"])["Error"]["Code"].endswith("NotMatchApprovedTemplate")
    assert send("999", ["a"])["Error"]["Code"] == "FailedOperation.TemplateIncorrectOrUnapproved"
    ok = send("1000001", ["SO1", "已审核", "我们将尽快发货"])
    assert ok["SendStatusSet"][0]["Code"] == "Ok"
    assert [m["params"] for m in sandbox.sms(phone="+8613800000009")] == [
        ["SO1", "已审核", "我们将尽快发货"]
    ]
