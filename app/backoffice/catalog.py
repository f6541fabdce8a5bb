"""Products with their 10 level prices, and stock per warehouse, for staff."""

from __future__ import annotations

from app.auth.scopes import actor, require, require_all_scope
from app.backoffice.queries import warehouses_in_scope
from app.core import catalog, product_images, stock, styles
from app.core.models import Product, Staff, Stock, Warehouse
from app.db import db, matching
from app.errors import Conflict, Forbidden, NotFound
from app.inventory.queries import in_warehouses_seen


def with_level_prices(products: list[Product]) -> list[Product]:
    """Each product gets `prices`: {"1": price, ...} for the levels that have one."""
    levels = catalog.level_prices([p.id for p in products])
    for p in products:
        p.prices = {str(level): price for level, price in sorted(levels[p.id].items())}
    return products


def products_query(filters: dict, *, by_sku: bool = False):
    query = matching(Product.select(), filters.get("q"), Product.name, Product.sku)
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
    query = in_warehouses_seen(staff, Stock, filters)
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


# --- styles (款) and their SKUs ----------------------------------------------------------


def with_skus(groups: list) -> list:
    """Each style gets `skus` (its products in the order of its combinations, with their level
    prices) and `missing` (the combinations without a product)."""
    found = styles.skus_of([g.id for g in groups])
    for g in groups:
        g.skus = with_level_prices(styles.sorted_skus(g, found[g.id]))
        taken = {p.spec for p in g.skus}
        g.missing = [c for c in styles.combinations(g.spec_list) if styles.spec_key(c) not in taken]
    return groups


def groups_query(filters: dict):
    return styles.groups_query(filters.get("q"), filters.get("category_id"), filters.get("active"))


def product_group(group_id: int):
    return with_skus([styles.group(group_id)])[0]


def create_group(staff: Staff, data: dict):
    require(staff, "catalog.manage")
    require_all_scope(staff)  # styles, like the catalogue, apply to every branch
    return with_skus([styles.create_group(**data)])[0]


def update_group(staff: Staff, group_id: int, data: dict):
    require(staff, "catalog.manage")
    require_all_scope(staff)
    return with_skus([styles.update_group(group_id, **data)])[0]


def generate_skus(staff: Staff, group_id: int, data: dict):
    """A product for every combination of a style that has none yet: SKU prefix-01 …, named after
    the style and the values, at one list price (and level prices when given). Raises:
    NotFound, Conflict (a SKU code taken), Forbidden."""
    require(staff, "catalog.manage")
    require_all_scope(staff)
    prices = {int(k): v for k, v in data.get("prices", {}).items()}
    with db.atomic():
        for body in styles.generated_products(
            group_id, data["sku_prefix"], data["list_price"], data.get("unit") or "件"
        ):
            try:
                catalog.create_product(prices=dict(prices), **body)
            except Conflict:
                raise Conflict(
                    f"SKU {body['sku']} 已被其他商品使用，请换一个前缀", sku=body["sku"]
                ) from None
    return product_group(group_id)


def attach_sku(staff: Staff, group_id: int, sku: str, spec: dict):
    """An existing product (by SKU code) made the style's SKU for `spec`."""
    product_id = styles.attach_by_sku(sku).id
    update_product(staff, product_id, {"group_id": group_id, "spec": spec})
    return product_group(group_id)


def groups_by_code(codes: list[str]) -> dict:
    return styles.groups_by_code(codes)
