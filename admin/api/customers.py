"""Customers (in the caller's scope), invitations, receipts, AR aging."""

from __future__ import annotations

from admin.api.blueprint import StaffBlueprint
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
from admin.security import current_staff
from app.auth.scopes import customer_in_scope
from app.backoffice import accounts, queries
from app.schemas import ReceiptOut
from app.validation import WholeListIn, page_of_list

bp = StaffBlueprint("admin_customers", __name__, "客户与应收")


@bp.listing("/customers", "customers.view", CustomerQueryIn, CustomerPageOut)
def list_customers(args):
    return queries.customers_query(current_staff(), args.get("q"), args.get("branch_id"))


bp.detail(
    "get_customer", "/customers/<id:customer_id>", "customers.view", CustomerOut, customer_in_scope
)


@bp.post("/customers")
@bp.staff("customers.manage", body=CustomerIn, status=201, out=CustomerOut)
def create_customer(data):
    return accounts.create_customer(current_staff(), data)


@bp.patch("/customers/<id:customer_id>")
@bp.staff("customers.manage", body=CustomerPatchIn, out=CustomerOut)
def update_customer(data, customer_id):
    return accounts.update_customer(current_staff(), customer_id, data)


@bp.post("/customers/<id:customer_id>/invitations")
@bp.staff("invitations.create", body=InvitationIn, status=201, out=InvitationOut)
def create_invitation(data, customer_id):
    """A single-use code (valid 7 days) that binds a dealer's WeChat to this customer."""
    invitation = accounts.invite_dealer(current_staff(), customer_id, data["role"])
    invitation.qr_url = None
    return invitation


@bp.get("/customers/<id:customer_id>/wechat-users")
@bp.staff("customers.manage", query=WholeListIn, out=WechatUserListOut)
def customer_wechat_users(args, customer_id):
    """The WeChat users bound to this customer (its dealers), to unbind a lost phone."""
    return page_of_list(accounts.customer_wechat_users(current_staff(), customer_id), args)


@bp.delete("/wechat-users/<id:wechat_user_id>")
@bp.staff(None, out=WechatUserOut)
def unbind_wechat_user(wechat_user_id):
    """End a WeChat user's binding to a customer (needs customers.manage) or to a staff member
    (staff.manage): its tokens and H5 sessions then carry no role; binding again takes a new
    invitation."""
    return accounts.unbind_wechat_user(current_staff(), wechat_user_id)


@bp.post("/customers/<id:customer_id>/receipts")
@bp.staff("receipts.create", body=ReceiptIn, status=201, out=ReceiptOut)
def record_receipt(data, customer_id):
    """Money received: applied to the oldest open receivables first, the rest kept on account.
    `received_at` (optional, YYYY-MM-DD): the day the money arrived, today or earlier."""
    return accounts.record_receipt(
        current_staff(),
        customer_id,
        data["amount"],
        data["method"],
        data["reference"],
        data.get("received_at"),
    )


@bp.get("/reports/ar-aging")
@bp.staff("reports.ar", query=AgingQueryIn, out=AgingOut)
def ar_aging(args):
    """Open receivables per customer in 0-30 / 31-60 / 61-90 / 90+ day buckets, as of a date."""
    return queries.aging_for(current_staff(), args.get("as_of"), args.get("branch_id"))
