"""Channels a notification can go out by: official-account template message, mini-program
subscribe message, SMS. Each returns a reference or raises a ChannelError saying whether a retry
later could help (WeChat down) or this channel will not work for this recipient (unfollowed,
subscription refused), in which case the next channel is tried."""

from __future__ import annotations

import logging

import requests
from wechatpy.exceptions import WeChatClientException

from app.notify.settings import NotifySettings
from app.runtime import wechat

log = logging.getLogger(__name__)

# WeChat answers that mean "not this way, not to this user", as opposed to "try again later".
REFUSALS = {43004, 43101, 40003, 40037, 47003}


class ChannelError(Exception):
    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def _wechat_call(client, fn):
    try:
        return client.call(fn)
    except WeChatClientException as exc:
        if exc.errcode is None:  # not an answer from WeChat: an HTTP failure on the way
            status = getattr(exc.response, "status_code", "?")
            raise ChannelError(f"wechat HTTP {status}", retryable=True) from None
        raise ChannelError(
            f"wechat {exc.errcode}: {exc.errmsg}", retryable=exc.errcode not in REFUSALS
        ) from None
    except requests.RequestException as exc:
        raise ChannelError(f"wechat unreachable: {exc}", retryable=True) from None


def template_data(message: dict) -> dict:
    return {
        "first": {"value": message["title"]},
        "keyword1": {"value": message["order_number"]},
        "keyword2": {"value": message["status_label"]},
        "keyword3": {"value": message["at"]},
        "remark": {"value": message["detail"]},
    }


def send_template(oa_openid: str, message: dict, settings: NotifySettings) -> str:
    client = wechat.official_account
    template = settings.template_order_status
    url = f"{settings.h5_base_url}/orders/{message['order_id']}"
    result = _wechat_call(
        client,
        lambda: client.message.send_template(oa_openid, template, template_data(message), url=url),
    )
    return str(result.get("msgid", ""))


def send_subscribe(openid: str, message: dict, settings: NotifySettings) -> str:
    client = wechat.miniprogram
    template = settings.subscribe_order_status
    data = {
        "character_string1": {"value": message["order_number"]},
        "phrase2": {"value": message["status_label"]},
        "time3": {"value": message["at"]},
        "thing4": {"value": message["detail"][:20]},
    }
    result = _wechat_call(
        client,
        lambda: client.wxa.send_subscribe_message(
            openid, template, data, page=f"pages/order/detail?id={message['order_id']}"
        ),
    )
    return str(result.get("msgid", ""))


def send_sms(phone: str, text: str, settings: NotifySettings) -> str:
    provider = settings.sms_provider
    if provider == "console":
        log.info("SMS to %s: %s", phone, text)
        return "console"
    try:
        r = requests.post(settings.sms_api_url, json={"phone": phone, "text": text}, timeout=5)
    except requests.RequestException as exc:
        raise ChannelError(f"sms unreachable: {exc}", retryable=True) from None
    if r.status_code >= 500:
        raise ChannelError(f"sms provider {r.status_code}", retryable=True)
    if r.status_code >= 400:
        raise ChannelError(f"sms refused: {r.text[:200]}", retryable=False)
    return str(r.json().get("id", ""))
