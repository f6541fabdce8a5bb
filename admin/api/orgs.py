"""Organisation and settings: branches, warehouses, staff, announcements, approval rules."""

from __future__ import annotations

from admin.schemas import (
    AnnouncementAdminOut,
    AnnouncementIn,
    BranchOut,
    NamedIn,
    RuleIn,
    RuleListOut,
    RuleOut,
    RulePatchIn,
    RuleQueryIn,
    StaffIn,
    StaffInvitationOut,
    StaffOut,
    StaffPageOut,
    StaffPatchIn,
    WarehouseIn,
    WarehouseOut,
    WechatUserListOut,
)
from admin.security import current_staff, staff_required
from app.api import Blueprint
from app.backoffice import accounts
from app.backoffice import organisation as settings
from app.validation import PageIn, page_of_query

bp = Blueprint("admin_orgs", __name__, url_prefix="/api/admin/v1", description="组织与设置")


@bp.post("/branches")
@staff_required("org.manage")
@bp.arguments(NamedIn)
@bp.response(201, BranchOut)
def create_branch(data):
    return settings.create_branch(current_staff(), data["code"], data["name"])


@bp.post("/warehouses")
@staff_required("org.manage")
@bp.arguments(WarehouseIn)
@bp.response(201, WarehouseOut)
def create_warehouse(data):
    return settings.create_warehouse(
        current_staff(), data["code"], data["name"], data["branch_id"], data["address"]
    )


@bp.post("/staff")
@staff_required("staff.manage")
@bp.arguments(StaffIn)
@bp.response(201, StaffOut)
def add_staff(data):
    """Never a role, data scope or branch above the caller's own (403)."""
    return settings.create_staff(current_staff(), data)


@bp.get("/staff")
@staff_required("staff.manage")
@bp.arguments(PageIn, location="query")
@bp.response(200, StaffPageOut)
def list_staff(args):
    """The accounts in the caller's scope, with their lock state."""
    return page_of_query(settings.staff_list(current_staff()), args)


@bp.patch("/staff/<id:staff_id>")
@staff_required("staff.manage")
@bp.arguments(StaffPatchIn)
@bp.response(200, StaffOut)
def update_staff(data, staff_id):
    """Disable or re-enable an account in the caller's scope: every older token and console
    session of it stops working at once."""
    return settings.set_staff_active(current_staff(), staff_id, data["active"])


@bp.post("/staff/<id:staff_id>/invitations")
@staff_required("staff.manage")
@bp.response(201, StaffInvitationOut)
def invite_staff(staff_id):
    """A single-use code (7 days) that binds this staff member's WeChat: WeChat messages for new
    orders, approval steps and orders to ship, and review on the phone at /h5/staff/."""
    return accounts.invite_staff(current_staff(), staff_id)


@bp.get("/staff/<id:staff_id>/wechat-users")
@staff_required("staff.manage")
@bp.response(200, WechatUserListOut)
def staff_wechat_users(staff_id):
    """The WeChat users bound to this staff member (DELETE /wechat-users/{id} unbinds one)."""
    return {"items": accounts.staff_wechat_users(current_staff(), staff_id)}


@bp.post("/staff/<id:staff_id>/unlock")
@staff_required("staff.manage")
@bp.response(200, StaffOut)
def unlock_staff(staff_id):
    """Lift a lockout after repeated failed passwords before its 15 minutes are over."""
    return settings.unlock_staff(current_staff(), staff_id)


@bp.post("/announcements")
@staff_required("announcements.manage")
@bp.arguments(AnnouncementIn)
@bp.response(201, AnnouncementAdminOut)
def publish(data):
    """To one branch's dealers (branch_id), or to every dealer (null: scope `all` only)."""
    return settings.publish_announcement(current_staff(), data)


@bp.get("/approval-rules")
@staff_required("rules.view")
@bp.arguments(RuleQueryIn, location="query")
@bp.response(200, RuleListOut)
def list_rules(args):
    """Every rule, by priority; `document` narrows them to one document type."""
    return {"items": list(settings.approval_rules(current_staff(), args.get("document")))}


@bp.post("/approval-rules")
@staff_required("rules.manage")
@bp.arguments(RuleIn)
@bp.response(201, RuleOut)
def create_rule(data):
    """Conditions: min_amount, max_amount, branch_ids, customer_ids, min_discount_pct, credit_exceeded."""
    return settings.create_rule(current_staff(), data)


@bp.patch("/approval-rules/<int:rule_id>")
@staff_required("rules.manage")
@bp.arguments(RulePatchIn)
@bp.response(200, RuleOut)
def update_rule(data, rule_id):
    """Change any of a rule's fields; orders and returns already reviewed keep their steps."""
    return settings.update_rule(current_staff(), rule_id, data)
