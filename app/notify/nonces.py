"""Callback nonces: each may be used once within the window in which callbacks are fresh (the
official account's callback, WeChat Pay's notifications). A unique row, written in the
transaction that handles the callback: a callback that fails leaves its nonce unused, so the
sender's retry still works; housekeeping deletes rows past the window."""

from __future__ import annotations

from peewee import IntegrityError

from app.db import db
from app.errors import Forbidden
from app.notify.models import CallbackNonce


def use_once(nonce: str) -> None:
    """Raises: Forbidden (no nonce, one too long to be real, or one seen before: a replay)."""
    if not nonce or len(nonce) > 64:
        raise Forbidden("nonce 无效")
    try:
        with db.atomic():
            CallbackNonce.create(nonce=nonce)
    except IntegrityError:
        raise Forbidden("重复的请求") from None
