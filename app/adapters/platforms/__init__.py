"""Thin clients of the platforms' open APIs behind one `Platform` interface: each signs as its
platform does, sends, pages, and maps the platform's error envelope to `PlatformError`.

Nothing here knows our tables: the shops service (app/shops/) hands in credentials and takes
back `PlatformOrder`s. `base_url` points every client at the sandbox in development and tests
(SHOP_API_BASE_URL); production leaves it unset and each client uses its platform's gateway.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, Protocol
from urllib.parse import urlencode, urlsplit
from urllib.request import getproxies, proxy_bypass

import certifi
import urllib3

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
class Refusal:
    """A platform's "no" as its error envelope says it: the code callers match on, the
    platform's words, and the number shown to people when the platform shows another."""

    code: str
    text: str
    shown: str = ""


@dataclass(frozen=True)
class Credentials:
    """A shop's authorisation of our app; the secret and the token are kept out of its repr, so
    a log line or a traceback that shows a client's credentials does not give them away."""

    app_key: str
    app_secret: str = field(repr=False)
    access_token: str = field(repr=False)


@dataclass(frozen=True)
class Line:
    sku: str
    qty: int
    price: Decimal
    # Where the SKU is listed, as the order names it ("" when it does not).
    item_id: str = ""
    sku_id: str = ""


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
class Listing:
    """Where a SKU (the merchant's code of it) is on the platform: the listing's id (TOP num_iid,
    拼多多 goods_id, 抖店 product_id, 有赞 item_id) and the platform's id of the SKU in it."""

    item_id: str
    sku_id: str


@dataclass(frozen=True)
class StockLevel:
    """The sellable quantity to set for one SKU (absolute), and where it is listed."""

    sku: str
    qty: int
    listing: Listing


@dataclass(frozen=True)
class Page:
    orders: list[PlatformOrder]
    has_next: bool


class Platform(Protocol):
    """What the shops service needs of a platform."""

    name: str
    # The widest time window one listing call may ask for; longer ranges are split.
    max_window: dt.timedelta
    # How far back the listing reaches at all (None: as far as asked).
    max_lookback: dt.timedelta | None
    page_size: int

    def orders(self, start: dt.datetime, end: dt.datetime, page: int) -> Page:
        """Orders created or changed in [start, end) (naive UTC), page `page` (from 1)."""

    def write_back(self, platform_order_id: str, carrier: str, tracking_no: str) -> None:
        """Tell the platform the order has shipped with this carrier and tracking number."""

    def listings(self, skus: Sequence[str]) -> dict[str, Listing]:
        """Where each SKU code is listed; codes the platform does not know are left out.
        Raises PlatformError when the platform cannot be asked (down, refusing the app)."""

    def push_stock(self, levels: Sequence[StockLevel]) -> dict[str, PlatformError]:
        """Set the sellable quantity of each SKU (absolute, not a delta), in as few calls as the
        platform's API allows; returns the SKUs whose update did not go through, with why
        (retryable when the platform was down or busy). An empty answer: all were set."""

    def check(self) -> None:
        """One cheap authorised call: raises PlatformError when the credentials do not work."""


# --- helpers the clients share ------------------------------------------------------------------


def receiver_from(record: dict, keys: tuple[str, str, str, str, str, str]) -> Receiver:
    """A receiver from a platform's record, given the platform's names for name, phone,
    province, city, district and street."""
    return Receiver(*(str(record.get(key) or "") for key in keys))


def lines_from(
    records: Iterable[dict],
    keys: tuple[str | tuple[str, ...], str, str, str, str],
    in_fen: bool = False,
) -> tuple[Line, ...]:
    """An order's lines from the platform's records of them, given the platform's names for the
    SKU's merchant code (or the names to try in turn), quantity, price, listing id and SKU id;
    `in_fen`: the platform gives prices in fen."""
    codes, qty, price, item_id, sku_id = keys
    codes = (codes,) if isinstance(codes, str) else codes
    return tuple(
        Line(
            next((str(r[code]) for code in codes if r.get(code)), ""),
            int(r[qty]),
            Decimal(int(r[price])) / 100 if in_fen else Decimal(str(r[price])),
            str(r.get(item_id) or ""),
            str(r.get(sku_id) or ""),
        )
        for r in records
    )


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


