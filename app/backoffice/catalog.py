"""Products with their 10 level prices, and stock per warehouse, for staff."""

from __future__ import annotations

from app.auth.scopes import actor, require, require_all_scope
from app.backoffice.queries import warehouses_in_scope
from app.core import catalog, product_images, stock
from app.core.models import Product, Staff, Stock, Warehouse
from app.errors import Forbidden, NotFound


def with_level_prices(products: list[Product]) -> list[Product]:
    """Each product gets `prices`: {"1": price, ...} for the levels that have one."""
    levels = catalog.level_prices([p.id for p in products])
    for p in products:
        p.prices = {str(level): price for level, price in sorted(levels[p.id].items())}
    return products


def products_query(filters: dict, *, by_sku: bool = False):
    query = Product.select()
    if filters.get("q"):
        q = filters["q"]
        query = query.where(Product.name.contains(q) | Product.sku.contains(q))
    if filters.get("category_id"):
        query = query.where(Product.category == filters["category_id"])
    if "active" in filters:
        query = query.where(Product.active == filters["active"])
    return query.order_by(Product.sku if by_sku else Product.id)


def product(product_id: int) -> Product:
    found = Product.get_or_none(Product.id == product_id)
    if found is None:
        raise NotFound("商品不存在", product_id=product_id)
    return product_images.with_images(with_level_prices([found]))[0]


def _level_prices(data: dict) -> dict[int, object]:
    return {int(k): v for k, v in data.pop("prices", {}).items()}


def create_product(staff: Staff, data: dict) -> Product:
    """`data` as the product schema loads it; `prices` by level ("1".."10")."""
    require(staff, "catalog.manage")
    require_all_scope(staff)  # the catalogue and its level prices apply to every branch
    prices = _level_prices(data)
    created = catalog.create_product(prices=prices, **data)
    return product_images.with_images(with_level_prices([created]))[0]


def update_product(staff: Staff, product_id: int, data: dict) -> Product:
    require(staff, "catalog.manage")
    require_all_scope(staff)
    prices = _level_prices(data)
    updated = catalog.update_product(product_id, prices=prices, **data)
    return product_images.with_images(with_level_prices([updated]))[0]


def add_product_image(staff: Staff, product_id: int, data: bytes):
    """A picture of a product, by staff who may edit products (the catalogue is every
    branch's). Raises: Forbidden, NotFound, ValidationFailed."""
    require(staff, "catalog.manage")
    require_all_scope(staff)
    return product_images.add(product_id, data)


def remove_product_image(staff: Staff, product_id: int, image_id: int):
    require(staff, "catalog.manage")
    require_all_scope(staff)
    return product_images.remove(product_id, image_id)


def make_first_product_image(staff: Staff, product_id: int, image_id: int) -> None:
    require(staff, "catalog.manage")
    require_all_scope(staff)
    product_images.make_first(product_id, image_id)


def create_category(staff: Staff, name: str, parent_id: int | None, sort: int):
    require(staff, "catalog.manage")
    require_all_scope(staff)
    return catalog.create_category(name, parent_id, sort)


def stock_query(staff: Staff, filters: dict, *, by_code: bool = False):
    """Stock rows (with product and warehouse) in the warehouses the caller may see, by
    warehouse and product (their codes and SKUs with `by_code`, else their ids)."""
    require(staff, "stock.view")
    query = (
        Stock.select(Stock, Product, Warehouse)
        .join(Product)
        .switch(Stock)
        .join(Warehouse)
        .where(Stock.warehouse << warehouses_in_scope(staff))
    )
    if filters.get("warehouse_id"):
        query = query.where(Stock.warehouse == filters["warehouse_id"])
    if filters.get("product_id"):
        query = query.where(Stock.product == filters["product_id"])
    if by_code:
        return query.order_by(Warehouse.code, Product.sku)
    return query.order_by(Stock.warehouse, Stock.product)


def adjust_stock(
    staff: Staff, warehouse_id: int, product_id: int, qty_delta: int, reason: str
) -> Stock:
    """Count stock in or out in a warehouse the caller may see; on-hand never below reserved.

    Raises: Forbidden (warehouse outside the scope), NotFound, InvalidState, ValidationFailed.
    """
    require(staff, "stock.manage")
    if not warehouses_in_scope(staff).where(Warehouse.id == warehouse_id).exists():
        raise Forbidden("无权调整该仓库库存", warehouse_id=warehouse_id)
    return stock.adjust(warehouse_id, product_id, qty_delta, reason, actor(staff))
