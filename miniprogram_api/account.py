"""The dealer's account (credit, balance, statement), announcements, addresses, stock/sales reports."""

from __future__ import annotations

from flask import current_app

from app.api import Blueprint, page_from
from app.core import receivables
from app.field import replenishment, reports
from app.mall import addresses as customer_addresses
from app.mall import announcements, cart
from app.schemas import AddressChangeIn, AddressIn, AddressOut, SuggestionsOut
from app.timeutil import local_today
from app.validation import PageIn, WholeListIn, page_of_list
from miniprogram_api.schemas import (
    AccountOut,
    AddressListOut,
    AnnouncementPageOut,
    CartOut,
    StatementOut,
    StatementQueryIn,
    StockSalesIn,
    StockSalesReportOut,
)
from miniprogram_api.security import current_customer, current_user, dealer_required

bp = Blueprint("mp_account", __name__, url_prefix="/api/mp/v1", description="账户、公告与上报")


@bp.get("/account")
@dealer_required
@bp.response(200, AccountOut)
def account():
    """Credit limit, receivable, open orders, available credit, prepaid balance."""
    return receivables.account_position(current_customer().id)


@bp.get("/account/statement")
@dealer_required
@bp.arguments(StatementQueryIn, location="query")
@bp.response(200, StatementOut)
def statement(args):
    """Account ledger between two dates (default: the last 30 days, at most a year) with a
    running balance."""
    return receivables.account_statement(
        current_customer().id, args.get("date_from"), args.get("date_to"), local_today()
    )


@bp.get("/announcements")
@dealer_required
@bp.arguments(PageIn, location="query")
@bp.response(200, AnnouncementPageOut)
def list_announcements(args):
    return page_from(announcements.for_branch, args, current_customer().branch_id)


@bp.get("/addresses")
@dealer_required
@bp.arguments(WholeListIn, location="query")
@bp.response(200, AddressListOut)
def addresses(args):
    """Delivery addresses of this dealer (the `address_id` of an order), the default first."""
    return page_of_list(customer_addresses.addresses_of(current_customer().id), args)


@bp.post("/addresses")
@dealer_required
@bp.arguments(AddressIn)
@bp.response(201, AddressOut)
def add_address(data):
    """A new delivery address; the first one, or one sent with `default: true`, is the default."""
    return customer_addresses.add(current_customer().id, data)


@bp.patch("/addresses/<id:address_id>")
@dealer_required
@bp.arguments(AddressChangeIn(partial=True))
@bp.response(200, AddressOut)
def change_address(data, address_id):
    """Change some fields; `default: true` makes this the default address."""
    return customer_addresses.update(current_customer().id, address_id, data)


@bp.delete("/addresses/<id:address_id>")
@dealer_required
@bp.response(200, AddressOut)
def delete_address(address_id):
    """The address as it was; orders already sent to it keep their copy. When it was the default,
    the oldest remaining address becomes the default."""
    return customer_addresses.delete(current_customer().id, address_id)


@bp.get("/replenishment")
@dealer_required
@bp.response(200, SuggestionsOut)
def replenishment_suggestions():
    """What to order now, from the stock and sales this dealer (or their rep) reported."""
    return replenishment.suggestions_view(current_customer().id)


@bp.post("/replenishment/to-cart")
@dealer_required
@bp.response(200, CartOut)
def replenishment_to_cart():
    """Put every positive suggestion in the cart (the dealer reviews it before ordering)."""
    replenishment.fill_cart(current_user().id, current_customer().id)
    return cart.view_cart(
        current_user().id, current_customer(), current_app.config["LOW_STOCK_THRESHOLD"]
    )


@bp.post("/reports/stock-sales")
@dealer_required
@bp.arguments(StockSalesIn)
@bp.response(201, StockSalesReportOut)
def report_stock_sales(data):
    """The dealer reports their own stock and sales per product (feeds replenishment)."""
    report = reports.submit_report(
        current_customer().id,
        data["period_end"],
        data["lines"],
        source="dealer",
        user_id=current_user().id,
    )
    return {
        "id": report.id,
        "period_end": report.period_end,
        "source": report.source,
        "created_at": report.created_at,
        "lines": data["lines"],
    }
