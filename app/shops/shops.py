"""Shops (店铺) and their SKU mapping: authorise, change, test the connection; what staff may
see and change is scoped by the shop's warehouse's branch (invariant 6)."""

from __future__ import annotations

import datetime as dt

from app.adapters.platforms import Credentials, Platform, PlatformError, client_for
from app.auth.scopes import require
from app.core.models import Product, Staff, Warehouse
from app.db import or_not_found, transaction, utcnow
from app.errors import Conflict, InvalidState, NotFound, ValidationFailed
from app.shops import settings
from app.shops.models import Shop, ShopSku
from app.shops.rules import PLATFORMS

FIRST_LOOKBACK = dt.timedelta(days=1)
EDITABLE = (
    "name",
    "access_token",
    "app_secret",
    "warehouse_id",
    "stock_share_pct",
    "safety_stock",
    "active",
)


def client(shop: Shop) -> Platform:
    """The platform's client for this shop, pointed where the settings say."""
    credentials = Credentials(shop.app_key, shop.app_secret, shop.access_token)
    return client_for(shop.platform, credentials, settings.current().api_base_url)


def scope_condition(staff: Staff):
    """The shops a staff member may see: all, or those whose warehouse is in their branch."""
    if staff.data_scope == "all":
        return None
    branch_warehouses = Warehouse.select(Warehouse.id).where(Warehouse.branch == staff.branch_id)
    return Shop.warehouse << branch_warehouses


def seen_by(staff: Staff, query):
    """`query` (of shops, or joined to them) kept to the shops the caller may see."""
    condition = scope_condition(staff)
    return query if condition is None else query.where(condition)


def shops_query(staff: Staff):
    require(staff, "shops.view")
    return seen_by(staff, Shop.select().order_by(Shop.id))


def shop_names(staff: Staff) -> list[tuple[int, str]]:
    """(id, name) of the shops whose orders the caller reads (the workbench's shop filter):
    finance reads shop orders without seeing the shops' settings."""
    require(staff, "shop_orders.view")
    query = seen_by(staff, Shop.select(Shop.id, Shop.name).order_by(Shop.id))
    return [(s.id, s.name) for s in query]


def shop_in_scope(staff: Staff, shop_id: int) -> Shop:
    """Raises: NotFound, also for a shop outside the caller's scope."""
    found = shops_query(staff).where(Shop.id == shop_id).first()
    return or_not_found(found, "店铺不存在", shop_id=shop_id)


def _warehouse_in_scope(staff: Staff, warehouse_id: int) -> None:
    warehouse = Warehouse.get_or_none(Warehouse.id == warehouse_id)
    if warehouse is None or (staff.data_scope != "all" and warehouse.branch_id != staff.branch_id):
        raise NotFound("仓库不存在", warehouse_id=warehouse_id)


def create_shop(staff: Staff, data: dict) -> Shop:
    """Authorise a shop. Raises: ValidationFailed, NotFound (warehouse), Conflict (the same
    platform app key is already a shop)."""
    require(staff, "shops.manage")
    if data["platform"] not in PLATFORMS:
        raise ValidationFailed("平台无效", platform=[f"须为 {', '.join(PLATFORMS)} 之一"])
    _warehouse_in_scope(staff, data["warehouse_id"])
    with transaction():
        taken = Shop.select().where(
            (Shop.platform == data["platform"]) & (Shop.app_key == data["app_key"])
        )
        if taken.exists():
            raise Conflict("该平台的这个 AppKey 已经授权过一个店铺", app_key=data["app_key"])
        now = utcnow()
        return Shop.create(
            name=data["name"],
            platform=data["platform"],
            app_key=data["app_key"],
            app_secret=data["app_secret"],
            access_token=data["access_token"],
            warehouse=data["warehouse_id"],
            stock_share_pct=data.get("stock_share_pct", 100),
            safety_stock=data.get("safety_stock", 0),
            active=data.get("active", True),
            # The first download looks back a day: orders paid just before authorising count.
            sync_cursor=now - FIRST_LOOKBACK,
            created_at=now,
            updated_at=now,
        )


def update_shop(staff: Staff, shop_id: int, data: dict) -> Shop:
    """Change a shop's name, credentials, warehouse, share or safety stock. A change of share,
    safety stock, warehouse or activity pushes every mapped SKU again."""
    require(staff, "shops.manage")
    shop = shop_in_scope(staff, shop_id)
    if "warehouse_id" in data:
        _warehouse_in_scope(staff, data["warehouse_id"])
    changes = {k: v for k, v in data.items() if k in EDITABLE}
    if "warehouse_id" in changes:
        changes["warehouse"] = changes.pop("warehouse_id")
    with transaction():
        if changes:
            Shop.update(**changes, updated_at=utcnow()).where(Shop.id == shop.id).execute()
        if {"stock_share_pct", "safety_stock", "warehouse", "active"} & changes.keys():
            from app.shops import stock_sync

            stock_sync.queue_all(shop.id)
    return Shop.get_by_id(shop.id)


def test_connection(staff: Staff, shop_id: int) -> str:
    """One authorised call to the platform; returns words for the person who asked.
    Raises: Conflict with the platform's refusal in words."""
    require(staff, "shops.manage")
    shop = shop_in_scope(staff, shop_id)
    try:
        client(shop).check()
    except PlatformError as exc:
        raise Conflict(f"连接失败：{exc.message}") from None
    return f"{PLATFORMS[shop.platform]}店铺“{shop.name}”连接正常"


# --- SKU mapping ------------------------------------------------------------------------------


