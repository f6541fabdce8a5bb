"""wechatpy clients pointed at WECHAT_API_BASE_URL, sharing one access token per app.

The only place that knows the sandbox exists (one transport adapter), and the only place that
fetches access tokens: WeChat keeps one valid token per app, so a token fetched by each worker
would invalidate the others'. Fetches are serialised by a lock (Redis in production, a thread lock
in the embedded default) and re-check the cache after taking it, so N workers that find the token
missing or rejected (40001/42001) cause one fetch, not N.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager
from urllib.parse import urljoin, urlsplit
from urllib.request import getproxies, proxy_bypass

import requests
from redis.exceptions import RedisError
from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from app import outages

log = logging.getLogger(__name__)

WECHAT_ORIGIN = "https://api.weixin.qq.com/"
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid, malformed, expired
REFRESH_MARGIN = 300  # seconds before WeChat's expiry that we fetch a new one
FORCE_REFRESH_EVERY = 30  # WeChat limits forced stable_token refreshes (and to 20 a day)


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
    """Point a wechatpy client's session at `base_url` (the sandbox) when given, and take the
    environment's proxy and CA settings for WeChat's host once, here, rather than on every call
    (requests reads them on each one, a third of a login's own CPU: docs/performance.md)."""
    if base_url:
        http_session.mount(WECHAT_ORIGIN, RebaseAdapter(base_url))
    target = base_url or WECHAT_ORIGIN
    http_session.proxies.update(
        {} if proxy_bypass(urlsplit(target).hostname or "") else getproxies()
    )
    http_session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    http_session.trust_env = False


_local_locks: dict[str, threading.Lock] = {}


class FallbackStorage:
    """wechatpy session storage that keeps working while Redis is away: tokens are then kept in
    this process until Redis answers again (a degraded feature, never a failed request)."""

    def __init__(self, primary, fallback):
        self.primary, self.fallback = primary, fallback

    def get(self, key, default=None):
        try:
            found = self.primary.get(key, default)
        except RedisError as exc:
            outages.redis.failed("WeChat token store (kept in this process meanwhile)", exc)
            return self.fallback.get(key, default)
        outages.redis.ok()
        return found

    def set(self, key, value, ttl=None):
        self.fallback.set(key, value, ttl)
        try:
            self.primary.set(key, value, ttl)
        except RedisError as exc:
            outages.redis.failed("WeChat token store (kept in this process meanwhile)", exc)

    def delete(self, key):
        self.fallback.delete(key)
        try:
            self.primary.delete(key)
        except RedisError as exc:
            outages.redis.failed("WeChat token store (dropped in this process only)", exc)

    def __getitem__(self, key):
        return self.get(key)

    def __setitem__(self, key, value):
        self.set(key, value)

    def __delitem__(self, key):
        self.delete(key)


# WeChat's calls that take no access token of the app's (code2Session is signed by the app's
# secret): wechatpy would still fetch a token for them and put it in their URL.
WITHOUT_ACCESS_TOKEN = frozenset({"sns/jscode2session"})


class SharedTokenClient(WeChatClient):
    """A WeChatClient whose token is shared by every worker and refreshed once, under a lock."""

    def __init__(self, appid, secret, *, redis_client=None, prefix="dm", timeout=5):
        storage = (
            FallbackStorage(RedisStorage(redis_client, prefix=f"{prefix}:wechat"), MemoryStorage())
            if redis_client
            else MemoryStorage()
        )
        # auto_retry off: wechatpy would refetch on every 40001, once per worker; we retry once here.
        super().__init__(appid, secret, session=storage, timeout=timeout, auto_retry=False)
        self._redis = redis_client
        self._lock_name = f"{prefix}:wechat:{appid}:token-lock"

    @contextmanager
    def _token_lock(self):
        local = _local_locks.setdefault(self._lock_name, threading.Lock())
        if self._redis is None:
            with local:
                yield
            return
        try:
            lock = self._redis.lock(self._lock_name, timeout=15, blocking_timeout=15)
            lock.acquire()
        except RedisError as exc:  # Redis away: serialise this process's threads at least
            outages.redis.failed("WeChat token lock (taken in this process only)", exc)
            with local:
                yield
            return
        try:
            yield
        finally:
            try:
                lock.release()
            except RedisError as exc:
                outages.redis.failed("WeChat token lock release (left to expire)", exc)

    def _request(self, method, url_or_endpoint, **kwargs):
        if url_or_endpoint in WITHOUT_ACCESS_TOKEN:
            # wechatpy adds the token unless the parameters name one; requests sends no None.
            kwargs["params"] = {**kwargs.get("params", {}), "access_token": None}
        return super()._request(method, url_or_endpoint, **kwargs)

    @property
    def access_token(self) -> str:
        token = self.session.get(self.access_token_key)
        return token or self.refresh_token(stale=None)

    def refresh_token(self, stale: str | None) -> str:
        """Get the app's token from WeChat's stable_token, unless another worker already replaced
        the stale one. A plain call returns the token every caller shares (a new one once it has
        expired); only when WeChat keeps refusing that same token is a refresh forced, and never
        more often than WeChat allows (FORCE_REFRESH_EVERY)."""
        with self._token_lock():
            current = self.session.get(self.access_token_key)
            if current and current != stale:
                return current
            result = self._stable_token(force=False)
            if stale is not None and result["access_token"] == stale:
                forced_key = f"{self.appid}_forced_refresh_at"
                if time.time() - float(self.session.get(forced_key) or 0) < FORCE_REFRESH_EVERY:
                    raise WeChatClientException(45011, "forced token refresh too soon", client=self)
                self.session.set(forced_key, str(time.time()), FORCE_REFRESH_EVERY)
                result = self._stable_token(force=True)
            ttl = max(int(result.get("expires_in", 7200)) - REFRESH_MARGIN, 60)
            self.session.set(self.access_token_key, result["access_token"], ttl)
            return result["access_token"]

    def _stable_token(self, force: bool) -> dict:
        response = self._http.post(
            f"{WECHAT_ORIGIN}cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
                "force_refresh": force,
            },
            timeout=self.timeout,
        )
        try:
            response.raise_for_status()
            result = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise WeChatClientException(None, str(exc), client=self, response=response) from exc
        if result.get("errcode"):
            raise WeChatClientException(
                result["errcode"], result.get("errmsg", ""), client=self, response=response
            )
        return result

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
