"""Process-wide clients shared by the web app and the worker: Redis and the WeChat clients.

They start unset; app.bootstrap configures them from settings (the database proxy lives in
app/db.py). Modules that talk to Redis or WeChat import the holders from here.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Generic, TypeVar

import redis as redis_lib

from app.adapters.wechat import make_client

T = TypeVar("T")


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


class SettingsHolder(Generic[T]):
    """A context's settings (a frozen dataclass) for this process: `default` until app.bootstrap
    sets them from the app's configuration."""

    def __init__(self, default: T):
        self._settings = default

    def configure(self, settings: T) -> None:
        self._settings = settings

    def current(self) -> T:
        return self._settings


redis = RedisHolder()
wechat = WeChatHolder()
