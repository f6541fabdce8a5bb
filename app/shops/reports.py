"""Online shops in the reports: sales by channel (the mall and each shop) and by shop, sales by
platform and day, best sellers and slow movers across every channel. SQL aggregates, within the
caller's scope (shops by their warehouse's branch). Days are Asia/Shanghai days.

A shop order counts as ordered when it was paid in the period (merged and cancelled ones
excepted: a merged order's lines live on in the order it was merged into) and as shipped when
it left the warehouse in the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import fn

from app.core.models import Order, OrderLine, Product, Staff, Stock, StockMovement
from app.db import local_day, utcnow
from app.money import money_from_fen
from app.shops.models import Shop, ShopOrder, ShopOrderLine
from app.shops.rules import PLATFORMS
from app.shops.shops import seen_by
from app.timeutil import end_of_local_day_utc, start_of_local_day_utc

COUNTED = ("pending", "exception", "waybilled", "shipped")
MALL_SOLD = ("approved", "partially_shipped", "shipped", "completed")


def _shops(staff: Staff):
    return seen_by(staff, Shop.select())


def _per_shop(select, where, lines: bool = False) -> dict:
    """{shop id: the measure} of ShopOrder rows (with `lines`: joined to their lines), grouped
    by shop."""
    query = ShopOrder.select(ShopOrder.shop, select)
    if lines:
        query = query.join(ShopOrderLine, on=ShopOrderLine.order == ShopOrder.id)
    return dict(query.where(where).group_by(ShopOrder.shop).tuples())


@dataclass(frozen=True)
class ShopFigures:
    """One shop's sales in a period, raw as the sales report sums them: `amount` in fen,
    `shipped` as (amount in fen, cost in cost units)."""

    id: int
    label: str
    orders: int
    amount: int
    shipped: tuple[int, int]


def shop_figures(staff: Staff, start: dt.datetime, end: dt.datetime) -> list[ShopFigures]:
    """Per shop in scope, for [start, end) (naive UTC): platform orders paid (a split order is
    still one platform order), their amount, and what shipped with the cost it left at."""
    shops = {s.id: s for s in _shops(staff)}
    if not shops:
        return []
    paid = (
        (ShopOrder.shop << list(shops))
        & (ShopOrder.paid_at >= start)
        & (ShopOrder.paid_at < end)
        & (ShopOrder.status << list(COUNTED))
    )
    shipped_in_period = (
        (ShopOrder.shop << list(shops))
        & (ShopOrder.shipped_at >= start)
        & (ShopOrder.shipped_at < end)
        & (ShopOrder.status == "shipped")
    )
    counted = _per_shop(fn.COUNT(fn.DISTINCT(ShopOrderLine.platform_order)), paid, lines=True)
    amounts = _per_shop(fn.SUM(ShopOrder.total), paid)
    shipped = _per_shop(fn.SUM(ShopOrder.total), shipped_in_period)
    costs = dict(
        # What leaves is signed negative in the ledger.
        ShopOrder.select(ShopOrder.shop, fn.SUM(StockMovement.value) * -1)
        .join(StockMovement, on=(StockMovement.ref == ShopOrder.number))
        .where(shipped_in_period & (StockMovement.kind == "shop_shipment"))
        .group_by(ShopOrder.shop)
        .tuples()
    )
    return [
        ShopFigures(
            shop_id,
            f"{shop.name}（{PLATFORMS.get(shop.platform, shop.platform)}）",
            int(counted.get(shop_id) or 0),
            int(amounts.get(shop_id) or 0),
            (int(shipped.get(shop_id) or 0), int(costs.get(shop_id) or 0)),
        )
        for shop_id, shop in sorted(shops.items())
    ]


def by_platform_and_day(staff: Staff, date_from: dt.date, date_to: dt.date) -> list[dict]:
    """Paid shop orders per platform and day: `day`, `platform`, `name`, `orders`, `amount`."""
    start, end = start_of_local_day_utc(date_from), end_of_local_day_utc(date_to)
    day = local_day(ShopOrder.paid_at)
    query = (
        ShopOrder.select(
            day,
            Shop.platform,
            fn.COUNT(fn.DISTINCT(ShopOrderLine.platform_order)),
            fn.SUM(ShopOrderLine.price * ShopOrderLine.qty),
        )
        .join(Shop)
        .switch(ShopOrder)
        .join(ShopOrderLine, on=ShopOrderLine.order == ShopOrder.id)
        .where(
            (ShopOrder.paid_at >= start)
            & (ShopOrder.paid_at < end)
            & (ShopOrder.status << list(COUNTED))
        )
        .group_by(day, Shop.platform)
        .order_by(day, Shop.platform)
    )
    query = seen_by(staff, query)
    return [
        {
            "day": str(found_day)[:10],
            "platform": platform,
            "name": PLATFORMS.get(platform, platform),
            "orders": int(count),
            "amount": money_from_fen(amount),
        }
        for found_day, platform, count, amount in query.tuples()
    ]


def best_sellers(staff: Staff, date_from: dt.date, date_to: dt.date, limit: int = 10) -> list[dict]:
    """Products by units sold in the period, mall (approved and on) and shops together."""
    start, end = start_of_local_day_utc(date_from), end_of_local_day_utc(date_to)
    units: dict[int, int] = {}
    mall = (
        OrderLine.select(OrderLine.product, fn.SUM(OrderLine.qty))
        .join(Order)
        .where(
            (Order.created_at >= start)
            & (Order.created_at < end)
            & (Order.status << list(MALL_SOLD))
        )
        .group_by(OrderLine.product)
        .tuples()
    )
    shop_ids = [s.id for s in _shops(staff)]
    shops = (
        (
            ShopOrderLine.select(ShopOrderLine.product, fn.SUM(ShopOrderLine.base_qty))
            .join(ShopOrder)
            .where(
                (ShopOrder.paid_at >= start)
                & (ShopOrder.paid_at < end)
                & (ShopOrder.status << list(COUNTED))
                & ShopOrderLine.product.is_null(False)
                & (ShopOrder.shop << shop_ids)
            )
            .group_by(ShopOrderLine.product)
            .tuples()
        )
        if shop_ids
        else []
    )
    for product_id, qty in [*mall, *shops]:
        units[product_id] = units.get(product_id, 0) + int(qty or 0)
    top = sorted(units.items(), key=lambda item: (-item[1], item[0]))[:limit]
    names = (
        {p.id: p for p in Product.select().where(Product.id << [p for p, _ in top])} if top else {}
    )
    return [{"product_id": p, "sku": names[p].sku, "name": names[p].name, "qty": q} for p, q in top]


def slow_movers(staff: Staff, days: int = 30, limit: int = 50) -> list[dict]:
    """Products with stock on hand and no sale — in the mall or any shop — in `days` days."""
    since = utcnow() - dt.timedelta(days=days)
    sold_in_mall = (
        OrderLine.select(OrderLine.product)
        .join(Order)
        .where((Order.created_at >= since) & (Order.status << list(MALL_SOLD)))
    )
    sold_in_shops = (
        ShopOrderLine.select(ShopOrderLine.product)
        .join(ShopOrder)
        .where(
            (ShopOrder.paid_at >= since)
            & (ShopOrder.status << list(COUNTED))
            & ShopOrderLine.product.is_null(False)
        )
    )
    query = (
        Product.select(
            Product.id, Product.sku, Product.name, fn.SUM(Stock.on_hand).alias("on_hand")
        )
        .join(Stock, on=Stock.product == Product.id)
        .where(~(Product.id << sold_in_mall) & ~(Product.id << sold_in_shops))
        .group_by(Product.id, Product.sku, Product.name)
        .having(fn.SUM(Stock.on_hand) > 0)
        .order_by(fn.SUM(Stock.on_hand).desc(), Product.id)
        .limit(limit)
    )
    return [
        {"product_id": p.id, "sku": p.sku, "name": p.name, "on_hand": int(p.on_hand)} for p in query
    ]
