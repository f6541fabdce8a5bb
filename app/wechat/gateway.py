"""The WeChat calls the app makes, returning our own types and raising our own errors."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from wechatpy.exceptions import WeChatClientException

from app.errors import InvalidLoginCode, WeChatUnavailable
from app.runtime import wechat

log = logging.getLogger(__name__)

# code2Session: 40029 invalid code, 40163 code already used, 40226 risky user blocked.
INVALID_CODE_ERRORS = {40029, 40163, 40226}


@dataclass(frozen=True)
class WxSession:
    openid: str
    unionid: str | None
    session_key: str


def code_to_session(js_code: str) -> WxSession:
    """Exchange a wx.login code for the user's openid. Raises: InvalidLoginCode, WeChatUnavailable."""
    try:
        data = wechat.miniprogram.wxa.code_to_session(js_code)
    except WeChatClientException as exc:
        if exc.errcode in INVALID_CODE_ERRORS:
            raise InvalidLoginCode(errcode=exc.errcode) from None
        log.warning("code2Session failed: %s %s", exc.errcode, exc.errmsg)
        raise WeChatUnavailable(errcode=exc.errcode) from None
    except requests.RequestException as exc:
        log.warning("code2Session unreachable: %s", exc)
        raise WeChatUnavailable() from None
    openid, unionid = data.get("openid", ""), data.get("unionid")
    if not openid or len(openid) > 64 or (unionid and len(unionid) > 64):
        log.warning("code2Session gave an unexpected answer: %r", data)
        raise WeChatUnavailable()
    return WxSession(openid, unionid, data.get("session_key", ""))