def sku_map(staff: Staff, shop_id: int):
    shop = shop_in_scope(staff, shop_id)
    return (
        ShopSku.select(ShopSku, Product)
        .join(Product)
        .where(ShopSku.shop == shop.id)
        .order_by(ShopSku.platform_sku)
    )


def set_sku_map(staff: Staff, shop_id: int, items: list[dict]) -> list[ShopSku]:
    """Replace the shop's mapping with `items` ({platform_sku, product_id, qty}); SKUs mapped
    because their codes equal ours stay unless named. Orders waiting for a mapping are placed
    again, and the mapped SKUs are pushed. Raises: ValidationFailed, NotFound (product)."""
    require(staff, "shops.map")
    shop = shop_in_scope(staff, shop_id)
    seen = set()
    for item in items:
        if item["platform_sku"] in seen:
            raise ValidationFailed("平台 SKU 重复", platform_sku=[item["platform_sku"]])
        seen.add(item["platform_sku"])
    product_ids = {item["product_id"] for item in items}
    found = {p.id for p in Product.select(Product.id).where(Product.id << list(product_ids))}
    missing = sorted(product_ids - found)
    if missing:
        raise NotFound("商品不存在", product_ids=missing)
    with transaction():
        ShopSku.delete().where((ShopSku.shop == shop.id) & ~ShopSku.auto).execute()
        if seen:
            ShopSku.delete().where(
                (ShopSku.shop == shop.id) & (ShopSku.platform_sku << list(seen))
            ).execute()
        now = utcnow()
        rows = [
            {
                "shop": shop.id,
                "platform_sku": item["platform_sku"],
                "product": item["product_id"],
                "qty": item.get("qty", 1),
                "auto": False,
                "created_at": now,
            }
            for item in items
        ]
        if rows:
            ShopSku.insert_many(rows).execute()
        from app.shops import orders, stock_sync

        orders.place_waiting(shop.id)
        stock_sync.queue_all(shop.id)
    return list(sku_map(staff, shop.id))


def map_sku(staff: Staff, shop_id: int, platform_sku: str, sku: str, qty: int = 1) -> ShopSku:
    """Map one platform SKU to our product coded `sku` (`qty` of ours per platform unit),
    keeping the rest of the mapping; orders waiting for it are placed. Raises: NotFound (no
    product has that code), ValidationFailed."""
    product = Product.get_or_none(Product.sku == sku)
    if product is None:
        raise NotFound(f"没有编码为 {sku} 的商品")
    kept = [
        {"platform_sku": m.platform_sku, "product_id": m.product_id, "qty": m.qty}
        for m in sku_map(staff, shop_id)
        if not m.auto and m.platform_sku != platform_sku
    ]
    item = {"platform_sku": platform_sku, "product_id": product.id, "qty": qty}
    mapped = set_sku_map(staff, shop_id, [*kept, item])
    return next(m for m in mapped if m.platform_sku == platform_sku)


def unmap_sku(staff: Staff, shop_id: int, platform_sku: str) -> ShopSku:
    """Take a hand-made mapping away (one mapped by mistake): orders downloaded from now on wait
    for a mapping again; lines already mapped keep their product. A SKU mapped because its code
    equals ours cannot be taken away (the next download would map it again). Returns the
    mapping taken away. Raises: NotFound, InvalidState."""
    found = {m.platform_sku: m for m in sku_map(staff, shop_id)}
    gone = found.get(platform_sku)
    if gone is None:
        raise NotFound(f"平台 SKU {platform_sku} 没有对应关系")
    if gone.auto:
        raise InvalidState(
            f"平台 SKU {platform_sku} 与商品编码相同，自动对应到 {gone.product.name}，不能取消"
        )
    kept = [
        {"platform_sku": m.platform_sku, "product_id": m.product_id, "qty": m.qty}
        for m in found.values()
        if not m.auto and m.platform_sku != platform_sku
    ]
    set_sku_map(staff, shop_id, kept)
    return gone


def unmapped_skus(staff: Staff, shop_id: int) -> list[dict]:
    """Platform SKUs on the shop's orders that map to nothing: what to map next, most wanted first."""
    from peewee import fn

    from app.shops.models import ShopOrder, ShopOrderLine

    shop = shop_in_scope(staff, shop_id)
    rows = (
        ShopOrderLine.select(ShopOrderLine.platform_sku, fn.COUNT(fn.DISTINCT(ShopOrderLine.order)))
        .join(ShopOrder)
        .where((ShopOrder.shop == shop.id) & ShopOrderLine.product.is_null())
        .group_by(ShopOrderLine.platform_sku)
        .order_by(fn.COUNT(fn.DISTINCT(ShopOrderLine.order)).desc(), ShopOrderLine.platform_sku)
        .tuples()
    )
    return [{"platform_sku": sku, "orders": count} for sku, count in rows]


def sync_now(staff: Staff, shop_id: int):
    """Download new and changed orders now. Raises: PlatformRefused (in words), InvalidState."""
    from app.errors import PlatformError as PlatformRefused
    from app.shops import download, orders

    require(staff, "shops.work")
    shop = shop_in_scope(staff, shop_id)
    try:
        result = download.sync(shop.id)
    except PlatformError as exc:
        raise PlatformRefused(f"下载订单失败：{exc.message}") from None
    orders.place_waiting(shop.id)
    return result


def push_now(staff: Staff, shop_id: int) -> int:
    """Queue a push of every mapped SKU of the shop; returns how many were queued."""
    from app.shops import stock_sync

    require(staff, "shops.work")
    shop = shop_in_scope(staff, shop_id)
    with transaction():
        return stock_sync.queue_all(shop.id)
