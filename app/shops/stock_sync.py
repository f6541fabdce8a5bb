"""Stock sync (库存同步) and tracking write-backs: two sinks of the outbox engine.

Stock pushes: any change of stock (StockChanged, emitted by the one stock engine for mall
orders, shop orders, receipts, transfers, counts, adjustments and returns) writes, in the same
transaction, one pending row per active shop and mapped platform SKU of the changed products —
unless such a row is already waiting untried, which then carries this change too (coalesced).
The quantity is computed when the row is sent (rules.sellable_qty), so a burst of changes sends
the latest figure; a row that finds a newer row of its SKU waiting is `superseded` unsent.

A send takes its shop's other due rows along, BATCH at a time (each batch claimed by one
guarded UPDATE, as the engine claims one row), and keeps taking batches while the shop has due
rows, for up to half the lease: one receipt touching thousands of SKUs is a few sends, each a
handful of queries and bulk UPDATEs per batch, and the platform client sends each batch in as
few calls as the platform's API allows (the SKUs of one listing together where it has a batch
stock API, several single calls at once where it has not). Only every BATCH-th new row of a
shop is handed to the task queue; the sweep finds any row no send took along.

A SKU's listing (the platform's item and SKU ids, which the stock APIs address) is kept on the
mapping: named by a downloaded order's lines, or else asked of the platform by the SKU's code
the first time it is pushed (and asked
again after the platform refuses the SKU, which may have moved to another listing). A SKU the
platform refuses, or does not know, is retried and dead-lettered on its own row; the rest of
the batch is delivered.

Write-backs: each shipped platform order's carrier and tracking number, retried with backoff
until the platform takes it; the shop order then shows `written_back` "done".
"""

from __future__ import annotations

import datetime as dt
import itertools
import time

from peewee import Case, fn

from app import outbox
from app.adapters.platforms import Listing, Platform, PlatformError, StockLevel
from app.core.stock import availability
from app.db import db, execute, utcnow
from app.events import StockChanged
from app.shops.models import PlatformOrder, Shop, ShopOrder, ShopSku, StockPush, WriteBack
from app.shops.rules import sellable_qty
from app.shops.shops import client

BATCH = 200  # due rows of one shop sent together


def _queue(where: str, params: list) -> list[int]:
    now = utcnow()
    sql = (
        "INSERT INTO stock_push (shop_id, platform_sku, status, attempts, next_attempt_at,"
        " last_error, created_at)"
        " SELECT m.shop_id, m.platform_sku, 'pending', 0, %s, '', %s"
        " FROM shop_sku m JOIN shop s ON s.id = m.shop_id"
        f" WHERE s.active AND {where}"
        " AND NOT EXISTS (SELECT 1 FROM stock_push p WHERE p.shop_id = m.shop_id"
        " AND p.platform_sku = m.platform_sku AND p.status = 'pending' AND p.attempts = 0)"
        " RETURNING id, shop_id"
    )
    cursor = execute(sql, [now, now, *params])
    per_shop: dict[int, list[int]] = {}
    for item_id, shop_id in cursor.fetchall():
        per_shop.setdefault(shop_id, []).append(item_id)
    # A send takes BATCH of its shop's rows along, so one hand-off per BATCH rows is enough;
    # the shops take turns, so the sink's threads work on different shops at once.
    firsts = [sorted(ids)[::BATCH] for ids in per_shop.values()]
    for turn in itertools.zip_longest(*firsts):
        for item_id in turn:
            if item_id is not None:
                outbox.written(STOCK_PUSHES, item_id)
    return [item_id for ids in per_shop.values() for item_id in ids]


def stock_changed(change: StockChanged) -> None:
    """Handler of StockChanged: queue a push of every mapped SKU of the changed products for
    every active shop selling from that warehouse (in the transaction that changed the stock)."""
    where, params = "s.warehouse_id = %s", [change.warehouse_id]
    if change.product_ids:
        marks = ", ".join(["%s"] * len(change.product_ids))
        where += f" AND m.product_id IN ({marks})"
        params += list(change.product_ids)
    _queue(where, params)


def queue_all(shop_id: int) -> int:
    """Push every mapped SKU of a shop (its share or safety stock changed, or asked for)."""
    return len(_queue("s.id = %s", [shop_id]))


