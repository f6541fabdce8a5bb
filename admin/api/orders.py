"""Orders for staff: list in scope, review queue, adjust, approve (step by step), reject, ship."""

from __future__ import annotations

from peewee import prefetch

from admin import queries
from admin.schemas import (
    AdjustOrderIn,
    AdminOrderOut,
    AdminOrderPageOut,
    AdminOrderQueryIn,
    ApproveIn,
    QueuePageOut,
    RejectIn,
    ReviewQueueQueryIn,
    ShipmentAdminOut,
    ShipmentIn,
)
from admin.security import BEARER, current_staff, staff_required
from app.api import Blueprint
from app.auth.scopes import order_in_scope
from app.core import orders
from app.core.models import Customer, Order, OrderEvent, OrderLine, Product, Shipment
from app.mall import review
from app.validation import paged

bp = Blueprint("admin_orders", __name__, url_prefix="/api/admin/v1", description="订单审核与发货")


def _load(order_ids: list[int]) -> list[Order]:
    query = Order.select(Order, Customer).join(Customer).where(Order.id << order_ids)
    found = prefetch(
        query,
        OrderLine.select(OrderLine, Product).join(Product).order_by(OrderLine.id),
        OrderEvent.select().order_by(OrderEvent.id),
        Shipment.select().order_by(Shipment.id),
    )
    for order in found:
        for shipment in order.shipments:
            shipment.line_items = []
    by_id = {o.id: o for o in found}
    return [by_id[i] for i in order_ids if i in by_id]


def _one(order_id: int) -> Order:
    return _load([order_id])[0]


@bp.get("/orders")
@staff_required("orders.view")
@bp.arguments(AdminOrderQueryIn, location="query")
@bp.response(200, AdminOrderPageOut)
@bp.doc(security=BEARER)
def list_orders(args):
    """Orders in the caller's data scope, newest first."""
    query = queries.orders_query(current_staff(), args)
    total = query.count()
    ids = [o.id for o in query.paginate(args["page"], args["per_page"])]
    return paged(_load(ids), args["page"], args["per_page"], total)


@bp.get("/review-queue")
@staff_required("orders.view")
@bp.arguments(ReviewQueueQueryIn, location="query")
@bp.response(200, QueuePageOut)
@bp.doc(security=BEARER)
def review_queue(args):
    """Orders waiting for review or a signature, oldest first, with credit and stock per line."""
    entries, total = review.review_queue(
        current_staff(), args["page"], args["per_page"], mine=args["mine"]
    )
    return paged(entries, args["page"], args["per_page"], total)


@bp.get("/orders/<id:order_id>")
@staff_required("orders.view")
@bp.response(200, AdminOrderOut)
@bp.doc(security=BEARER)
def get_order(order_id):
    order_in_scope(current_staff(), order_id)
    return _one(order_id)


@bp.patch("/orders/<id:order_id>")
@staff_required("orders.review")
@bp.arguments(AdjustOrderIn)
@bp.response(200, AdminOrderOut)
@bp.doc(security=BEARER)
def adjust_order(data, order_id):
    """Replace the lines of an order awaiting review (quantities, prices), with a reason; audited."""
    review.adjust_lines(order_id, current_staff(), data["lines"], data["reason"])
    return _one(order_id)


@bp.post("/orders/<id:order_id>/approve")
@staff_required("orders.approve")
@bp.arguments(ApproveIn)
@bp.response(200, AdminOrderOut)
@bp.doc(security=BEARER)
def approve_order(data, order_id):
    """Sign the next step; the last signature approves (reserves stock, holds credit)."""
    review.approve(order_id, current_staff(), data["comment"], data["credit_override"])
    return _one(order_id)


@bp.post("/orders/<id:order_id>/reject")
@staff_required("orders.approve")
@bp.arguments(RejectIn)
@bp.response(200, AdminOrderOut)
@bp.doc(security=BEARER)
def reject_order(data, order_id):
    review.reject(order_id, current_staff(), data["reason"])
    return _one(order_id)


@bp.post("/orders/<id:order_id>/shipments")
@staff_required("orders.ship")
@bp.arguments(ShipmentIn)
@bp.response(201, ShipmentAdminOut)
@bp.doc(security=BEARER)
def ship(data, order_id):
    """Ship lines fully or partly with carrier and tracking number."""
    order_in_scope(current_staff(), order_id)
    shipment = orders.ship_order(
        order_id,
        [(ln["order_line_id"], ln["qty"]) for ln in data["lines"]],
        data["carrier"],
        data["tracking_no"],
        f"staff:{current_staff().id}",
    )
    shipment = Shipment.get_by_id(shipment.id)
    shipment.line_items = list(shipment.lines)
    return shipment
