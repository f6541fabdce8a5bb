"""Channels a notification can go out by: official-account template message, mini-program
subscribe message, SMS. Each returns a reference or raises a ChannelError saying whether a retry
later could help (WeChat down) or this channel will not work for this recipient (unfollowed,
subscription refused), in which case the next channel is tried."""

from __future__ import annotations

import logging
from functools import partial

import requests
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as sms_models
from tencentcloud.sms.v20210111 import sms_client
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


def send_wechat(
    channel: str, openid: str, template: str, data: dict, link: str, settings: NotifySettings
) -> str:
    """A WeChat message, `data` already fitted; WeChat's msgid. By "template": an official-account
    template message (keywords only) to `link`, a URL; by "subscribe": a mini-program subscribe
    message (typed fields) opening `link`, a page."""
    if channel == "template":
        client = wechat.official_account
        template_id = settings.oa_templates[template]
        send = partial(client.message.send_template, openid, template_id, data, url=link)
    else:
        client = wechat.miniprogram
        template_id = settings.subscribe_templates[template]
        send = partial(client.wxa.send_subscribe_message, openid, template_id, data, page=link)
    return str(_wechat_call(client, send).get("msgid", ""))


# Tencent Cloud answers that mean "not to this number, not with this content" (no retry helps).
SMS_REFUSALS = (
    "InvalidParameterValue",
    "FailedOperation",
    "UnsupportedOperation",
    "MissingParameter",
)


def send_sms(phone: str, template: str, params: list[str], settings: NotifySettings) -> str:
    """An SMS from an approved template with its parameters and the registered sign name."""
    if settings.sms_provider == "console":
        log.info("SMS to %s (%s): %s", phone, template, params)
        return "console"
    client = _sms_client(settings)
    request = sms_models.SendSmsRequest()
    request.SmsSdkAppId = settings.sms_app_id
    request.SignName = settings.sms_sign_name
    request.TemplateId = settings.sms_templates[template]
    request.TemplateParamSet = [str(p) for p in params]
    request.PhoneNumberSet = [phone if phone.startswith("+") else f"+86{phone}"]
    try:
        response = client.SendSms(request)
    except TencentCloudSDKException as exc:
        retryable = not str(exc.code or "").startswith(SMS_REFUSALS)
        raise ChannelError(f"sms {exc.code}: {exc.message}", retryable=retryable) from None
    except Exception as exc:  # the SDK's transport: the provider is unreachable
        raise ChannelError(f"sms unreachable: {exc}", retryable=True) from None
    status = response.SendStatusSet[0]
    if status.Code != "Ok":
        raise ChannelError(f"sms refused: {status.Code} {status.Message}", retryable=False)
    return status.SerialNo


def _sms_client(settings: NotifySettings):
    # A host with a port is the local stand-in (the sandbox), reached over plain HTTP.
    http = HttpProfile(
        protocol="http" if ":" in settings.sms_endpoint else "https",
        endpoint=settings.sms_endpoint,
        reqTimeout=10,
    )
    profile = ClientProfile()
    profile.httpProfile = http
    credentials = credential.Credential(settings.sms_secret_id, settings.sms_secret_key)
    return sms_client.SmsClient(credentials, settings.sms_region, profile)
