"""Stock sync (库存同步) and tracking write-backs: two sinks of the outbox engine.

Stock pushes: any change of stock (StockChanged, emitted by the one stock engine for mall
orders, shop orders, receipts, transfers, counts, adjustments and returns) writes, in the same
transaction, one pending row per active shop and mapped platform SKU of the changed products —
unless such a row is already waiting untried, which then carries this change too (coalesced).
The quantity is computed when the row is sent (rules.sellable_qty), so a burst of changes sends
the latest figure; a row that finds a newer row of its SKU waiting is `superseded` unsent. A
send takes its shop's other due rows along (each claimed by one guarded UPDATE), so a receipt
that touches thousands of SKUs costs one round of queries per batch, not per SKU.

Write-backs: each shipped platform order's carrier and tracking number, retried with backoff
until the platform takes it; the shop order then shows `written_back` "done".
"""

from __future__ import annotations

import datetime as dt

from app import outbox
from app.adapters.platforms import PlatformError
from app.core.stock import availability
from app.db import db, execute, utcnow
from app.events import StockChanged
from app.shops.models import PlatformOrder, Shop, ShopOrder, ShopSku, StockPush, WriteBack
from app.shops.rules import sellable_qty
from app.shops.shops import client

BATCH = 200  # due rows of one shop sent together by one send


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
        " RETURNING id"
    )
    cursor = execute(sql, [now, now, *params])
    ids = [row[0] for row in cursor.fetchall()]
    for item_id in ids:
        outbox.written(STOCK_PUSHES, item_id)
    return ids


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


def _claim_batch(shop_id: int, first_id: int) -> list[StockPush]:
    """The shop's other due rows, taken as the engine takes one (a guarded UPDATE that pushes
    `next_attempt_at` past the lease), so no other worker sends them meanwhile."""
    now = utcnow()
    due = [
        r.id
        for r in StockPush.select(StockPush.id)
        .where(
            (StockPush.shop == shop_id)
            & (StockPush.status == "pending")
            & (StockPush.next_attempt_at <= now)
            & (StockPush.id != first_id)
        )
        .order_by(StockPush.id)
        .limit(BATCH - 1)
    ]
    if not due:
        return []
    lease_end = now + STOCK_PUSHES.lease
    StockPush.update(attempts=StockPush.attempts + 1, next_attempt_at=lease_end).where(
        (StockPush.id << due) & (StockPush.status == "pending") & (StockPush.next_attempt_at <= now)
    ).execute()
    return list(
        StockPush.select().where((StockPush.id << due) & (StockPush.next_attempt_at == lease_end))
    )


def _superseded(rows: list[StockPush]) -> set[int]:
    """Rows with a newer pending row of the same shop and SKU: that one sends the figure."""
    if not rows:
        return set()
    newest: dict[str, int] = {}
    skus = list({r.platform_sku for r in rows})
    for found in StockPush.select(StockPush.id, StockPush.platform_sku).where(
        (StockPush.shop == rows[0].shop_id)
        & (StockPush.status == "pending")
        & (StockPush.platform_sku << skus)
    ):
        newest[found.platform_sku] = max(newest.get(found.platform_sku, 0), found.id)
    return {r.id for r in rows if newest.get(r.platform_sku, r.id) > r.id}


def send_push(row: StockPush) -> outbox.Sent:
    shop = Shop.get_or_none(Shop.id == row.shop_id)
    if shop is None or not shop.active:
        return outbox.Sent(status="superseded")
    rows = [row, *_claim_batch(shop.id, row.id)]
    stale = _superseded(rows)
    live = [r for r in rows if r.id not in stale]
    mappings = {
        m.platform_sku: m
        for m in ShopSku.select().where(
            (ShopSku.shop == shop.id) & (ShopSku.platform_sku << [r.platform_sku for r in live])
        )
    }
    live = [r for r in live if r.platform_sku in mappings]
    available = availability(shop.warehouse_id, list({m.product_id for m in mappings.values()}))
    figures = {
        r.platform_sku: sellable_qty(
            available.get(mappings[r.platform_sku].product_id, 0),
            shop.safety_stock,
            shop.stock_share_pct,
            mappings[r.platform_sku].qty,
        )
        for r in live
    }
    others = [r.id for r in rows[1:]]
    try:
        client(shop).push_stock(sorted(figures.items()))
    except PlatformError as exc:
        if others:  # due again with the first row's retry, not at the end of the lease
            StockPush.update(
                next_attempt_at=utcnow() + dt.timedelta(seconds=STOCK_PUSHES.backoff[0]),
                last_error=exc.message[:500],
            ).where(StockPush.id << others).execute()
        raise outbox.Failed(exc.message) from None
    now = utcnow()
    with db.atomic():
        for r in rows[1:]:
            StockPush.update(
                status="superseded"
                if r.id in stale or r.platform_sku not in figures
                else "delivered",
                qty=figures.get(r.platform_sku),
                pushed_at=now,
                last_error="",
            ).where(StockPush.id == r.id).execute()
    if row.id in stale or row.platform_sku not in figures:
        return outbox.Sent(status="superseded")
    return outbox.Sent(
        changes={"qty": figures[row.platform_sku], "pushed_at": now, "last_error": ""}
    )


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
    others_waiting = WriteBack.select().where(
        (WriteBack.shop_order == order.id)
        & (WriteBack.id != row.id)
        & (WriteBack.status != "delivered")
    )
    if not others_waiting.exists():
        ShopOrder.update(written_back="done").where(ShopOrder.id == order.id).execute()
    return outbox.Sent(changes={"delivered_at": utcnow(), "last_error": ""})


WRITE_BACKS = outbox.Sink(
    name="write_backs",
    model=WriteBack,
    send=send_write_back,
    lease=dt.timedelta(seconds=60),
    backoff=(5, 15, 30, 60, 120, 300, 600, 1800, 3600),
    concurrency=2,
)
