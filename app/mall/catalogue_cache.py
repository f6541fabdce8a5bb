"""Catalogue pages cached per price level (or price book) and warehouse, as the JSON they answer.

A page is the same for every dealer with the same price level, warehouse, open promotions and
query, unless the dealer has a price book of their own (then the page is theirs alone). Each process keeps rendered
pages; whether one is still right is decided by two counters in Redis, read together in one
round trip per request:

* the catalogue version, bumped after each commit that changes products, categories, level prices,
  price books or promotions;
* the warehouse's stock version, bumped after each commit that changes its stock.

A page rendered under other versions is rendered again. Without Redis (the embedded default, or
Redis away) nothing is cached: several processes could not agree on what changed. A bump lost
while Redis blinks is bounded by MAX_AGE.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from redis.exceptions import RedisError

from app import outages
from app.core import orders, promotion_book, promotions
from app.core.models import Customer, CustomerPrice
from app.core.promotions import Offer
from app.db import db, utcnow
from app.events import CatalogueChanged, StockChanged
from app.runtime import redis

log = logging.getLogger(__name__)

MAX_PAGES = 4096  # per process: bounds the cache's memory (page sizes in docs/performance.md)
MAX_AGE = 60.0  # seconds: the most a page can outlive a bump that Redis lost

_settings = {"prefix": "dm"}
_lock = threading.Lock()
_pages: OrderedDict[tuple, Page] = OrderedDict()
_book_owners: tuple[int, frozenset[int]] | None = None  # (catalogue version, customer ids)
_offers: tuple[int, list[Offer]] | None = None  # (catalogue version, promotions not yet ended)


@dataclass(frozen=True)
class Page:
    versions: tuple[int, int]
    etag: str
    body: bytes
    stored_at: float


def configure(prefix: str) -> None:
    _settings["prefix"] = prefix
    clear()


def clear() -> None:
    global _book_owners, _offers
    with _lock:
        _pages.clear()
        _book_owners = None
        _offers = None


def _key(warehouse_id: int | None) -> str:
    base = f"{_settings['prefix']}:catalogue:version"
    return base if warehouse_id is None else f"{base}:warehouse:{warehouse_id}"


def catalogue_changed(_: CatalogueChanged) -> None:
    """Pages rendered before this commit are stale once it lands."""
    db.after_commit(bump)


def stock_changed(change: StockChanged) -> None:
    db.after_commit(lambda: bump(change.warehouse_id))


def bump(warehouse_id: int | None = None) -> None:
    """The catalogue (None) or a warehouse's stock changed: every page rendered before is stale."""
    if redis.client is None:
        return
    try:
        redis.client.incr(_key(warehouse_id))
    except RedisError as exc:  # the change is committed; pages expire within MAX_AGE
        outages.redis.failed(f"catalogue version bump ({_key(warehouse_id)})", exc)
    else:
        outages.redis.ok()


def _versions(warehouse_id: int) -> tuple[int, int] | None:
    """The two versions, or None when Redis cannot say (then nothing is cached)."""
    if redis.client is None:
        return None
    keys = [_key(None), _key(warehouse_id)]
    try:
        values = redis.client.mget(keys)
        if None in values:
            # A fresh Redis starts far from any number a process may have cached under.
            for key, value in zip(keys, values, strict=True):
                if value is None:
                    redis.client.set(key, random.randrange(1 << 40), nx=True)
            values = redis.client.mget(keys)
        versions = int(values[0]), int(values[1])
    except RedisError as exc:
        outages.redis.failed("catalogue versions (pages not cached meanwhile)", exc)
        return None
    except (TypeError, ValueError) as exc:
        log.warning("catalogue versions unreadable: %s", exc)
        return None
    outages.redis.ok()
    return versions


def _has_price_book(customer_id: int, catalogue_version: int) -> bool:
    global _book_owners
    owners = _book_owners
    if owners is None or owners[0] != catalogue_version:
        ids = frozenset(
            row.customer_id for row in CustomerPrice.select(CustomerPrice.customer).distinct()
        )
        owners = _book_owners = (catalogue_version, ids)
    return customer_id in owners[1]


def _open_promotions(customer: Customer, catalogue_version: int) -> tuple[int, ...]:
    """The ids of the promotions open to this customer now: pages differ by them (a label), and
    a window opening or closing changes them without any write. Promotions are read once per
    catalogue version (every promotion change bumps it)."""
    global _offers
    offers = _offers
    if offers is None or offers[0] != catalogue_version:
        offers = _offers = (catalogue_version, promotion_book.not_ended())
    open_now = promotions.open_offers(offers[1], orders.audience_of(customer), utcnow())
    return tuple(o.id for o in open_now)


def page(customer: Customer, query: tuple, render: Callable[[], bytes]) -> tuple[bytes, str]:
    """The page `query` asks for, as this customer sees it: (JSON body, ETag).

    `render` builds the body when no cached page is right.
    """
    versions = _versions(customer.warehouse_id)
    if versions is None:
        body = render()
        return body, etag_of(body)
    owner = customer.id if _has_price_book(customer.id, versions[0]) else 0
    promoted = _open_promotions(customer, versions[0])
    key = (customer.price_level, owner, customer.warehouse_id, promoted, *query)
    now = time.monotonic()
    with _lock:
        found = _pages.get(key)
        if found and found.versions == versions and now - found.stored_at < MAX_AGE:
            _pages.move_to_end(key)
            return found.body, found.etag
    body = render()
    etag = etag_of(body)
    with _lock:
        _pages[key] = Page(versions, etag, body, now)
        _pages.move_to_end(key)
        while len(_pages) > MAX_PAGES:
            _pages.popitem(last=False)
    return body, etag


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
