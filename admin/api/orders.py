"""Orders for staff: list in scope, review queue, adjust, approve (step by step), reject, ship."""

from __future__ import annotations

from flask import current_app

from admin.api.blueprint import StaffBlueprint
from admin.schemas import (
    AdjustOrderIn,
    AdminOrderPageOut,
    AdminOrderQueryIn,
    ApproveIn,
    DealerProductQueryIn,
    DealerProductsOut,
    QueuePageOut,
    RejectIn,
    ReviewQueueQueryIn,
    ShipmentAdminOut,
    ShipmentIn,
    StaffIdempotencyHeaderIn,
    StaffOrderIn,
)
from admin.security import current_staff, staff_required
from app.api import REPEATED_ORDER, page_from
from app.backoffice import orders
from app.extensions import limited
from app.schemas import AdminOrderOut

bp = StaffBlueprint("admin_orders", __name__, "订单审核与发货")


@bp.get("/orders")
@bp.staff("orders.view", query=AdminOrderQueryIn, out=AdminOrderPageOut)
def list_orders(args):
    """Orders in the caller's data scope, newest first."""
    return page_from(orders.orders_page, args, current_staff(), args)


@bp.post("/orders")
@limited("RATELIMIT_ORDERS", "orders")
@staff_required("orders.place")
@bp.idempotent(StaffIdempotencyHeaderIn, StaffOrderIn, AdminOrderOut, REPEATED_ORDER)
def place_order(headers, data):
    """代下单: an order for a dealer in the caller's scope, at that dealer's prices, awaiting
    review like any other (`source: "staff"`); the dealer is told in the inbox."""
    order, created = orders.place_for_dealer(
        current_staff(),
        data["customer_id"],
        data["lines"],
        idempotency_key=headers.get("idempotency_key"),
        remark=data["remark"],
        address_id=data["address_id"],
    )
    return order, 201 if created else 200


@bp.get("/customers/<id:customer_id>/products")
@bp.staff("orders.place", query=DealerProductQueryIn, out=DealerProductsOut)
def dealer_products(args, customer_id):
    """Products on sale matching `q` (SKU or name), at most 20, at this dealer's prices, with
    what their warehouse has available: what POST /orders would charge them."""
    _, views = orders.dealer_products(
        current_staff(), customer_id, current_app.config["LOW_STOCK_THRESHOLD"], q=args["q"]
    )
    return {"items": views}


@bp.get("/review-queue")
@bp.staff("orders.view", query=ReviewQueueQueryIn, out=QueuePageOut)
def review_queue(args):
    """Orders waiting for review or a signature, oldest first, with credit and stock per line."""
    return page_from(orders.review_queue, args, current_staff(), mine=args["mine"])


bp.detail("get_order", "/orders/<id:order_id>", "orders.view", AdminOrderOut, orders.order_for)


@bp.patch("/orders/<id:order_id>")
@bp.staff("orders.review", body=AdjustOrderIn, out=AdminOrderOut)
def adjust_order(data, order_id):
    """Replace the lines of an order awaiting review (quantities, prices), with a reason; audited."""
    return orders.adjust(current_staff(), order_id, data["lines"], data["reason"])


@bp.post("/orders/<id:order_id>/approve")
@bp.staff("orders.approve", body=ApproveIn, out=AdminOrderOut)
def approve_order(data, order_id):
    """Sign the next step; the last signature approves (reserves stock, holds credit)."""
    return orders.approve(current_staff(), order_id, data["comment"], data["credit_override"])


@bp.post("/orders/<id:order_id>/reject")
@bp.staff("orders.approve", body=RejectIn, out=AdminOrderOut)
def reject_order(data, order_id):
    return orders.reject(current_staff(), order_id, data["reason"])


@bp.post("/orders/<id:order_id>/shipments")
@bp.staff("orders.ship", body=ShipmentIn, status=201, out=ShipmentAdminOut)
def ship(data, order_id):
    """Ship lines fully or partly with carrier and tracking number."""
    return orders.ship(
        current_staff(), order_id, data["lines"], data["carrier"], data["tracking_no"]
    )
