"""Signed, expiring API tokens (JWT, HS256) for dealers, reps and staff."""

from __future__ import annotations

import datetime as dt
import functools
import time

import jwt

from app.errors import Unauthorized

ALGORITHM = "HS256"

# Set by app.bootstrap from the settings; nothing here reads the Flask app.
_settings: dict = {"secret_key": None, "ttl_seconds": 7 * 24 * 3600}


def configure(secret_key: str, ttl_seconds: int) -> None:
    _settings.update(secret_key=secret_key, ttl_seconds=ttl_seconds)


def _secret() -> str:
    if not _settings["secret_key"]:
        raise RuntimeError("tokens are not configured: run app.bootstrap.bootstrap first")
    return _settings["secret_key"]


def issue(kind: str, subject: int, **claims) -> str:
    now = dt.datetime.now(dt.UTC)
    payload = {
        "typ": kind,
        "sub": str(subject),
        "iat": now,
        "exp": now + dt.timedelta(seconds=_settings["ttl_seconds"]),
        **claims,
    }
    return jwt.encode(payload, _secret(), algorithm=ALGORITHM)


def verify(token: str, kind: str) -> dict:
    """Raises: Unauthorized for a bad signature, an expired token, or a token of another kind.

    Whether a revoked token still names an account in good standing is the caller's check."""
    try:
        payload, expires_at = _signed_payload(token, _secret())
    except jwt.ExpiredSignatureError:
        raise Unauthorized("登录已过期，请重新登录") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("登录凭证无效，请重新登录") from None
    if expires_at <= time.time():  # PyJWT's own test, for a token checked before
        raise Unauthorized("登录已过期，请重新登录")
    if payload.get("typ") != kind:
        raise Unauthorized("登录凭证无效，请重新登录")
    return dict(payload)


# A token's signature and claims are checked once, then remembered: the same bytes under the same
# secret always check the same, so only expiry is tested again and the signature check, the costly
# part of signing in, runs once per token (docs/performance.md). Refused tokens are not remembered.
@functools.lru_cache(maxsize=4096)
def _signed_payload(token: str, secret: str) -> tuple[dict, int]:
    payload = jwt.decode(
        token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "typ"]}
    )
    return payload, int(payload["exp"])
