"""Flask extension singletons, created unbound here and initialised only in create_app.

Process-wide services that the worker shares (database, Redis, WeChat) live in app/runtime.py.
"""

from __future__ import annotations

from flask import g, request
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect


def rate_limit_key() -> str:
    """Per signed-in user (a verified token's subject) where there is one, else per address.

    Limits are checked before the view runs, so the token is verified here, not read from g.
    """
    from app.errors import AppError

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        for kind in ("mp", "staff"):
            try:
                payload = verified_token(token, kind)
            except AppError:
                continue
            return f"{kind}:{payload['sub']}"
    return f"ip:{request.remote_addr}"


def verified_token(token: str, kind: str) -> dict:
    """`tokens.verify`, once per request: the limiter's key and the view's sign-in share it."""
    from app.auth import tokens

    cache = g.setdefault("verified_tokens", {})
    if (token, kind) not in cache:
        cache[(token, kind)] = tokens.verify(token, kind)
    return cache[(token, kind)]


# No X-RateLimit-* headers on every answer: each would cost two more Redis round trips per
# request. A refused request still says when to come back (Retry-After, in app/http.py).
limiter = Limiter(key_func=rate_limit_key, headers_enabled=False)
csrf = CSRFProtect()


def init_extensions(app) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "dm:ratelimit")
    # While Redis is away, limits are counted in this process and no limiter error (checking a
    # limit, or writing its headers after the view) ever reaches a client.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1}
    )
    limiter.init_app(app)
    csrf.init_app(app)
