"""Extension singletons, created unbound here and initialised only in create_app."""

from __future__ import annotations

import threading

import redis as redis_lib
from flask import request
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect

from app.db import db, make_database
from app.wechat.client import make_client


class RedisHolder:
    """The shared Redis client, or None in the embedded default (no REDIS_URL)."""

    client: redis_lib.Redis | None = None

    def init_app(self, app) -> None:
        url = app.config.get("REDIS_URL")
        self.client = redis_lib.Redis.from_url(url, decode_responses=True) if url else None


class WeChatHolder:
    """One wechatpy client per WeChat app and process; tokens live in Redis when configured."""

    def __init__(self):
        self._lock = threading.Lock()
        self._clients: dict[str, object] = {}
        self.config: dict = {}

    def init_app(self, app) -> None:
        self.config = dict(app.config)
        self._clients = {}

    def _client(self, which: str, appid_key: str, secret_key: str):
        with self._lock:
            if which not in self._clients:
                c = self.config
                self._clients[which] = make_client(
                    c.get(appid_key),
                    c.get(secret_key),
                    c.get("WECHAT_API_BASE_URL"),
                    redis.client,
                    c.get("WECHAT_TIMEOUT_SECONDS", 5),
                    prefix=c.get("REDIS_KEY_PREFIX", "dm"),
                )
            return self._clients[which]

    @property
    def miniprogram(self):
        return self._client("mini", "WECHAT_APPID", "WECHAT_SECRET")

    @property
    def official_account(self):
        return self._client("oa", "WECHAT_OA_APPID", "WECHAT_OA_SECRET")


def rate_limit_key() -> str:
    """Per signed-in user (a verified token's subject) where there is one, else per address.

    Limits are checked before the view runs, so the token is verified here, not read from g.
    """
    from app.auth import tokens
    from app.errors import AppError

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        for kind in ("mp", "staff"):
            try:
                return f"{kind}:{tokens.verify(token, kind)['sub']}"
            except AppError:
                continue
    return f"ip:{request.remote_addr}"


redis = RedisHolder()
wechat = WeChatHolder()
limiter = Limiter(key_func=rate_limit_key, headers_enabled=True)
csrf = CSRFProtect()


def init_db(app) -> None:
    """Bind the proxy once per process; a second app on the same URL reuses the same pool."""
    url = app.config["DATABASE_URL"]
    current = db.obj
    if current is None or getattr(current, "_dealer_mall_url", None) != url:
        database = make_database(url, app.config.get("DATABASE_POOL_SIZE", 20))
        database._dealer_mall_url = url
        db.initialize(database)


def init_extensions(app) -> None:
    init_db(app)
    redis.init_app(app)
    wechat.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "dm:ratelimit")
    limiter.init_app(app)
    csrf.init_app(app)
