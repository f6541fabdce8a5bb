"""Thin clients of the platforms' open APIs behind one `Platform` interface: each signs as its
platform does, sends, pages, and maps the platform's error envelope to `PlatformError`.

Nothing here knows our tables: the shops service (app/shops/) hands in credentials and takes
back `PlatformOrder`s. `base_url` points every client at the sandbox in development and tests
(SHOP_API_BASE_URL); production leaves it unset and each client uses its platform's gateway.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import requests

from app.adapters.platforms.types import Receiver

TIMEOUT = 10
BUSINESS_TZ = dt.timezone(dt.timedelta(hours=8))  # the platforms' clocks: GMT+8, no DST


class PlatformError(Exception):
    """The platform refused or could not be reached. `message` is Chinese prose for people;
    `retryable` says whether the same call may work later (outage, rate limit)."""

    def __init__(self, message: str, code: str = "", retryable: bool = False):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable


@dataclass(frozen=True)
class Credentials:
    app_key: str
    app_secret: str
    access_token: str


@dataclass(frozen=True)
class Line:
    sku: str
    qty: int
    price: Decimal


@dataclass(frozen=True)
class PlatformOrder:
    """One order as the platform lists it. `status`: `unpaid`, `paid` (waiting to ship),
    `shipped` or `cancelled` (closed or refunded before shipping). Times are naive UTC."""

    platform_order_id: str
    status: str
    buyer: str
    receiver: Receiver
    lines: tuple[Line, ...]
    total: Decimal
    paid_at: dt.datetime | None
    modified_at: dt.datetime
    # The platform's opaque id of the receiver's full address (TOP's oaid, open_address_id on
    # the others): receivers come masked, so orders to one door are told apart by this.
    address_key: str = ""


@dataclass(frozen=True)
class Page:
    orders: list[PlatformOrder]
    has_next: bool


class Platform(Protocol):
    """What the shops service needs of a platform."""

    name: str
    # The widest time window one listing call may ask for; longer ranges are split.
    max_window: dt.timedelta
    page_size: int

    def orders(self, start: dt.datetime, end: dt.datetime, page: int) -> Page:
        """Orders created or changed in [start, end) (naive UTC), page `page` (from 1)."""

    def write_back(self, platform_order_id: str, carrier: str, tracking_no: str) -> None:
        """Tell the platform the order has shipped with this carrier and tracking number."""

    def push_stock(self, items: Sequence[tuple[str, int]]) -> None:
        """Set the sellable quantity of each platform SKU (absolute, not a delta)."""

    def check(self) -> None:
        """One cheap authorised call: raises PlatformError when the credentials do not work."""


# --- helpers the clients share ------------------------------------------------------------------


def receiver_from(record: dict, keys: tuple[str, str, str, str, str, str]) -> Receiver:
    """A receiver from a platform's record, given the platform's names for name, phone,
    province, city, district and street."""
    return Receiver(*(str(record.get(key) or "") for key in keys))


def gmt8_text(moment: dt.datetime) -> str:
    """Naive UTC → "yyyy-MM-dd HH:mm:ss" in GMT+8, the platforms' timestamp format."""
    return moment.replace(tzinfo=dt.UTC).astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S")


def from_gmt8_text(text: str) -> dt.datetime:
    local = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BUSINESS_TZ)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def unix(moment: dt.datetime) -> int:
    return int(moment.replace(tzinfo=dt.UTC).timestamp())


def from_unix(seconds) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(seconds), dt.UTC).replace(tzinfo=None)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class HttpClient:
    """One keep-alive session per client; transport failures become retryable PlatformErrors
    named after the platform, in words."""

    label = ""
    # A platform that says "too many calls" is asked again once after this many seconds.
    RATE_LIMIT_PAUSE = 1.0

    def __init__(self, credentials: Credentials, base_url: str | None = None):
        self.credentials = credentials
        self.base_url = (base_url or self.DEFAULT_BASE_URL).rstrip("/")
        self.session = requests.Session()

    DEFAULT_BASE_URL = ""

    def _post(self, url: str, **kwargs) -> dict:
        try:
            response = self.session.post(url, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise PlatformError(
                f"{self.label}接口无法连接（{type(exc).__name__}）", "unreachable", True
            ) from exc
        if response.status_code >= 500:
            raise PlatformError(
                f"{self.label}接口暂时不可用（HTTP {response.status_code}）", "unavailable", True
            )
        try:
            return response.json()
        except ValueError as exc:
            raise PlatformError(
                f"{self.label}接口返回了无法识别的内容（HTTP {response.status_code}）",
                "bad_response",
                True,
            ) from exc

    def _with_rate_limit(self, call):
        """Run `call`; a rate-limit refusal is retried once after a pause, then raised."""
        try:
            return call()
        except PlatformError as exc:
            if exc.code != "rate_limited":
                raise
        time.sleep(self.RATE_LIMIT_PAUSE)
        return call()


def client_for(platform: str, credentials: Credentials, base_url: str | None = None) -> Platform:
    """The client of `platform` ("taobao", "pdd", "doudian", "youzan")."""
    from app.adapters.platforms import doudian, pdd, taobao, youzan

    classes = {
        "taobao": taobao.TaobaoClient,
        "pdd": pdd.PddClient,
        "doudian": doudian.DoudianClient,
        "youzan": youzan.YouzanClient,
    }
    return classes[platform](credentials, base_url)
