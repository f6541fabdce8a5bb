"""Promotions as pricing reads them: the ones open now, in one query, each row's JSON parsed once
per version of it (a process keeps the parsed offers by id and updated_at)."""

from __future__ import annotations

import datetime as dt
import json
import threading

from app.core.models import Promotion
from app.core.promotions import Offer, check_rules
from app.db import utcnow

_parsed: dict[tuple[int, dt.datetime], Offer] = {}
_lock = threading.Lock()
MAX_PARSED = 4096


def offer_of(row: Promotion) -> Offer:
    """The engine's view of a promotion row (rules as they were checked when written)."""
    key = (row.id, row.updated_at)
    found = _parsed.get(key)
    if found is not None:
        return found
    rules, _ = check_rules(row.kind, json.loads(row.rules))
    offer = Offer(
        id=row.id,
        name=row.name,
        kind=row.kind,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        active=row.active,
        rules=rules,
        branch_ids=frozenset(json.loads(row.branch_ids)),
        price_levels=frozenset(json.loads(row.price_levels)),
        customer_ids=frozenset(json.loads(row.customer_ids)),
    )
    with _lock:
        if len(_parsed) >= MAX_PARSED:
            _parsed.clear()
        _parsed[key] = offer
    return offer


def open_now(now: dt.datetime | None = None) -> list[Offer]:
    """Every active promotion whose window holds `now` (for anyone: targeting is the engine's)."""
    now = now or utcnow()
    rows = Promotion.select().where(
        Promotion.active & (Promotion.starts_at <= now) & (Promotion.ends_at > now)
    )
    return [offer_of(row) for row in rows]


def not_ended(now: dt.datetime | None = None) -> list[Offer]:
    """Every active promotion open now or still to come (what a cache may hold while time
    passes: each one's window is checked again when it is used)."""
    now = now or utcnow()
    rows = Promotion.select().where(Promotion.active & (Promotion.ends_at > now))
    return [offer_of(row) for row in rows]
