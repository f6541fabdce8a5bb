"""wechatpy clients pointed at WECHAT_API_BASE_URL: the only place that knows the sandbox exists."""

from __future__ import annotations

from urllib.parse import urljoin

from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

WECHAT_ORIGIN = "https://api.weixin.qq.com/"


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


def make_client(appid: str, secret: str, base_url: str | None, redis_client=None, timeout=5):
    """A wechatpy client whose access token lives in Redis when there is one (shared by workers)."""
    storage = RedisStorage(redis_client, prefix="dm:wechat") if redis_client else MemoryStorage()
    client = WeChatClient(appid, secret, session=storage, timeout=timeout)
    rebase_session(client._http, base_url)
    return client
