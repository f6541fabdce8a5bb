"""The catalogue as a dealer sees it: their own prices and a stock status, never exact quantities."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from peewee import fn

from app.core import catalog, orders, product_images, promotion_book, promotions, stock
from app.core.models import Category, Customer, Product, ProductGroup
from app.core.promotions import Offer
from app.db import utcnow
from app.errors import NotFound


@dataclass(frozen=True)
class ProductView:
    product: Product
    price: Decimal
    stock_status: str
    available: int = 0  # for the server's own judgements (a cart line's status); never shown
    promotion: str | None = None  # the label of the best promotion open to this dealer on it
    promotion_price: Decimal | None = None  # an open 特价 below `price`: what a line costs

    def __getattr__(self, name):  # lets schemas read product fields straight through
        return getattr(self.product, name)


def stock_status(available: int, low_threshold: int, qty: int = 1) -> str:
    """有货 / 库存紧张 / 缺货, never a quantity: `out` with nothing available; `low` when little is
    left, or less than `qty` (a cart line's quantity may not ship in full); else `in_stock`."""
    if available <= 0:
        return "out"
    return "low" if available <= low_threshold or available < qty else "in_stock"


def category_tree() -> list[dict]:
    nodes = {
        c.id: {"id": c.id, "name": c.name, "parent_id": c.parent_id, "children": []}
        for c in Category.select().order_by(Category.sort, Category.id)
    }
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent_id"])
        (parent["children"] if parent else roots).append(node)
    return roots


def _with_descendants(category_id: int) -> list[int]:
    children: dict[int | None, list[int]] = {}
    for c in Category.select(Category.id, Category.parent):
        children.setdefault(c.parent_id, []).append(c.id)
    found, pending = [], [category_id]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def views_for(
    customer: Customer, query, low_threshold: int, offers: list[Offer] | None = None
) -> list[ProductView]:
    """Price and stock status for the products a query selects: one query each; with `offers`
    (those open to this customer), each product's promotion label and 特价 too."""
    products = catalog.with_customer_prices(query, customer)
    available = stock.availability(customer.warehouse_id, [p.id for p in products])
    labels = promotions.Labeller.of(offers) if offers else None
    return [
        ProductView(
            p,
            p.price,
            stock_status(available[p.id], low_threshold),
            available[p.id],
            labels.label(p.id, p.category_id, p.price) if labels else None,
            labels.special_price(p.id, p.price) if labels else None,
        )
        for p in products
    ]


def offers_for(customer: Customer) -> list[Offer]:
    """The promotions open to this customer now (one query)."""
    return promotions.open_offers(promotion_book.open_now(), orders.audience_of(customer), utcnow())


def list_products(
    customer: Customer,
    *,
    q: str | None,
    category_id: int | None,
    page: int,
    per_page: int,
    low_threshold: int,
    one_per_style: bool = False,
    brand: str | None = None,
) -> tuple[list[ProductView], int]:
    """Products on sale at this customer's prices, of one `brand` when named; with
    `one_per_style`, a style's SKUs count once, by the first of them the filters select (the
    H5 catalogue shows the style there)."""
    query = Product.select().where(Product.active)
    if q:
        query = query.where(Product.name.contains(q) | Product.sku.contains(q))
    if category_id is not None:
        query = query.where(Product.category << _with_descendants(category_id))
    if brand:
        query = query.where(Product.brand == brand)
    if one_per_style:
        firsts = (
            query.select(fn.MIN(Product.id))
            .where(Product.group.is_null(False))
            .group_by(Product.group)
        )
        # An inactive style's SKUs show one by one, as products outside any style.
        inactive = ProductGroup.select(ProductGroup.id).where(~ProductGroup.active)
        query = query.where(
            Product.group.is_null() | (Product.group << inactive) | (Product.id << firsts)
        )
    total = query.count()
    page_query = query.order_by(Product.category, Product.id).paginate(page, per_page)
    views = views_for(customer, page_query, low_threshold, offers_for(customer))
    return product_images.with_images(views), total


def product_view(customer: Customer, product_id: int, low_threshold: int) -> ProductView:
    views = views_for(
        customer,
        Product.select().where((Product.id == product_id) & Product.active),
        low_threshold,
        offers_for(customer),
    )
    if not views:
        raise NotFound("商品不存在或已下架", product_id=product_id)
    return product_images.with_images(views)[0]
