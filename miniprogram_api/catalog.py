"""Catalogue and cart, at the dealer's own prices."""

from __future__ import annotations

from flask import current_app

from app.api import Blueprint
from app.http import json_with_etag
from app.mall import cart, catalog, catalogue_cache
from app.validation import paged
from miniprogram_api.schemas import (
    CartItemIn,
    CartOut,
    CategoryTreeOut,
    ProductOut,
    ProductPageOut,
    ProductQueryIn,
)
from miniprogram_api.security import current_customer, current_user, dealer_required

bp = Blueprint("mp_catalog", __name__, url_prefix="/api/mp/v1", description="商品与购物车")


def _low() -> int:
    return current_app.config["LOW_STOCK_THRESHOLD"]


@bp.get("/catalog/categories")
@dealer_required
@bp.response(200, CategoryTreeOut)
def categories():
    return {"items": catalog.category_tree()}


@bp.get("/catalog/products")
@dealer_required
@bp.arguments(ProductQueryIn, location="query")
@bp.response(200, ProductPageOut)
def products(args):
    """Products on sale with this dealer's price and stock status (in_stock / low / out).

    Answered from a page cached per price level (or price book) and warehouse, with an ETag:
    a client sending it back in If-None-Match gets 304 while the page is unchanged."""
    customer = current_customer()
    query = (args.get("q"), args.get("category_id"), args["page"], args["per_page"])

    def render() -> bytes:
        items, total = catalog.list_products(
            customer,
            q=args.get("q"),
            category_id=args.get("category_id"),
            page=args["page"],
            per_page=args["per_page"],
            low_threshold=_low(),
        )
        page = ProductPageOut().dump(paged(items, args["page"], args["per_page"], total))
        return current_app.json.response(page).get_data()

    return json_with_etag(*catalogue_cache.page(customer, query, render))


@bp.get("/catalog/products/<id:product_id>")
@dealer_required
@bp.response(200, ProductOut)
def product(product_id):
    return catalog.product_view(current_customer(), product_id, _low())


@bp.get("/cart")
@dealer_required
@bp.response(200, CartOut)
def get_cart():
    return cart.view_cart(current_user().id, current_customer(), _low())


@bp.put("/cart/items/<id:product_id>")
@dealer_required
@bp.arguments(CartItemIn)
@bp.response(200, CartOut)
def put_cart_item(data, product_id):
    """Set a product's quantity in the cart (checked against min qty and order multiple)."""
    cart.set_item(current_user().id, product_id, data["qty"])
    return cart.view_cart(current_user().id, current_customer(), _low())


@bp.delete("/cart/items/<id:product_id>")
@dealer_required
@bp.response(200, CartOut)
def delete_cart_item(product_id):
    cart.remove_item(current_user().id, product_id)
    return cart.view_cart(current_user().id, current_customer(), _low())
