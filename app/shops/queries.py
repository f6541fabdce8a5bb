"""Read side of the online shops: shop orders with their lines and platform order ids, the
schemas every surface (admin API, webhooks) dumps them with, and stock-sync status per shop."""

from __future__ import annotations

from collections import defaultdict

from marshmallow import Schema, fields
from peewee import JOIN, fn

from app.core.models import Product, Staff
from app.db import utcnow
from app.errors import NotFound
from app.schemas import DocumentOut, PostalAddressOut, label_of
from app.shops.models import (
    PlatformOrder,
    Shop,
    ShopOrder,
    ShopOrderLine,
    ShopSku,
    StockPush,
    WriteBack,
)
from app.shops.orders import orders_query
from app.shops.rules import PLATFORMS, STATUS_LABELS, quantity_words
from app.validation import LocalDateTime, columns, money_field


def with_details(query) -> list[ShopOrder]:
    """Orders with `line_items` (each with its product's name and unit, `quantity_words` in
    our units), `platform_order_ids` and, for a merged one, `merged_into_number`: three
    queries at most."""
    found = list(query)
    if not found:
        return found
    ids = [o.id for o in found]
    lines: dict[int, list] = defaultdict(list)
    platform_ids: dict[int, list] = defaultdict(list)
    for line in (
        ShopOrderLine.select(ShopOrderLine, PlatformOrder, Product.id, Product.name, Product.unit)
        .join(PlatformOrder)
        .switch(ShopOrderLine)
        .join(Product, JOIN.LEFT_OUTER)
        .where(ShopOrderLine.order << ids)
        .order_by(ShopOrderLine.id)
    ):
        mapped = line.product_id is not None
        line.product_name = line.product.name if mapped else None
        line.unit = line.product.unit if mapped else None
        line.product_qty = line.base_qty if mapped else None
        line.quantity_words = quantity_words(line.qty, line.base_qty, line.unit)
        lines[line.order_id].append(line)
        if line.platform_order.platform_order_id not in platform_ids[line.order_id]:
            platform_ids[line.order_id].append(line.platform_order.platform_order_id)
    holders = {o.merged_into_id for o in found if o.merged_into_id}
    numbers = (
        dict(
            ShopOrder.select(ShopOrder.id, ShopOrder.number).where(ShopOrder.id << holders).tuples()
        )
        if holders
        else {}
    )
    for order in found:
        order.line_items = lines[order.id]
        order.platform_order_ids = platform_ids[order.id]
        order.merged_into_number = numbers.get(order.merged_into_id, "")
    return found


def order_detail(staff: Staff, order_id: int) -> ShopOrder:
    """One shop order in the caller's scope with its lines and platform orders.
    Raises: NotFound."""
    found = with_details(orders_query(staff).where(ShopOrder.id == order_id))
    if not found:
        raise NotFound("网店订单不存在", shop_order_id=order_id)
    return found[0]


def write_back_troubles(order: ShopOrder) -> list[dict]:
    """The order's tracking write-backs the platform has not taken: each platform order's
    attempts, the platform's last words, and the next try (none once it is dead)."""
    rows = (
        WriteBack.select(WriteBack, PlatformOrder.platform_order_id)
        .join(PlatformOrder)
        .where(
            (WriteBack.shop_order == order.id)
            & (WriteBack.status != "delivered")
            & (WriteBack.last_error != "")
        )
        .order_by(WriteBack.id)
    )
    return [
        {
            "platform_order_id": row.platform_order.platform_order_id,
            "attempts": row.attempts,
            "error": row.last_error,
            "next_at": None if row.status == "dead" else row.next_attempt_at,
        }
        for row in rows
    ]


def order_numbers(staff: Staff, order_ids: list[int]) -> dict[int, str]:
    """id → number of these shop orders, those in the caller's scope."""
    return {o.id: o.number for o in orders_query(staff).where(ShopOrder.id << order_ids)}


def search(
    staff: Staff, status: str | None = None, shop_id: int | None = None, q: str | None = None
):
    """Shop orders in scope, newest first; `q` is an order number, a tracking number (what a
    scanner types) or a platform order id."""
    query = orders_query(staff)
    if status:
        query = query.where(ShopOrder.status == status)
    if shop_id:
        query = query.where(ShopOrder.shop == shop_id)
    if q:
        q = q.strip()
        holding = (
            ShopOrderLine.select(ShopOrderLine.order)
            .join(PlatformOrder)
            .where(PlatformOrder.platform_order_id == q)
        )
        query = query.where(
            (ShopOrder.number == q) | (ShopOrder.tracking_no == q) | (ShopOrder.id << holding)
        )
    return query.order_by(ShopOrder.id.desc())


