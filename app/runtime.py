"""Process-wide services shared by the web app and the huey worker: the database, Redis, the WeChat
clients, and the settings of notifications, tokens and passwords.

`init_services(settings)` is the one place that sets them; `create_app` calls it, and so does the
worker at start-up without building a Flask app. Calling it again (a second app, several worker
threads starting at once) is safe: everything is set under one lock, and a database already bound
to the same URL is kept.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import redis as redis_lib

from app.db import db, make_database
from app.wechat.client import make_client

_lock = threading.RLock()


class RedisHolder:
    """The shared Redis client, or None in the embedded default (no REDIS_URL)."""

    client: redis_lib.Redis | None = None

    def configure(self, url: str | None) -> None:
        current = self.client
        if current is not None and getattr(current, "_dealer_mall_url", None) == url:
            return
        # Short timeouts: while Redis is away, features that use it degrade quickly instead of
        # holding requests.
        self.client = (
            redis_lib.Redis.from_url(
                url, decode_responses=True, socket_connect_timeout=1, socket_timeout=2
            )
            if url
            else None
        )
        if self.client is not None:
            self.client._dealer_mall_url = url


class WeChatHolder:
    """One wechatpy client per WeChat app and process; tokens live in Redis when configured."""

    def __init__(self):
        self._lock = threading.Lock()
        self._clients: dict[str, object] = {}
        self.config: dict = {}

    def configure(self, settings: Mapping) -> None:
        with self._lock:
            self.config = dict(settings)
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


redis = RedisHolder()
wechat = WeChatHolder()


def settings_from(config) -> dict:
    """A settings mapping from a Flask config or one of the config classes in config/."""
    if isinstance(config, Mapping):
        return dict(config)
    return {key: getattr(config, key) for key in dir(config) if key.isupper()}


def init_db(settings: Mapping) -> None:
    """Bind the proxy once per process; a second app on the same URL reuses the same pool."""
    url = settings["DATABASE_URL"]
    current = db.obj
    if current is None or getattr(current, "_dealer_mall_url", None) != url:
        database = make_database(url, settings.get("DATABASE_POOL_SIZE", 20))
        database._dealer_mall_url = url
        db.initialize(database)


def init_services(config) -> dict:
    """Set every process-wide service from settings; returns the settings as a dict."""
    from app.auth import services as staff_accounts
    from app.auth import tokens
    from app.integrations import webhooks
    from app.mall import catalogue_cache
    from app.notify import outbox
    from app.notify.settings import NotifySettings
    from app.notify.settings import configure as configure_notify

    settings = settings_from(config)
    with _lock:
        init_db(settings)
        redis.configure(settings.get("REDIS_URL"))
        wechat.configure(settings)
        tokens.configure(settings["SECRET_KEY"], settings["TOKEN_TTL_SECONDS"])
        staff_accounts.configure(settings.get("PASSWORD_HASH_METHOD", "scrypt"))
        configure_notify(NotifySettings.from_settings(settings))
        outbox.install(enqueue=settings.get("NOTIFY_ENQUEUE", False))
        webhooks.install(
            allow_private=settings.get("WEBHOOK_ALLOW_PRIVATE", False),
            enqueue=settings.get("NOTIFY_ENQUEUE", False),
        )
        catalogue_cache.configure(settings.get("REDIS_KEY_PREFIX", "dm"))
    return settings
