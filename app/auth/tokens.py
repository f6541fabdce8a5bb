"""Signed, expiring API tokens (JWT, HS256) for dealers, reps and staff."""

from __future__ import annotations

import datetime as dt

import jwt
from flask import current_app

from app.errors import Unauthorized

ALGORITHM = "HS256"


def issue(kind: str, subject: int, **claims) -> str:
    now = dt.datetime.now(dt.UTC)
    payload = {
        "typ": kind,
        "sub": str(subject),
        "iat": now,
        "exp": now + dt.timedelta(seconds=current_app.config["TOKEN_TTL_SECONDS"]),
        **claims,
    }
    return jwt.encode(payload, current_app.config["SECRET_KEY"], algorithm=ALGORITHM)


def verify(token: str, kind: str) -> dict:
    """Raises: Unauthorized for a bad signature, an expired token, or a token of another kind."""
    try:
        payload = jwt.decode(
            token,
            current_app.config["SECRET_KEY"],
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub", "typ"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("登录已过期，请重新登录") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("登录凭证无效，请重新登录") from None
    if payload.get("typ") != kind:
        raise Unauthorized("登录凭证无效，请重新登录")
    return payload
