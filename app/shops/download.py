"""Downloading a shop's orders (下载订单): new and changed orders since the checkpoint, window by
window (each no wider than the platform allows, and narrowed until one page holds it), one
transaction per page.

The checkpoint (`sync_cursor` and `sync_page`) moves forward in the same transaction as the
page it covers, so a download that stops — the platform down, the worker restarted — resumes
where it was and loses nothing; downloading an order again changes nothing (one row per
platform order and shop, invariant 11). Only one download of a shop runs at a time: it holds a
lease on the shop's row, taken by a guarded UPDATE.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from app.adapters.platforms import PlatformError, PlatformOrder
from app.core.models import Product
from app.db import transaction, utcnow
from app.errors import InvalidState
from app.events import ShopOrderChanged, emit
from app.numbering import create_numbered
from app.shops import orders
from app.shops.models import PlatformOrder as PlatformOrderRow
from app.shops.models import Shop, ShopOrder, ShopOrderLine, ShopSku
from app.shops.rules import masked, merge_key, windows
from app.shops.shops import client

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)


@dataclass
class Downloaded:
    fetched: int = 0
    new: int = 0
    updated: int = 0
    done: bool = True


def mapping_of(shop_id: int, platform_sku: str) -> ShopSku | None:
    """The shop's mapping of a platform SKU; a SKU equal to one of our codes is mapped to it
    (and remembered, so its stock is pushed from then on)."""
    found = ShopSku.get_or_none((ShopSku.shop == shop_id) & (ShopSku.platform_sku == platform_sku))
    if found is not None:
        return found
    product = Product.get_or_none(Product.sku == platform_sku)
    if product is None:
        return None
    ShopSku.insert(
        shop=shop_id,
        platform_sku=platform_sku,
        product=product.id,
        qty=1,
        auto=True,
        created_at=utcnow(),
    ).on_conflict_ignore().execute()
    return ShopSku.get((ShopSku.shop == shop_id) & (ShopSku.platform_sku == platform_sku))


def _claim(shop_id: int) -> bool:
    now = utcnow()
    return bool(
        Shop.update(sync_lease_until=now + LEASE)
        .where(
            (Shop.id == shop_id)
            & Shop.active
            & (Shop.sync_lease_until.is_null() | (Shop.sync_lease_until < now))
        )
        .execute()
    )


def sync(shop_id: int, max_pages: int | None = None) -> Downloaded:
    """Download what changed since the checkpoint, at most `max_pages` pages (None: all).

    Raises: InvalidState when a download of this shop is already running; PlatformError when
    the platform is down or refuses (the shop's `sync_error` then says why, in words)."""
    if not _claim(shop_id):
        raise InvalidState("该店铺正在下载订单，请稍后再试", shop_id=shop_id)
    shop = Shop.get_by_id(shop_id)
    platform = client(shop)
    result = Downloaded()
    # The platforms count time in whole seconds: orders changed in the current second fall in
    # the next download's first window, which starts where this one ends.
    end = utcnow().replace(microsecond=0)
    pages = 0
    try:
        cursor = (shop.sync_cursor or shop.created_at).replace(microsecond=0)
        if platform.max_lookback is not None:  # the platform lists nothing older
            cursor = max(cursor, end - platform.max_lookback + dt.timedelta(minutes=10))
        page = shop.sync_page
        for start, upper in windows(cursor, end, platform.max_window):
            lower, width = start, upper - start
            while lower < upper:
                if max_pages is not None and pages >= max_pages:
                    result.done = False
                    return result
                # A window is read whole on one page: an order that changes while the pages
                # of a window are read leaves it, and the pages after it would shift over
                # one order unseen. A window with more than a page is halved until one page
                # holds it; only a single second with more orders than a page is paged.
                if page > 1:
                    width = SECOND
                listed, width = _one_page(platform, lower, min(upper, lower + width), page)
                pages += 1
                more = listed.has_next and bool(listed.orders)  # only within one second
                done_to = lower + width if not more else lower
                with transaction():  # one page, and the checkpoint past it
                    store_page(shop, listed.orders, result)
                    Shop.update(
                        sync_cursor=min(done_to, upper),
                        sync_page=page + 1 if more else 1,
                        sync_lease_until=utcnow() + LEASE,
                    ).where(Shop.id == shop.id).execute()
                if more:
                    page += 1
                    continue
                page, lower = 1, min(done_to, upper)
                width = min(width * 2, upper - lower) if lower < upper else width
        with transaction():
            Shop.update(last_synced_at=utcnow(), sync_error="", sync_failed_at=None).where(
                Shop.id == shop.id
            ).execute()
        return result
    except PlatformError as exc:
        with transaction():
            Shop.update(sync_error=exc.message[:500], sync_failed_at=utcnow()).where(
                Shop.id == shop.id
            ).execute()
        log.warning("shop %s: download failed: %s", shop.id, exc.message)
        raise
    finally:
        Shop.update(sync_lease_until=None).where(Shop.id == shop.id).execute()


SECOND = dt.timedelta(seconds=1)


def _one_page(platform, lower: dt.datetime, upper: dt.datetime, page: int):
    """Page `page` of [lower, upper), the window first narrowed (from its start) until the
    platform says one page holds it, or it is one second wide; returns (page, width)."""
    listed = platform.orders(lower, upper, page)  # no transaction while waiting
    while page == 1 and listed.has_next and upper - lower > SECOND:
        upper = lower + max(SECOND, dt.timedelta(seconds=(upper - lower).total_seconds() // 2))
        listed = platform.orders(lower, upper, 1)
    return listed, upper - lower


def store_page(shop: Shop, listed: list[PlatformOrder], result: Downloaded) -> None:
    for platform_order in listed:
        result.fetched += 1
        row = PlatformOrderRow.get_or_none(
            (PlatformOrderRow.shop == shop.id)
            & (PlatformOrderRow.platform_order_id == platform_order.platform_order_id)
        )
        if row is None:
            if platform_order.status == "unpaid":
                continue  # it comes again, changed, once it is paid
            row = PlatformOrderRow.create(
                shop=shop.id,
                platform_order_id=platform_order.platform_order_id,
                status=platform_order.status,
                modified_at=platform_order.modified_at,
            )
            if platform_order.status == "paid":
                _new_order(shop, row, platform_order)
                result.new += 1
            continue
        if row.status == platform_order.status:
            continue  # the same order downloaded again: nothing changed
        if platform_order.status == "cancelled" and row.status == "paid":
            orders.cancel_platform_order(row, shop.warehouse_id)
        elif platform_order.status == "paid" and row.status == "unpaid":
            _new_order(shop, row, platform_order)
        PlatformOrderRow.update(
            status=platform_order.status, modified_at=platform_order.modified_at
        ).where(PlatformOrderRow.id == row.id).execute()
        result.updated += 1


def _new_order(shop: Shop, row: PlatformOrderRow, platform_order: PlatformOrder) -> ShopOrder:
    receiver = masked(platform_order.receiver)
    now = utcnow()
    order = create_numbered(
        ShopOrder,
        "WD",
        "created_at",
        shop=shop.id,
        status="pending",
        buyer=platform_order.buyer[:100],
        receiver_name=receiver.name[:64],
        receiver_phone=receiver.phone[:32],
        province=receiver.province[:32],
        city=receiver.city[:32],
        district=receiver.district[:32],
        address=receiver.address[:255],
        merge_key=merge_key(platform_order.buyer, receiver, platform_order.address_key),
        total=platform_order.total,
        paid_at=platform_order.paid_at,
        created_at=now,
        updated_at=now,
    )
    for line in platform_order.lines:
        mapping = mapping_of(shop.id, line.sku)
        if mapping is not None and line.item_id and not mapping.platform_item_id:
            # The order says where the SKU is listed: its stock pushes need not ask.
            ShopSku.update(
                platform_item_id=line.item_id[:32], platform_sku_id=line.sku_id[:32]
            ).where(ShopSku.id == mapping.id).execute()
        ShopOrderLine.create(
            order=order.id,
            platform_order=row.id,
            platform_sku=line.sku[:64],
            product=mapping.product_id if mapping else None,
            qty=line.qty,
            base_qty=line.qty * mapping.qty if mapping else 0,
            price=line.price,
        )
    emit(ShopOrderChanged(order.id, "downloaded"))
    if orders.place(order, shop.warehouse_id).status != "pending":
        return order
    # Orders of the same shop going to the same door, not yet waybilled, travel together.
    waiting = list(
        ShopOrder.select()
        .where(
            (ShopOrder.shop == shop.id)
            & (ShopOrder.status == "pending")
            & (ShopOrder.merge_key == order.merge_key)
            & (ShopOrder.id != order.id)
        )
        .order_by(ShopOrder.id)
    )
    if waiting:
        return orders.merge_into(waiting[0], [*waiting[1:], order], shop.warehouse_id)
    return order


PAGES_PER_TASK = 10  # then the worker queues the rest: other tasks are not held up behind it


def due_shops(every: dt.timedelta) -> list[int]:
    """Active shops whose last download is `every` old (or that never downloaded)."""
    stale = utcnow() - every
    return [
        s.id
        for s in Shop.select(Shop.id).where(
            Shop.active & (Shop.last_synced_at.is_null() | (Shop.last_synced_at <= stale))
        )
    ]


def run_in_worker(shop_id: int) -> bool:
    """The worker's turn for one shop: at most PAGES_PER_TASK pages, then the orders waiting
    for stock or a mapping tried again. True when the shop has caught up (or cannot, now)."""
    try:
        result = sync(shop_id, max_pages=PAGES_PER_TASK)
    except InvalidState:
        return True  # another download of this shop is running
    except PlatformError:
        return True  # recorded on the shop; the next turn catches up
    if result.done:
        orders.place_waiting(shop_id)
    return result.done