def says_yes(answer: dict, path: Sequence[str]) -> bool:
    """Whether the flag at `path` (keys in turn) of a platform's answer is set."""
    for key in path[:-1]:
        answer = answer.get(key) or {}
    return bool(answer.get(path[-1]))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _connections(base_url: str, size: int) -> urllib3.PoolManager:
    """Keep-alive connections to the gateway, at most `size` of them, TLS verified against
    certifi's authorities and through the proxy the environment names for it (HTTPS_PROXY,
    NO_PROXY), as requests does. One pool per gateway and process, whichever shop's client
    asks (a shipment's write-back makes a client of its own): a call finds a connection still
    open from the last, and a forked process (gunicorn's, the worker's) opens its own."""
    return _pool(base_url, size, os.getpid())


@functools.lru_cache(maxsize=32)
def _pool(base_url: str, size: int, pid: int) -> urllib3.PoolManager:
    where = urlsplit(base_url)
    proxy = None if proxy_bypass(where.hostname or "") else getproxies().get(where.scheme)
    options = {"maxsize": size, "retries": False, "ca_certs": certifi.where()}
    if proxy:
        return urllib3.ProxyManager(proxy, **options)
    return urllib3.PoolManager(**options)


class HttpClient(ABC):
    """Keep-alive connections per client (urllib3 straight, no requests session: a stock push is
    thousands of small calls, and requests' per-call work — merging environment settings,
    hooks, cookies — cost more than the call's own signing and parsing); transport failures
    become retryable PlatformErrors named after the platform, in words. A subclass says where
    its gateway is, which carriers it knows (CARRIERS: ours → the platform's code), which API
    takes a shipment back (SHIPPED), which of its error codes mean "too many calls"
    (RATE_LIMIT_CODES), how to read a refusal out of an answer (`_refusal`), how to list a page of
    orders (`_records`) and read one (`_order`), how to find one SKU (`_listing`) and how to set the stock of one group of SKUs (`_set_stock`, SKUS_PER_CALL of one
    listing at a time)."""

    label = ""
    # A platform that says "too many calls" is asked again once after this many seconds.
    RATE_LIMIT_PAUSE = 1.0
    # Stock calls one client sends at once (keep-alive connections of its pool): kept well
    # under the platform's per-app call rate.
    PARALLEL_CALLS = 4
    # Orders a listing call asks for a page: the most each of the platforms allows.
    page_size = 100
    RATE_LIMIT_CODES: frozenset[str] = frozenset()
    CARRIERS: ClassVar[Mapping[str, object]] = {}
    # The API that tells the platform an order has shipped, and its names for the order's id,
    # the carrier's code and the tracking number.
    SHIPPED: ClassVar[tuple[str, str, str, str]]
    # Where the answer to it says the platform took it (keys in turn); () when a refusal in the
    # platform's error envelope is the only "no".
    SHIPPED_FLAG: ClassVar[tuple[str, ...]] = ()
    # The SKUs of one listing a stock call may set (1: the platform sets one SKU a call).
    SKUS_PER_CALL = 1

    def __init__(self, credentials: Credentials, base_url: str | None = None):
        self.credentials = credentials
        self.base_url = (base_url or self.DEFAULT_BASE_URL).rstrip("/")
        self.pool = _connections(self.base_url, self.PARALLEL_CALLS)

    DEFAULT_BASE_URL = ""
    max_lookback: dt.timedelta | None = None

    def _post(
        self, path: str, *, query: dict | None = None, form: dict | None = None, body: bytes = b""
    ) -> dict:
        """POST to the gateway's `path`: `form` as a urlencoded form, else `body` as JSON; the
        answer's JSON."""
        url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        if form is not None:
            body, kind = urlencode(form).encode(), "application/x-www-form-urlencoded"
        else:
            kind = "application/json"
        try:
            response = self.pool.request(
                "POST", url, body=body, headers={"Content-Type": kind}, timeout=TIMEOUT
            )
        except urllib3.exceptions.HTTPError as exc:
            raise PlatformError(
                f"{self.label}接口无法连接（{type(exc).__name__}）", "unreachable", True
            ) from exc
        if response.status >= 500:
            raise PlatformError(
                f"{self.label}接口暂时不可用（HTTP {response.status}）", "unavailable", True
            )
        try:
            return json.loads(response.data)
        except ValueError as exc:
            raise PlatformError(
                f"{self.label}接口返回了无法识别的内容（HTTP {response.status}）",
                "bad_response",
                True,
            ) from exc

    @abstractmethod
    def _refusal(self, answer: dict) -> Refusal | None:
        """The platform's refusal in `answer` (its error envelope), or None when it agreed."""

    def _answered(self, send: Callable[[], dict]) -> dict:
        """`send()` (which signs afresh, so a call asked again has a new timestamp) and its
        answer; a refusal is raised as a PlatformError, and a rate-limit refusal is asked again
        once after a pause, then raised."""

        def once():
            answer = send()
            refusal = self._refusal(answer)
            if refusal is None:
                return answer
            if refusal.code in self.RATE_LIMIT_CODES:
                raise PlatformError(
                    f"{self.label}接口调用太频繁：{refusal.text}", "rate_limited", True
                )
            shown = refusal.shown or refusal.code
            raise PlatformError(
                f"{self.label}拒绝了请求：{refusal.text}（错误码 {shown}）", refusal.code
            )

        try:
            return once()
        except PlatformError as exc:
            if exc.code != "rate_limited":
                raise
        time.sleep(self.RATE_LIMIT_PAUSE)
        return once()

    def carrier_code(self, carrier: str):
        """The platform's code of our carrier (SF, ZTO, …); refused when it does not know it."""
        if carrier not in self.CARRIERS:
            raise PlatformError(f"{self.label}不认识快递公司 {carrier}", "unknown_carrier")
        return self.CARRIERS[carrier]

    def in_parallel(self, call: Callable, jobs: Iterable) -> list:
        """`call(job)` for every job, at most PARALLEL_CALLS at once over the pool's
        keep-alive connections; answers in the jobs' order."""
        jobs = list(jobs)
        if len(jobs) <= 1:
            return [call(job) for job in jobs]
        workers = min(self.PARALLEL_CALLS, len(jobs))
        with ThreadPoolExecutor(workers, thread_name_prefix=f"{self.name}-calls") as pool:
            return list(pool.map(call, jobs))

    @abstractmethod
    def call(self, api: str, **business) -> dict:
        """The answer to a call of `api` with these business parameters, signed and sent as the
        platform wants; a refusal raised as a PlatformError."""

    def write_back(self, platform_order_id: str, carrier: str, tracking_no: str) -> None:
        api, order, company, tracking = self.SHIPPED
        answer = self.call(
            api,
            **{
                order: platform_order_id,
                company: self.carrier_code(carrier),
                tracking: tracking_no,
            },
        )
        if self.SHIPPED_FLAG and not says_yes(answer, self.SHIPPED_FLAG):
            raise PlatformError(f"{self.label}未确认发货", "not_confirmed", True)

    def orders(self, start: dt.datetime, end: dt.datetime, page: int) -> Page:
        records, has_next = self._records(start, end, page)
        return Page([self._order(record) for record in records], has_next)

    @abstractmethod
    def _records(self, start: dt.datetime, end: dt.datetime, page: int) -> tuple[list[dict], bool]:
        """The platform's records of the orders created or changed in [start, end) (naive UTC),
        page `page` (from 1) of them, and whether another page follows; one call."""

    @abstractmethod
    def _order(self, record: dict) -> PlatformOrder:
        """One order from the platform's record of it."""

    def _more_than(self, page: int, total: int) -> bool:
        """Whether orders are left after page `page` (from 1) of `total` in all."""
        return page * self.page_size < total

    @abstractmethod
    def _listing(self, sku: str) -> Listing | None:
        """Where the SKU with this merchant code is listed, or None (not found); one call."""

    def listings(self, skus: Sequence[str]) -> dict[str, Listing]:
        """`_listing(sku)` for each SKU, in parallel; a SKU the platform refuses to look up
        counts as not listed. An outage of the platform is raised, and the SKUs not yet asked
        are not asked."""
        down: list[PlatformError] = []

        def one(sku):
            if down:
                return sku, None
            try:
                return sku, self._listing(sku)
            except PlatformError as exc:
                if exc.retryable:
                    down.append(exc)
                return sku, None

        found = {sku: where for sku, where in self.in_parallel(one, skus) if where is not None}
        if down:
            raise down[0]
        return found

    @abstractmethod
    def _set_stock(self, group: list[StockLevel]) -> None:
        """Set the stock of these SKUs of one listing (at most SKUS_PER_CALL) in one call."""

    def push_stock(self, levels: Sequence[StockLevel]) -> dict[str, PlatformError]:
        """The levels grouped by listing (`by_listing`), each group set with `_set_stock`, in
        parallel; a refusal or outage of one call is the answer for that call's SKUs only.
        Once the platform is down or busy, the groups not yet sent are not sent (they get the
        same answer)."""
        down: list[PlatformError] = []

        def one(levels):
            if down:
                return {level.sku: down[0] for level in levels}
            try:
                self._set_stock(levels)
            except PlatformError as exc:
                if exc.retryable:
                    down.append(exc)
                return {level.sku: exc for level in levels}
            return {}

        failed: dict[str, PlatformError] = {}
        groups = by_listing(levels, self.SKUS_PER_CALL)
        for answer in self.in_parallel(one, list(groups.values())):
            failed.update(answer)
        return failed


