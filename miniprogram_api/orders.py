"""Orders as the dealer sees them: submit, list, detail, cancel, confirm receipt, reorder."""

from __future__ import annotations

from flask import current_app

from app.api import REPEATED_ORDER, Blueprint, page_from
from app.core.orders import LineRequest
from app.extensions import limited
from app.mall import favourites, ordering
from app.schemas import OrderOut, order_out
from app.validation import WholeListIn, page_of_list
from miniprogram_api.listing import dealer_record
from miniprogram_api.schemas import (
    CartOut,
    IdempotencyHeaderIn,
    OrderPageOut,
    OrderQueryIn,
    PlaceOrderIn,
    RecentProductsOut,
)
from miniprogram_api.security import (
    actor,
    current_customer,
    current_user,
    dealer_read_with_the_order,
    dealer_required,
    sign_in,
)

bp = Blueprint("mp_orders", __name__, url_prefix="/api/mp/v1", description="订单")


@bp.post("/orders")
@limited("RATELIMIT_ORDERS", "orders")
@dealer_read_with_the_order
@bp.idempotent(IdempotencyHeaderIn, PlaceOrderIn, OrderOut, REPEATED_ORDER)
def create_order(headers, data):
    """Submit an order for review; prices come from the server, warnings are not holds."""
    caller = sign_in()  # read and admitted as a dealer by the order's first statement
    order, created = ordering.submit_order(
        caller,
        [LineRequest(ln["product_id"], ln["qty"], ln.get("unit")) for ln in data["lines"]],
        idempotency_key=headers.get("idempotency_key"),
        remark=data["remark"],
        address_id=data["address_id"],
        placed_by=actor(),
        source="mall",
        cart_user_id=caller.user_id,  # what was ordered leaves the cart
    )
    return current_app.json.response(order_out(order)), 201 if created else 200


@bp.get("/orders")
@dealer_required
@bp.arguments(OrderQueryIn, location="query")
@bp.response(200, OrderPageOut)
def list_orders(args):
    """This dealer's orders, newest first; `q` finds them by order number, product name or SKU."""
    return page_from(
        ordering.customer_orders, args, current_customer().id, args.get("status"), q=args.get("q")
    )


@bp.get("/orders/recent-products")
@dealer_required
@bp.arguments(WholeListIn, location="query")
@bp.response(200, RecentProductsOut)
def recent_products(args):
    """What this dealer ordered in the last 90 days, for quick reordering."""
    customer = current_customer()
    rows = ordering.recent_products(customer, current_app.config["LOW_STOCK_THRESHOLD"])
    marked = favourites.marked(customer.id, [last.view.product.id for last in rows])
    items = []
    for last in rows:
        view = last.view
        items.append(
            {
                **{k: getattr(view.product, k) for k in ("id", "sku", "name", "unit", "pack_size")},
                **{
                    k: getattr(view.product, k)
                    for k in ("min_qty", "step", "image", "images", "category_id", "units")
                },
                **{k: getattr(view.product, k) for k in ("brand", "group_id", "spec_values")},
                "promotion": view.promotion,
                "price": view.price,
                "stock_status": view.stock_status,
                "last_qty": last.qty,
                "last_unit": last.unit,
                "last_unit_qty": last.unit_qty,
                "last_ordered_at": last.at,
                "favourite": view.product.id in marked,
            }
        )
    return page_of_list(items, args)


dealer_record(bp, "get_order", "/orders/<id:order_id>", OrderOut, ordering.customer_order)


@bp.post("/orders/<id:order_id>/cancel")
@dealer_required
@bp.response(200, OrderOut)
def cancel_order(order_id):
    """Cancel an order that customer service has not reviewed yet (else invalid_state 409)."""
    return ordering.cancel(current_customer().id, order_id, actor())


@bp.post("/orders/<id:order_id>/confirm-receipt")
@dealer_required
@bp.response(200, OrderOut)
def confirm_receipt(order_id):
    return ordering.confirm_receipt(current_customer().id, order_id, actor())


@bp.post("/orders/<id:order_id>/reorder")
@dealer_required
@bp.response(200, CartOut)
def reorder(order_id):
    """Put that order's lines in the cart at today's prices."""
    return ordering.reorder(
        current_user().id,
        current_customer(),
        order_id,
        current_app.config["LOW_STOCK_THRESHOLD"],
    )
