"""Catalogue and cart, at the dealer's own prices."""

from __future__ import annotations

import json
import re
from functools import wraps

from flask import current_app

from app.api import Blueprint, page_from
from app.http import json_with_etag
from app.mall import cart, catalog, catalogue_cache, favourites, quick_order, styles
from app.validation import PageIn, paged
from miniprogram_api.schemas import (
    BulkCartIn,
    BulkCartOut,
    CartItemIn,
    CartOut,
    CategoryTreeOut,
    FavouritePageOut,
    GroupOut,
    ProductOut,
    ProductPageOut,
    ProductQueryIn,
)
from miniprogram_api.security import (
    current_customer,
    current_user,
    dealer_required,
    login_required,
    signed_in_also,
)

bp = Blueprint("mp_catalog", __name__, url_prefix="/api/mp/v1", description="商品与购物车")


def _low() -> int:
    return current_app.config["LOW_STOCK_THRESHOLD"]


@bp.get("/catalog/categories")
@dealer_required
@bp.response(200, CategoryTreeOut)
def categories():
    return {"items": catalog.category_tree()}


@bp.get("/catalog/products")
@login_required("dealer", read_with=lambda: (favourites.all_marked_sql(),))
@bp.arguments(ProductQueryIn, location="query")
@bp.response(200, ProductPageOut)
def products(args):
    """Products on sale with this dealer's price and stock status (in_stock / low / out).

    Answered from a page cached per price level (or price book) and warehouse, with an ETag:
    a client sending it back in If-None-Match gets 304 while the page is unchanged."""
    customer = current_customer()
    query = (
        args.get("q"),
        args.get("category_id"),
        args.get("brand"),
        args["page"],
        args["per_page"],
    )

    def render() -> bytes:
        items, total = catalog.list_products(
            customer,
            q=args.get("q"),
            category_id=args.get("category_id"),
            brand=args.get("brand"),
            page=args["page"],
            per_page=args["per_page"],
            low_threshold=_low(),
        )
        page = ProductPageOut().dump(paged(items, args["page"], args["per_page"], total))
        return current_app.json.response(page).get_data()

    body, etag = catalogue_cache.page(customer, query, render)
    mine = favourites.marked_in(signed_in_also()[0])
    return json_with_etag(*_with_favourites(mine, body, etag))


# Each item of a catalogue page as the JSON provider writes it (keys sorted): its favourite flag,
# then its id. A quote inside a JSON string is always escaped, so this can only match a key.
_UNMARKED = re.compile(rb'"favourite":\s*false,\s*"id":\s*(\d+)')


def _with_favourites(mine: set[int], body: bytes, etag: str) -> tuple[bytes, str]:
    """The shared page with the customer's favourites (`mine`, read with the sign-in) marked:
    the cached bytes unchanged (and their ETag) when none of them is on it. The flags are set in
    the bytes (decoding and encoding the page cost more than the rest of a cached request); a
    page written some other way is decoded and encoded."""
    if not mine:
        return body, etag
    found = False

    def flag(match: re.Match) -> bytes:
        nonlocal found
        found = True
        if int(match.group(1)) not in mine:
            return match.group(0)
        return match.group(0).replace(b"false", b"true", 1)

    marked = _UNMARKED.sub(flag, body)
    if not found:  # not the provider's usual layout (or no items): the slow, sure way
        page = json.loads(body)
        for item in page["items"]:
            item["favourite"] = item["id"] in mine
        marked = current_app.json.response(page).get_data()
    if marked == body:
        return body, etag
    return marked, catalogue_cache.etag_of(marked)


@bp.get("/catalog/products/<id:product_id>")
@dealer_required
@bp.response(200, ProductOut)
def product(product_id):
    customer = current_customer()
    view = catalog.product_view(customer, product_id, _low())
    return favourites.mark(customer.id, [view])[0]


@bp.get("/catalog/groups/<id:group_id>")
@dealer_required
@bp.response(200, GroupOut)
def group(group_id):
    """A style (款) with its SKUs on sale: each SKU's `spec`, this dealer's price and its
    `stock_status`; `price_min`/`price_max` over them. not_found 404 when none is on sale."""
    customer = current_customer()
    view = styles.style_view(customer, group_id, _low())
    favourites.mark(customer.id, view.skus)
    return view


def _favourites_page(args):
    return page_from(favourites.favourites_of, args, current_customer(), _low())


@bp.get("/favourites")
@dealer_required
@bp.arguments(PageIn, location="query")
@bp.response(200, FavouritePageOut)
def list_favourites(args):
    """收藏: this customer's favourite products on sale, newest first, at their prices."""
    return _favourites_page(args)


def _favourite_change(method: str):
    """PUT or DELETE /favourites/{product_id}: the decorated `change(customer_id, product_id)`,
    then the favourites as GET answers them (the same page query). The view takes the change's
    name and words."""

    def decorator(change):
        @bp.route("/favourites/<id:product_id>", methods=[method])
        @dealer_required
        @bp.arguments(PageIn, location="query")
        @bp.response(200, FavouritePageOut)
        @wraps(change)
        def view(args, product_id):
            change(current_customer().id, product_id)
            return _favourites_page(args)

        return view

    return decorator


@_favourite_change("PUT")
def put_favourite(customer_id, product_id):
    """收藏 a product on sale (again: nothing changes); answers the favourites as GET does.
    not_found 404 for a product not on sale."""
    favourites.add(customer_id, product_id)


@_favourite_change("DELETE")
def delete_favourite(customer_id, product_id):
    """取消收藏 (one not among the favourites: nothing changes); answers the favourites."""
    favourites.remove(customer_id, product_id)


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
    """Set a product's quantity in the cart (checked against min qty and order multiple): `qty`
    of `unit`, one of the product's `units` (default: its base unit `unit`)."""
    cart.set_item(current_user().id, product_id, data["qty"], data.get("unit"))
    return cart.view_cart(current_user().id, current_customer(), _low())


@bp.delete("/cart/items/<id:product_id>")
@dealer_required
@bp.response(200, CartOut)
def delete_cart_item(product_id):
    cart.remove_item(current_user().id, product_id)
    return cart.view_cart(current_user().id, current_customer(), _low())


@bp.post("/cart/bulk")
@dealer_required
@bp.arguments(BulkCartIn)
@bp.response(200, BulkCartOut)
def bulk_cart(data):
    """快速下单: many SKUs into the cart at once, adding to what it holds. Unknown SKUs come back
    in `not_found`, quantities raised to the minimum or the order multiple in `adjusted`, lines
    that cannot be ordered (a unit the product has not) in `refused`, with the reason in words.
    `qty` counts `unit` (one of the product's units; default its base unit)."""
    items = [quick_order.WantedItem(i["sku"], i["qty"], i.get("unit")) for i in data["items"]]
    return quick_order.add_skus(current_user().id, current_customer(), items, _low())
