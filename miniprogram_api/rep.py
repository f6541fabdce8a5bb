"""Sales reps on their phones: customers and today's plan, visits with GPS check-in, shelf
photos, stock/sales reports, orders on the dealer's behalf, check-out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, g

from app.api import Blueprint
from app.core.orders import LineRequest
from app.extensions import limited
from app.field import replenishment, visits
from app.mall import cart, ordering
from app.schemas import OrderOut, SuggestionsOut
from app.validation import WholeListIn, page_of_list
from miniprogram_api.schemas import (
    CartOut,
    CheckInIn,
    GeoIn,
    IdempotencyHeaderIn,
    PhotoOut,
    PlaceOrderIn,
    RepCustomerListOut,
    ReportLinesIn,
    StockSalesReportOut,
    VisitOut,
)
from miniprogram_api.security import current_user, login_required
from miniprogram_api.uploads import PHOTO_UPLOAD, uploaded_photo

if TYPE_CHECKING:
    from app.core.models import Staff


bp = Blueprint("mp_rep", __name__, url_prefix="/api/mp/v1/rep", description="业务员拜访")
rep_required = login_required("rep")


def current_rep() -> Staff:
    return g.mp_user.staff


@bp.get("/customers")
@rep_required
@bp.arguments(WholeListIn, location="query")
@bp.response(200, RepCustomerListOut)
def customers(args):
    """The rep's customers with location, last visit and when the next visit is due."""
    return page_of_list(visits.rep_customers(current_rep()), args)


@bp.get("/plan")
@rep_required
@bp.arguments(WholeListIn, location="query")
@bp.response(200, RepCustomerListOut)
def plan(args):
    """Today's visit plan: customers due by their visit frequency, most overdue first."""
    return page_of_list(visits.today_plan(current_rep()), args)


@bp.post("/visits")
@rep_required
@bp.arguments(CheckInIn)
@bp.response(201, VisitOut)
def check_in(data):
    """Check in at a customer's store; farther than CHECKIN_RADIUS_M is `too_far` 422."""
    return visits.check_in(
        current_rep(),
        data["customer_id"],
        data["lat"],
        data["lng"],
        current_app.config["CHECKIN_RADIUS_M"],
        cart_user_id=current_user().id,
    )


@bp.post("/visits/<id:visit_id>/photos")
@rep_required
@bp.response(201, PhotoOut)
@bp.doc(**PHOTO_UPLOAD)
def upload_photo(visit_id):
    """A shelf photo (JPEG, PNG or WebP, at most PHOTO_MAX_BYTES)."""
    return visits.add_photo(current_rep(), visit_id, *uploaded_photo())


@bp.post("/visits/<id:visit_id>/report")
@rep_required
@bp.arguments(ReportLinesIn)
@bp.response(201, StockSalesReportOut)
def report(data, visit_id):
    """The dealer's stock and sales per product, counted on the shelf."""
    saved = visits.report(current_rep(), visit_id, data["lines"])
    return {
        "id": saved.id,
        "period_end": saved.period_end,
        "source": saved.source,
        "created_at": saved.created_at,
        "lines": data["lines"],
    }


@bp.post("/visits/<id:visit_id>/checkout")
@rep_required
@bp.arguments(GeoIn)
@bp.response(200, VisitOut)
def check_out(data, visit_id):
    return visits.check_out(current_rep(), visit_id, data["lat"], data["lng"])


@bp.post("/visits/<id:visit_id>/orders")
@limited("RATELIMIT_ORDERS", "orders")
@rep_required
@bp.idempotent(IdempotencyHeaderIn, PlaceOrderIn, OrderOut, "同一 Idempotency-Key 的重复提交")
def order_for_dealer(headers, data, visit_id):
    """Order on the dealer's behalf during a visit: same rules as a dealer order, placed by the rep."""
    visit = visits.own_visit(current_rep(), visit_id)
    order, created = ordering.submit_order(
        visit.customer_id,
        [LineRequest(ln["product_id"], ln["qty"], ln.get("unit")) for ln in data["lines"]],
        idempotency_key=headers.get("idempotency_key"),
        remark=data["remark"],
        address_id=data["address_id"],
        placed_by=visits.placed_by_rep(current_rep().id),
        source="rep",
        cart_user_id=current_user().id,  # what was ordered leaves the visit's cart
    )
    return order, 201 if created else 200


def _visit_cart(visit):
    return cart.view_cart(
        current_user().id, visit.customer, current_app.config["LOW_STOCK_THRESHOLD"]
    )


@bp.get("/visits/<id:visit_id>/cart")
@rep_required
@bp.response(200, CartOut)
def visit_cart(visit_id):
    """The rep's cart for the store being visited, at that dealer's prices and stock status."""
    return _visit_cart(visits.own_visit(current_rep(), visit_id))


@bp.post("/visits/<id:visit_id>/cart/suggestions")
@rep_required
@bp.response(200, CartOut)
def suggestions_to_cart(visit_id):
    """Fill the visit's cart with the store's replenishment suggestions (replacing what was
    there); the rep reviews it with the dealer, then orders with POST /visits/{id}/orders."""
    visit = visits.own_visit(current_rep(), visit_id)
    replenishment.fill_cart(current_user().id, visit.customer_id, replace=True)
    return _visit_cart(visit)


@bp.get("/customers/<id:customer_id>/suggestions")
@rep_required
@bp.response(200, SuggestionsOut)
def suggestions(customer_id):
    """Replenishment suggestions for one of the rep's customers."""
    visits.own_customer(current_rep(), customer_id)
    return replenishment.suggestions_view(customer_id)
