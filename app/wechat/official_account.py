"""The official account's callback and its H5 OAuth login.

Callback rules (DESIGN.md): the signature is checked on every request; safe mode (AES) when an
EncodingAESKey is configured; WeChat retries a message it got no answer for, so every message is
handled once (by MsgId, or sender + time for events); the answer comes well within 5 seconds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import requests
from peewee import IntegrityError
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import (
    InvalidSignatureException,
    WeChatClientException,
    WeChatOAuthException,
)
from wechatpy.oauth import WeChatOAuth
from wechatpy.utils import check_signature

from app.adapters.wechat import rebase_session
from app.core.models import Order
from app.core.rules import STATUS_LABELS
from app.db import db, transaction, utcnow
from app.errors import Forbidden, InvalidLoginCode, ValidationFailed, WeChatUnavailable
from app.mall.models import WechatUser
from app.notify.models import InboundMessage
from app.notify.nonces import use_once
from app.runtime import wechat
from app.timeutil import to_local

log = logging.getLogger(__name__)

MY_ORDERS_KEY = "MY_ORDERS"
ORDER_WORDS = ("订单", "我的订单", "查订单")


# WeChat signs token + timestamp + nonce, not the body: a captured request could be replayed, so
# a callback must be fresh (within this window either way) and its nonce used once.
FRESH_FOR = 300  # seconds


def verify(signature: str, timestamp: str, nonce: str) -> None:
    """Raises: Forbidden when the request is not signed with our token, or is stale."""
    try:
        check_signature(wechat.config["WECHAT_OA_TOKEN"], signature, timestamp, nonce)
    except (InvalidSignatureException, TypeError):
        raise Forbidden("签名校验失败") from None
    try:
        age = time.time() - int(timestamp)
    except ValueError:
        raise Forbidden("时间戳无效") from None
    if abs(age) > FRESH_FOR:
        raise Forbidden("请求已过期", timestamp=timestamp)


def _crypto() -> WeChatCrypto | None:
    key = wechat.config.get("WECHAT_OA_AES_KEY")
    if not key:
        return None
    return WeChatCrypto(wechat.config["WECHAT_OA_TOKEN"], key, wechat.config["WECHAT_OA_APPID"])


def handle(body: bytes, args: dict) -> str:
    """Verify, decrypt, de-duplicate and answer one callback POST; returns the reply body.

    In safe mode (an EncodingAESKey configured) only encrypted messages are taken: the body of a
    plaintext one is not covered by any signature. A message is recorded as handled (and its
    nonce as used) in the transaction that handles it, so a failure leaves WeChat's retry to work.
    Raises: Forbidden (signature, staleness, replay, plaintext in safe mode), ValidationFailed.
    """
    nonce = args.get("nonce", "")
    verify(args.get("signature", ""), args.get("timestamp", ""), nonce)
    crypto = _crypto()
    if crypto is not None and args.get("encrypt_type") != "aes":
        raise Forbidden("安全模式下只接受加密消息")
    if crypto is None and args.get("encrypt_type") == "aes":
        raise Forbidden("未配置消息加密密钥")
    xml = body
    if crypto is not None:
        try:
            xml = crypto.decrypt_message(
                body, args.get("msg_signature", ""), args["timestamp"], nonce
            )
        except (InvalidSignatureException, KeyError):
            raise Forbidden("消息签名校验失败") from None
        except Exception:  # undecipherable: not from WeChat
            raise Forbidden("消息无法解密") from None
    message = _parse(xml)
    with db.atomic():
        use_once(nonce)
        if not _first_time(message):
            return "success"  # WeChat's retry of a message already answered
        reply = _answer(message)
    if reply is None:
        return "success"
    rendered = reply.render()
    return crypto.encrypt_message(rendered, nonce, args["timestamp"]) if crypto else rendered


def _parse(xml):
    """The message, checked for the fields we read: a malformed one is refused, not half-handled."""
    try:
        message = parse_message(xml)
    except Exception:
        raise ValidationFailed("消息格式不正确") from None
    if not getattr(message, "source", None):
        raise ValidationFailed("消息缺少发送者", FromUserName=["必填"])
    if message.type == "text" and not isinstance(getattr(message, "content", None), str):
        raise ValidationFailed("文本消息缺少内容", Content=["必填"])
    return message


def _first_time(message) -> bool:
    key = (
        f"msg:{message.id}"
        if getattr(message, "id", None)
        else (
            f"event:{message.source}:{message.create_time.timestamp() if hasattr(message.create_time, 'timestamp') else message.create_time}:{message.type}:{getattr(message, 'event', '')}"
        )
    )
    try:
        with db.atomic():
            InboundMessage.create(key=key[:128])
    except IntegrityError:
        return False
    return True


def _answer(message):
    if message.type == "event":
        event = getattr(message, "event", "")
        if event in ("subscribe", "subscribe_scan"):
            _set_following(message.source, True)
            return create_reply(_welcome(), message)
        if event == "unsubscribe":
            _set_following(message.source, False)
            return None
        if event == "click" and getattr(message, "key", "") == MY_ORDERS_KEY:
            return create_reply(latest_orders_text(message.source), message)
        return None
    if message.type == "text" and message.content.strip() in ORDER_WORDS:
        return create_reply(latest_orders_text(message.source), message)
    if message.type == "text":
        return create_reply("您好！回复“订单”查看最近订单，或点击菜单“我的订单”。", message)
    return None


def _welcome() -> str:
    link = f"{wechat.config['H5_BASE_URL']}/bind"
    return f"欢迎关注订货商城！请点击链接用邀请码绑定您的经销商账号，绑定后即可在线订货、查看订单和对账：{link}"


def _set_following(oa_openid: str, following: bool) -> None:
    with transaction():
        updated = (
            WechatUser.update(follows_oa=following)
            .where(WechatUser.oa_openid == oa_openid)
            .execute()
        )
        if not updated and following:
            # Not seen before: remember the follower; H5 OAuth later joins them to their account.
            WechatUser.insert(oa_openid=oa_openid, follows_oa=True).on_conflict_ignore().execute()


def latest_orders_text(oa_openid: str, limit: int = 5) -> str:
    user = WechatUser.get_or_none(WechatUser.oa_openid == oa_openid)
    if user is None or user.role != "dealer" or user.customer_id is None:
        return f"您还没有绑定经销商账号，请先绑定：{wechat.config['H5_BASE_URL']}/bind"
    recent = (
        Order.select()
        .where(Order.customer == user.customer_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit)
    )
    lines = [
        f"{o.number} {STATUS_LABELS.get(o.status, o.status)} ¥{o.total} {to_local(o.created_at):%m-%d %H:%M}"
        for o in recent
    ]
    if not lines:
        return "您还没有订单。"
    return "最近订单：\n" + "\n".join(lines)


# --- H5 OAuth ----------------------------------------------------------------------


@dataclass(frozen=True)
class OAuthIdentity:
    oa_openid: str
    unionid: str | None


def exchange_oauth_code(code: str) -> OAuthIdentity:
    """Raises: InvalidLoginCode, WeChatUnavailable."""
    cfg = wechat.config
    oauth = WeChatOAuth(cfg["WECHAT_OA_APPID"], cfg["WECHAT_OA_SECRET"], cfg["H5_BASE_URL"])
    rebase_session(oauth._http, cfg.get("WECHAT_API_BASE_URL"))
    try:
        data = oauth.fetch_access_token(code)
    except (WeChatOAuthException, WeChatClientException) as exc:
        if getattr(exc, "errcode", None) in (40029, 40163):
            raise InvalidLoginCode(errcode=exc.errcode) from None
        raise WeChatUnavailable() from None
    except requests.RequestException:
        raise WeChatUnavailable() from None
    openid, unionid = data.get("openid", ""), data.get("unionid")
    if not openid or len(openid) > 64 or (unionid and len(unionid) > 64):
        raise WeChatUnavailable()
    return OAuthIdentity(openid, unionid)


def login_h5(code: str) -> WechatUser:
    """H5 login: the official-account openid, joined to the same person by unionid when known."""
    identity = exchange_oauth_code(code)
    with transaction():
        user = WechatUser.get_or_none(WechatUser.oa_openid == identity.oa_openid)
        same_person = None
        if identity.unionid:
            same_person = WechatUser.get_or_none(
                (WechatUser.unionid == identity.unionid) & WechatUser.openid.is_null(False)
            )
        if same_person is not None and (user is None or user.id != same_person.id):
            if user is not None:  # a follower row made by the callback: fold it into the person
                same_person.follows_oa = same_person.follows_oa or user.follows_oa
                user.delete_instance()
            same_person.oa_openid = identity.oa_openid
            same_person.last_login_at = utcnow()
            same_person.save()
            return same_person
        if user is None:
            user = WechatUser.create(oa_openid=identity.oa_openid, unionid=identity.unionid)
        elif identity.unionid and not user.unionid:
            user.unionid = identity.unionid
            user.save(only=[WechatUser.unionid])
        return user
