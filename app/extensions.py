"""Flask extension singletons, created unbound here and initialised only in create_app.

Process-wide services that the worker shares (database, Redis, WeChat) live in app/runtime.py.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from functools import wraps

from flask import current_app, request
from flask_wtf.csrf import CSRFProtect
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.retry import Retry

from app import outages


def rate_limit_key() -> str:
    """Per signed-in user (a verified token's subject) where there is one, else per address.

    Limits are checked before the view runs, so the token is verified here too: a token checked
    before is remembered by `tokens.verify`, so the view's own check costs next to nothing.
    """
    from app.auth import tokens
    from app.errors import AppError

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        for kind in ("mp", "staff"):
            try:
                payload = tokens.verify(token, kind)
            except AppError:
                continue
            return f"{kind}:{payload['sub']}"
    return f"ip:{request.remote_addr}"


def client_address() -> str:
    """Sign-in pages are limited per address: there is no signed-in user yet."""
    return request.remote_addr or "unknown"


log = logging.getLogger(__name__)
# Where limits are counted while the shared store (Redis) cannot be reached.
_in_process = FixedWindowRateLimiter(MemoryStorage())


@functools.lru_cache(maxsize=64)
def _limit_item(limit: str):
    return parse(limit)


def count_against(limit: str, scope: str, key: str) -> None:
    """Count one request against `limit` ("60 per minute") for `key`, in one round trip to the
    shared store (Redis, else memory), counted in this process while the store is away.

    Raises: RateLimited (429) with Retry-After. Only the limited views pay for limits, and only
    this round trip: flask-limiter's decorator and its hook on every request cost more CPU than
    the count itself (docs/performance.md).
    """
    from app.errors import RateLimited

    item = _limit_item(limit)
    shared, prefix = current_app.extensions["rate_limits"]
    try:
        store, allowed = shared, shared.hit(item, prefix, scope, key)
    except Exception as exc:  # the store is away: a committed order must never hinge on it
        outages.redis.failed("rate limits (counted in process meanwhile)", exc)
        store, allowed = _in_process, _in_process.hit(item, prefix, scope, key)
    else:
        outages.redis.ok()
    if allowed:
        return
    refused = RateLimited()
    wait = seconds_to_wait(
        item.get_expiry(), lambda: store.get_window_stats(item, prefix, scope, key).reset_time
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


def limited(setting: str, scope: str, key=rate_limit_key):
    """A view limited by the limit in `setting` per `key()` (by default the signed-in caller),
    via count_against."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            count_against(current_app.config[setting], scope, key())
            return view(*args, **kwargs)

        return wrapper

    return decorator


class LimiterPerThread:
    """The shared store's limiter, one per thread, each keeping a Redis connection of its own:
    a count is then one command on a connection at hand, where the pool would check one out,
    test it and put it back around every count (docs/performance.md, entry 19). A connection
    the server dropped (Redis restarted) is made again once, at once, within the same count;
    a timeout is not tried again, so a count still waits at most the socket's timeout."""

    def __init__(self, uri: str, options: dict):
        self._uri, self._options = uri, options
        self._local = threading.local()

    def _limiter(self) -> FixedWindowRateLimiter:
        limiter = getattr(self._local, "limiter", None)
        if limiter is None:
            again_once = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
            storage = storage_from_string(
                self._uri, single_connection_client=True, retry=again_once, **self._options
            )
            limiter = self._local.limiter = FixedWindowRateLimiter(storage)
        return limiter

    def hit(self, item, *identifiers) -> bool:
        """`FixedWindowRateLimiter.hit`, sent on the thread's connection itself: limits' own
        script (incr, and the window's expiry on the first count) by its digest, without the
        client's command wrappers, which cost as much CPU as the round trip (docs/performance.md,
        entry 22). A connection the server dropped is made again once, as the client would; a
        script the server no longer holds (Redis restarted) is loaded again by the limiter."""
        storage = self._limiter().storage
        key = storage.prefixed_key(item.key_for(*identifiers))
        command = ("EVALSHA", storage.lua_incr_expire.sha, 1, key, item.get_expiry(), 1)
        try:
            return int(_sent(storage.storage.connection, command)) <= item.amount
        except NoScriptError:
            return self._limiter().hit(item, *identifiers)

    def get_window_stats(self, item, *identifiers):
        return self._limiter().get_window_stats(item, *identifiers)


def _sent(connection, command: tuple):
    """A command's answer on a connection of one thread's own; a connection the server dropped
    is made again and the command sent once more (a timeout is not: it raises)."""
    try:
        connection.send_command(*command)
        return connection.read_response()
    except RedisConnectionError:
        connection.disconnect()
    connection.send_command(*command)
    return connection.read_response()


csrf = CSRFProtect()


def init_extensions(app) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "dm:ratelimit")
    uri = app.config["RATELIMIT_STORAGE_URI"]
    # A limit check waits at most a second for Redis, then counts in process (count_against).
    waits = {} if uri.startswith("memory") else {"socket_connect_timeout": 1, "socket_timeout": 1}
    options = app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", waits)
    if uri.startswith(("redis://", "rediss://", "redis+unix://")):
        shared = LimiterPerThread(uri, options)
    else:  # counts in memory must be one store for the whole process
        shared = FixedWindowRateLimiter(storage_from_string(uri, **options))
    app.extensions["rate_limits"] = (shared, app.config["RATELIMIT_KEY_PREFIX"])
    csrf.init_app(app)
