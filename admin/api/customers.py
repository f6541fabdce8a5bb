"""Customers (in the caller's scope), invitations, receipts, AR aging."""

from __future__ import annotations

from admin.schemas import (
    AgingOut,
    AgingQueryIn,
    CustomerIn,
    CustomerOut,
    CustomerPageOut,
    CustomerPatchIn,
    CustomerQueryIn,
    InvitationIn,
    InvitationOut,
    ReceiptIn,
    WechatUserListOut,
    WechatUserOut,
)
from admin.security import current_staff, staff_required
from app.api import Blueprint
from app.auth.scopes import customer_in_scope
from app.backoffice import accounts, queries
from app.schemas import ReceiptOut
from app.validation import page_of_query

bp = Blueprint("admin_customers", __name__, url_prefix="/api/admin/v1", description="客户与应收")


@bp.get("/customers")
@staff_required("customers.view")
@bp.arguments(CustomerQueryIn, location="query")
@bp.response(200, CustomerPageOut)
def list_customers(args):
    query = queries.customers_query(current_staff(), args.get("q"), args.get("branch_id"))
    return page_of_query(query, args)


@bp.get("/customers/<id:customer_id>")
@staff_required("customers.view")
@bp.response(200, CustomerOut)
def get_customer(customer_id):
    return customer_in_scope(current_staff(), customer_id)


@bp.post("/customers")
@staff_required("customers.manage")
@bp.arguments(CustomerIn)
@bp.response(201, CustomerOut)
def create_customer(data):
    return accounts.create_customer(current_staff(), data)


@bp.patch("/customers/<id:customer_id>")
@staff_required("customers.manage")
@bp.arguments(CustomerPatchIn)
@bp.response(200, CustomerOut)
def update_customer(data, customer_id):
    return accounts.update_customer(current_staff(), customer_id, data)


@bp.post("/customers/<id:customer_id>/invitations")
@staff_required("invitations.create")
@bp.arguments(InvitationIn)
@bp.response(201, InvitationOut)
def create_invitation(data, customer_id):
    """A single-use code (valid 7 days) that binds a dealer's WeChat to this customer."""
    invitation = accounts.invite_dealer(current_staff(), customer_id, data["role"])
    invitation.qr_url = None
    return invitation


@bp.get("/customers/<id:customer_id>/wechat-users")
@staff_required("customers.manage")
@bp.response(200, WechatUserListOut)
def customer_wechat_users(customer_id):
    """The WeChat users bound to this customer (its dealers), to unbind a lost phone."""
    return {"items": accounts.customer_wechat_users(current_staff(), customer_id)}


@bp.delete("/wechat-users/<id:wechat_user_id>")
@staff_required(None)
@bp.response(200, WechatUserOut)
def unbind_wechat_user(wechat_user_id):
    """End a WeChat user's binding to a customer (needs customers.manage) or to a staff member
    (staff.manage): its tokens and H5 sessions then carry no role; binding again takes a new
    invitation."""
    return accounts.unbind_wechat_user(current_staff(), wechat_user_id)


@bp.post("/customers/<id:customer_id>/receipts")
@staff_required("receipts.create")
@bp.arguments(ReceiptIn)
@bp.response(201, ReceiptOut)
def record_receipt(data, customer_id):
    """Money received: applied to the oldest open receivables first, the rest kept on account."""
    return accounts.record_receipt(
        current_staff(), customer_id, data["amount"], data["method"], data["reference"]
    )


@bp.get("/reports/ar-aging")
@staff_required("reports.ar")
@bp.arguments(AgingQueryIn, location="query")
@bp.response(200, AgingOut)
def ar_aging(args):
    """Open receivables per customer in 0-30 / 31-60 / 61-90 / 90+ day buckets, as of a date."""
    return queries.aging_for(current_staff(), args.get("as_of"), args.get("branch_id"))