def _claim_batch(shop_id: int, size: int, besides: int | None = None) -> list[StockPush]:
    """Up to `size` of the shop's due rows, taken as the engine takes one (a guarded UPDATE
    that pushes `next_attempt_at` past the lease and counts the attempt), so no other worker
    sends them meanwhile."""
    now = utcnow()
    query = StockPush.select(StockPush.id).where(
        (StockPush.shop == shop_id)
        & (StockPush.status == "pending")
        & (StockPush.next_attempt_at <= now)
    )
    if besides is not None:
        query = query.where(StockPush.id != besides)
    due = [r.id for r in query.order_by(StockPush.id).limit(size)]
    if not due:
        return []
    lease_end = now + STOCK_PUSHES.lease
    StockPush.update(attempts=StockPush.attempts + 1, next_attempt_at=lease_end).where(
        (StockPush.id << due) & (StockPush.status == "pending") & (StockPush.next_attempt_at <= now)
    ).execute()
    return list(
        StockPush.select().where((StockPush.id << due) & (StockPush.next_attempt_at == lease_end))
    )


def _superseded(shop_id: int, rows: list[StockPush]) -> set[int]:
    """Rows with a newer pending row of the same shop and SKU: that one sends the figure."""
    if not rows:
        return set()
    newest: dict[str, int] = {}
    skus = list({r.platform_sku for r in rows})
    for found in StockPush.select(StockPush.id, StockPush.platform_sku).where(
        (StockPush.shop == shop_id)
        & (StockPush.status == "pending")
        & (StockPush.platform_sku << skus)
    ):
        newest[found.platform_sku] = max(newest.get(found.platform_sku, 0), found.id)
    return {r.id for r in rows if newest.get(r.platform_sku, r.id) > r.id}


def _listings(platform: Platform, mappings: dict[str, ShopSku]) -> str:
    """Ask the platform where the SKUs whose listing we do not know yet are, and keep the
    answer on their mappings; returns why it could not be asked ("" when it could)."""
    unknown = [sku for sku, m in mappings.items() if not m.platform_item_id]
    if not unknown:
        return ""
    try:
        found = platform.listings(unknown)
    except PlatformError as exc:
        return exc.message
    with db.atomic():
        for sku, where in found.items():
            mapping = mappings[sku]
            mapping.platform_item_id, mapping.platform_sku_id = where.item_id, where.sku_id
            ShopSku.update(platform_item_id=where.item_id, platform_sku_id=where.sku_id).where(
                ShopSku.id == mapping.id
            ).execute()
    return ""


def _send_batch(shop: Shop, platform: Platform, rows: list[StockPush], engine_row: int | None):
    """Send the figures of claimed rows in one go and settle every row but `engine_row` (the
    engine settles that one); returns what became of `engine_row` — ("delivered", qty),
    ("superseded", None), ("failed", error) or None — and whether the platform was down or busy
    (then no further batch is taken now)."""
    stale = _superseded(shop.id, rows)
    mappings = {
        m.platform_sku: m
        for m in ShopSku.select().where(
            (ShopSku.shop == shop.id)
            & (ShopSku.platform_sku << list({r.platform_sku for r in rows if r.id not in stale}))
        )
    }
    live = [r for r in rows if r.id not in stale and r.platform_sku in mappings]
    lookup_error = _listings(platform, mappings)
    trouble = bool(lookup_error)
    available = availability(shop.warehouse_id, list({m.product_id for m in mappings.values()}))
    figures = {
        sku: sellable_qty(
            available.get(m.product_id, 0), shop.safety_stock, shop.stock_share_pct, m.qty
        )
        for sku, m in mappings.items()
    }
    errors: dict[str, str] = {}
    levels = []
    for sku in sorted({r.platform_sku for r in live}):
        m = mappings[sku]
        if m.platform_item_id:
            levels.append(
                StockLevel(sku, figures[sku], Listing(m.platform_item_id, m.platform_sku_id))
            )
        else:
            errors[sku] = lookup_error or f"平台上找不到商家编码为 {sku} 的商品"
    refused = platform.push_stock(levels)
    errors.update({sku: exc.message for sku, exc in refused.items()})
    trouble = trouble or any(exc.retryable for exc in refused.values())
    # A refused SKU may have moved to another listing: its listing is asked again next time.
    forget = [mappings[sku].id for sku, exc in refused.items() if not exc.retryable]

    now = utcnow()
    live_ids = {r.id for r in live}
    settled = [r for r in rows if r.id != engine_row]
    gone = [r.id for r in settled if r.id not in live_ids]
    sent = [r for r in settled if r.id in live_ids and r.platform_sku not in errors]
    failed = [r for r in settled if r.id in live_ids and r.platform_sku in errors]
    with db.atomic():
        if forget:
            ShopSku.update(platform_item_id="", platform_sku_id="").where(
                ShopSku.id << forget
            ).execute()
        if gone:
            StockPush.update(status="superseded", pushed_at=now, last_error="").where(
                StockPush.id << gone
            ).execute()
        if sent:
            qty = Case(StockPush.id, [(r.id, figures[r.platform_sku]) for r in sent])
            StockPush.update(status="delivered", qty=qty, pushed_at=now, last_error="").where(
                StockPush.id << [r.id for r in sent]
            ).execute()
        for r in failed:
            outbox.retry_later(STOCK_PUSHES, r, errors[r.platform_sku])
    mine = next((r for r in rows if r.id == engine_row), None)
    if mine is None:
        return None, trouble
    if mine.id not in live_ids:
        return ("superseded", None), trouble
    if mine.platform_sku in errors:
        return ("failed", errors[mine.platform_sku]), trouble
    return ("delivered", figures[mine.platform_sku]), trouble


