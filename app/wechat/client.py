"""wechatpy clients pointed at WECHAT_API_BASE_URL, sharing one access token per app.

The only place that knows the sandbox exists (one transport adapter), and the only place that
fetches access tokens: WeChat keeps one valid token per app, so a token fetched by each worker
would invalidate the others'. Fetches are serialised by a lock (Redis in production, a thread lock
in the embedded default) and re-check the cache after taking it, so N workers that find the token
missing or rejected (40001/42001) cause one fetch, not N.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from urllib.parse import urljoin

from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

WECHAT_ORIGIN = "https://api.weixin.qq.com/"
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid, malformed, expired
REFRESH_MARGIN = 300  # seconds before WeChat's expiry that we fetch a new one


class RebaseAdapter(HTTPAdapter):
    """Sends every request for api.weixin.qq.com to another base URL, path and query kept.

    wechatpy hard-codes WeChat's host in several places (client, token fetch, each API group,
    OAuth); one adapter mounted on the session catches them all.
    """

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/") + "/"

    def send(self, request, **kwargs):
        if request.url.startswith(WECHAT_ORIGIN):
            request.url = urljoin(self.base_url, request.url[len(WECHAT_ORIGIN) :])
        return super().send(request, **kwargs)


def rebase_session(http_session, base_url: str | None) -> None:
    if base_url:
        http_session.mount(WECHAT_ORIGIN, RebaseAdapter(base_url))


_local_locks: dict[str, threading.Lock] = {}


class SharedTokenClient(WeChatClient):
    """A WeChatClient whose token is shared by every worker and refreshed once, under a lock."""

    def __init__(self, appid, secret, *, redis_client=None, prefix="dm", timeout=5):
        storage = (
            RedisStorage(redis_client, prefix=f"{prefix}:wechat")
            if redis_client
            else MemoryStorage()
        )
        # auto_retry off: wechatpy would refetch on every 40001, once per worker; we retry once here.
        super().__init__(appid, secret, session=storage, timeout=timeout, auto_retry=False)
        self._redis = redis_client
        self._lock_name = f"{prefix}:wechat:{appid}:token-lock"

    @contextmanager
    def _token_lock(self):
        if self._redis is not None:
            with self._redis.lock(self._lock_name, timeout=15, blocking_timeout=15):
                yield
        else:
            with _local_locks.setdefault(self._lock_name, threading.Lock()):
                yield

    @property
    def access_token(self) -> str:
        token = self.session.get(self.access_token_key)
        return token or self.refresh_token(stale=None)

    def refresh_token(self, stale: str | None) -> str:
        """Fetch a new token unless another worker already replaced the stale one."""
        with self._token_lock():
            current = self.session.get(self.access_token_key)
            if current and current != stale:
                return current
            result = self._fetch_access_token(
                url="https://api.weixin.qq.com/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                },
            )
            ttl = max(int(result.get("expires_in", 7200)) - REFRESH_MARGIN, 60)
            self.session.set(self.access_token_key, result["access_token"], ttl)
            return result["access_token"]

    def call(self, fn):
        """Run fn(); if WeChat says the token is invalid or expired, refresh once and run it again."""
        token = self.access_token
        try:
            return fn()
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            self.refresh_token(stale=token)
            return fn()


def make_client(appid, secret, base_url, redis_client=None, timeout=5, prefix="dm"):
    client = SharedTokenClient(
        appid, secret, redis_client=redis_client, prefix=prefix, timeout=timeout
    )
    rebase_session(client._http, base_url)
    return client