def sync_status(shop_ids: list[int]) -> dict[int, dict]:
    """Per shop: the last push, pushes waiting, pushes failing (with the last error)."""
    status = {
        i: {"last_push_at": None, "waiting": 0, "failing": 0, "last_error": ""} for i in shop_ids
    }
    if not shop_ids:
        return status
    for row in (
        StockPush.select(StockPush.shop, fn.MAX(StockPush.pushed_at).alias("last"))
        .where((StockPush.shop << shop_ids) & (StockPush.status == "delivered"))
        .group_by(StockPush.shop)
    ):
        status[row.shop_id]["last_push_at"] = row.last
    for row in (
        StockPush.select()
        .where((StockPush.shop << shop_ids) & (StockPush.status << ["pending", "dead"]))
        .order_by(StockPush.id)
    ):
        entry = status[row.shop_id]
        if row.status == "pending" and row.attempts == 0:
            entry["waiting"] += 1
        elif row.last_error:
            entry["failing"] += 1
            entry["last_error"] = row.last_error
    return status


class ReceiverOut(PostalAddressOut):
    name = fields.String(attribute="receiver_name")
    phone = fields.String(attribute="receiver_phone")


class ShopOrderLineOut(Schema):
    """A line: `qty` and `price` in platform units; `product_qty` in our product's `unit` (what
    is reserved and shipped); the product's fields are null while the SKU is unmapped."""

    id = fields.Integer()
    platform_sku = fields.String()
    product_id = fields.Integer(allow_none=True)
    qty = fields.Integer()
    price = money_field()
    product_name = fields.String(allow_none=True)
    product_qty = fields.Integer(allow_none=True)
    unit = fields.String(allow_none=True)


class ShopOrderOut(DocumentOut):
    shop_id = fields.Integer()
    platform = fields.Function(lambda o: o.shop.platform)
    platform_order_ids = fields.List(fields.String())
    status = fields.String()
    status_label = label_of(STATUS_LABELS)
    buyer = fields.String()
    receiver = fields.Function(lambda o: ReceiverOut().dump(o))
    lines = fields.List(fields.Nested(ShopOrderLineOut), attribute="line_items")
    total = money_field()
    paid_at = LocalDateTime(allow_none=True)
    carrier = fields.String()
    tracking_no = fields.String()
    exception = fields.String()
    merged_into_id = fields.Integer(allow_none=True)
    written_back = fields.String()
    shipped_at = LocalDateTime(allow_none=True)
    created_at = LocalDateTime()


class ShopOut(Schema):
    """A shop, never its secret or token."""

    id = fields.Integer()
    name = fields.String()
    platform = fields.String()
    platform_label = label_of(PLATFORMS, "platform")
    app_key = fields.String()
    warehouse_id = fields.Integer()
    stock_share_pct = fields.Integer()
    safety_stock = fields.Integer()
    active = fields.Boolean()
    last_synced_at = LocalDateTime(allow_none=True)
    sync_error = fields.String()
    created_at = LocalDateTime()


class SkuMapItemOut(columns(ShopSku, "platform_sku", "product_id", "qty", "auto")):
    """A platform SKU mapped to one of our products, named by its SKU and name."""

    sku = fields.Function(lambda m: m.product.sku)
    name = fields.Function(lambda m: m.product.name)


def order_data(order_id: int) -> dict:
    """One shop order as the admin API shows it (webhooks carry the same)."""
    found = with_details(
        ShopOrder.select(ShopOrder, Shop).join(Shop).where(ShopOrder.id == order_id)
    )
    return ShopOrderOut().dump(found[0])


def sync_lag_seconds() -> dict[tuple[str], float]:
    """Per active shop (by id), seconds since its orders were last downloaded, or since it was
    added when never: what monitoring watches to see a platform's downloads stall."""
    now = utcnow()
    return {
        (str(shop.id),): max((now - (shop.last_synced_at or shop.created_at)).total_seconds(), 0.0)
        for shop in Shop.select(Shop.id, Shop.last_synced_at, Shop.created_at).where(Shop.active)
    }