def send_push(row: StockPush) -> outbox.Sent:
    shop = Shop.get_or_none(Shop.id == row.shop_id)
    if shop is None or not shop.active:
        return outbox.Sent(status="superseded")
    platform = client(shop)
    started = time.monotonic()
    (outcome, figure), trouble = _send_batch(
        shop, platform, [row, *_claim_batch(shop.id, BATCH - 1, row.id)], row.id
    )
    # The shop's further due rows, batch after batch, while the lease has time to spare and
    # the platform answers (one that is down is asked again after the backoff).
    while not trouble and time.monotonic() - started < STOCK_PUSHES.lease.total_seconds() / 2:
        rows = _claim_batch(shop.id, BATCH)
        if not rows:
            break
        _, trouble = _send_batch(shop, platform, rows, None)
    if outcome == "failed":
        raise outbox.Failed(figure)
    if outcome == "superseded":
        return outbox.Sent(status="superseded")
    return outbox.Sent(changes={"qty": figure, "pushed_at": utcnow(), "last_error": ""})


STOCK_PUSHES = outbox.Sink(
    name="stock_pushes",
    model=StockPush,
    send=send_push,
    lease=dt.timedelta(seconds=60),
    # A platform that is down is asked again soon: shops must hear of stock within seconds of
    # it coming back.
    backoff=(2, 5, 10, 20, 60, 120, 300, 600),
    concurrency=4,
)


def send_write_back(row: WriteBack) -> outbox.Sent:
    order = ShopOrder.get_by_id(row.shop_order_id)
    platform_order = PlatformOrder.get_by_id(row.platform_order_id)
    shop = Shop.get_by_id(order.shop_id)
    try:
        client(shop).write_back(platform_order.platform_order_id, row.carrier, row.tracking_no)
    except PlatformError as exc:
        raise outbox.Failed(exc.message) from None
    # A merged order has a write-back per platform order, perhaps sent by two workers at once:
    # each records its own delivery before asking whether any is still waiting, so the last to
    # finish sees them all delivered (asking first, both could see the other waiting).
    changes = {"delivered_at": utcnow(), "last_error": ""}
    WriteBack.update(status="delivered", **changes).where(WriteBack.id == row.id).execute()
    waiting = WriteBack.select().where(
        (WriteBack.shop_order == order.id) & (WriteBack.status != "delivered")
    )
    ShopOrder.update(written_back="done").where(
        (ShopOrder.id == order.id) & ~fn.EXISTS(waiting)
    ).execute()
    return outbox.Sent(changes=changes)


WRITE_BACKS = outbox.Sink(
    name="write_backs",
    model=WriteBack,
    send=send_write_back,
    lease=dt.timedelta(seconds=60),
    backoff=(5, 15, 30, 60, 120, 300, 600, 1800, 3600),
    concurrency=2,
)
