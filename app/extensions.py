"""Flask extension singletons, created unbound here and initialised only in create_app.

Process-wide services that the worker shares (database, Redis, WeChat) live in app/runtime.py.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from functools import wraps

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter


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
log = logging.getLogger(__name__)
# Where limits are counted while the shared store (Redis) cannot be reached.
_in_process = FixedWindowRateLimiter(MemoryStorage())


@functools.lru_cache(maxsize=64)
def _limit_item(limit: str):
    return parse(limit)


def count_against(limit: str, scope: str, key: str) -> None:
    """Count one request against `limit` ("60 per minute") for `key`, in one round trip to the
    limiter's store, counted in this process while the store is away.

    Raises: RateLimited (429) with Retry-After. For hot paths: flask-limiter's decorator costs
    about 1 ms of CPU per request around that same round trip (measured with bench.stack).
    """
    from app.errors import RateLimited

    item = _limit_item(limit)
    try:
        store, allowed = limiter.limiter, limiter.limiter.hit(item, scope, key)
    except Exception as exc:  # the store is away: a committed order must never hinge on it
        log.warning("rate limit store unavailable, counting in process: %s", exc)
        store, allowed = _in_process, _in_process.hit(item, scope, key)
    if allowed:
        return
    refused = RateLimited()
    wait = seconds_to_wait(
        item.get_expiry(), lambda: store.get_window_stats(item, scope, key).reset_time
    )
    refused.headers = {"Retry-After": str(wait)}
    raise refused


def seconds_to_wait(window: int, reset_at) -> int:
    """Retry-After for a refused request: until the window `reset_at()` names (an epoch time)
    lets the caller in again, or the whole window if the limiter's store cannot say."""
    try:
        reset = reset_at()
    except Exception:  # the store is away: the whole window is a safe answer
        return window
    return max(1, min(window, math.ceil(reset - time.time())))


def limited(setting: str, scope: str):
    """A view limited per caller (rate_limit_key) by the limit in `setting`, via count_against."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            count_against(current_app.config[setting], scope, rate_limit_key())
            return view(*args, **kwargs)

        return wrapper

    return decorator


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
