"""Promotions as pricing reads them: the ones open now, in one query, each row's JSON parsed once
per version of it (a process keeps the parsed offers by id and updated_at)."""

from __future__ import annotations

import datetime as dt
import json
import threading

from app.core.models import Promotion
from app.core.promotions import Offer, check_rules
from app.db import execute, is_postgres, utcnow

# Written once: the order's hot path builds no query here. The ids and versions come back as one
# text ("id updated_at,..."), one row however many promotions are open: the text is the key of
# the list of offers it names (_lists), parsed only when it is new.
_OPEN_WHERE = "WHERE active AND starts_at <= %s AND ends_at > %s"
_OPEN_POSTGRES = (
    f"SELECT string_agg(id || ' ' || updated_at, ',' ORDER BY id) FROM promotion {_OPEN_WHERE}"
)
_OPEN_SQLITE = (
    "SELECT group_concat(id || ' ' || updated_at, ',')"
    f" FROM (SELECT id, updated_at FROM promotion {_OPEN_WHERE} ORDER BY id)"
)
_parsed: dict[tuple[int, dt.datetime], Offer] = {}
_lock = threading.Lock()
MAX_PARSED = 4096
# The open offers by the text of ids and versions the query answered: the same answer, the same
# Offer objects, so what the engine works out from a set of offers is reused (promotions._memo).
_lists: dict[str | None, tuple[Offer, ...]] = {}
MAX_LISTS = 64
# The open offers this process read last (`last_read`).
_last: tuple[Offer, ...] = ()


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
    """Every active promotion whose window holds `now` (for anyone: targeting is the engine's).

    One small query (ids and versions, one row) on the order's hot path: the rules come from the process's
    parsed offers, read whole only for a promotion this process has not seen in its version."""
    sql, params = open_versions(now)
    (text,) = execute(sql, params).fetchone()
    return offers_named(text)


def open_versions(now: dt.datetime | None = None) -> tuple[str, list]:
    """The query `open_now` runs (one row, one text column) and its parameters, for a caller
    that reads it inside a statement of its own and hands the text to `offers_named`."""
    moment = Promotion.starts_at.db_value(now or utcnow())
    return (_OPEN_POSTGRES if is_postgres() else _OPEN_SQLITE), [moment, moment]


def offers_named(text: str | None) -> list[Offer]:
    """The open offers a text of ids and versions read by `open_versions` names."""
    global _last
    known = _lists.get(text)
    if known is not None:  # the same versions as a call before: the same offers, as they were
        _last = known
        return list(known)
    at = Promotion.updated_at.python_value
    versions = sorted(
        (int(i), at(u)) for i, u in (v.split(" ", 1) for v in (text.split(",") if text else ()))
    )
    unseen = [i for i, at in versions if (i, at) not in _parsed]
    fresh = (
        {row.id: offer_of(row) for row in Promotion.select().where(Promotion.id << unseen)}
        if unseen
        else {}
    )
    # A promotion changed between the two reads is taken as read the second time.
    found = (_parsed.get((i, at)) or fresh.get(i) for i, at in versions)
    offers = [offer for offer in found if offer is not None]
    _last = tuple(offers)
    if not unseen:  # every offer in the version the rows name: the next call may take the list
        with _lock:
            if len(_lists) >= MAX_LISTS:
                _lists.clear()
            _lists[text] = tuple(offers)
    return offers


def last_read() -> tuple[Offer, ...]:
    """The open offers `offers_named` gave last in this process: what is open now, most likely,
    for a caller that must guess before it reads (the gifts an order's products are read with)."""
    return _last


def not_ended(now: dt.datetime | None = None) -> list[Offer]:
    """Every active promotion open now or still to come (what a cache may hold while time
    passes: each one's window is checked again when it is used)."""
    now = now or utcnow()
    rows = Promotion.select().where(Promotion.active & (Promotion.ends_at > now))
    return [offer_of(row) for row in rows]