class RouterClient(HttpClient):
    """A gateway of TOP's design, which 拼多多's follows: one router URL (ROUTER), the API named
    in a parameter, the public and the business parameters (as text) one signed form, and
    refusals in `error_response` under the platform's names for the code and its message
    (ERROR_FIELDS; a `sub_msg`, when given, says more)."""

    ROUTER = ""
    ERROR_FIELDS = ("code", "msg")

    @abstractmethod
    def _public(self, api: str) -> dict:
        """The public parameters of a call of `api`, with a fresh timestamp."""

    @abstractmethod
    def _sign(self, params: dict) -> str:
        """The signature of `params`, as the platform computes it."""

    def call(self, api: str, **business) -> dict:
        def send():
            params = {**self._public(api), **{k: str(v) for k, v in business.items()}}
            params["sign"] = self._sign(params)
            return self._post(self.ROUTER, form=params)

        return self._answered(send)

    def _refusal(self, answer: dict) -> Refusal | None:
        error = answer.get("error_response")
        if error is None:
            return None
        code, message = self.ERROR_FIELDS
        text = error.get("sub_msg") or error.get(message) or "未知错误"
        return Refusal(str(error.get(code, "")), text)


def by_listing(levels: Sequence[StockLevel], most: int) -> dict[str, list[StockLevel]]:
    """Levels grouped by listing, each group at most `most` SKUs (a batch call's limit; 1 for
    a platform that updates one SKU a call)."""
    listed: dict[str, list[StockLevel]] = {}
    for level in levels:
        listed.setdefault(level.listing.item_id, []).append(level)
    groups: dict[str, list[StockLevel]] = {}
    for item_id, group in listed.items():
        for n, start in enumerate(range(0, len(group), most)):
            groups[item_id if n == 0 else f"{item_id}#{n}"] = group[start : start + most]
    return groups


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
