"""Organisation and settings: branches, warehouses, staff, announcements, approval rules."""

from __future__ import annotations

from admin.api.blueprint import StaffBlueprint
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
from admin.security import current_staff
from app.backoffice import accounts
from app.backoffice import organisation as settings
from app.validation import PageIn, WholeListIn, page_of_list

bp = StaffBlueprint("admin_orgs", __name__, "组织与设置")


@bp.post("/branches")
@bp.staff("org.manage", body=NamedIn, status=201, out=BranchOut)
def create_branch(data):
    return settings.create_branch(current_staff(), data["code"], data["name"])


@bp.post("/warehouses")
@bp.staff("org.manage", body=WarehouseIn, status=201, out=WarehouseOut)
def create_warehouse(data):
    return settings.create_warehouse(
        current_staff(), data["code"], data["name"], data["branch_id"], data["address"]
    )


@bp.post("/staff")
@bp.staff("staff.manage", body=StaffIn, status=201, out=StaffOut)
def add_staff(data):
    """Never a role, data scope or branch above the caller's own (403)."""
    return settings.create_staff(current_staff(), data)


@bp.listing("/staff", "staff.manage", PageIn, StaffPageOut)
def list_staff(args):
    """The accounts in the caller's scope, with their lock state."""
    return settings.staff_list(current_staff())


@bp.patch("/staff/<id:staff_id>")
@bp.staff("staff.manage", body=StaffPatchIn, out=StaffOut)
def update_staff(data, staff_id):
    """Disable or re-enable an account in the caller's scope: every older token and console
    session of it stops working at once."""
    return settings.set_staff_active(current_staff(), staff_id, data["active"])


@bp.post("/staff/<id:staff_id>/invitations")
@bp.staff("staff.manage", status=201, out=StaffInvitationOut)
def invite_staff(staff_id):
    """A single-use code (7 days) that binds this staff member's WeChat: WeChat messages for new
    orders, approval steps and orders to ship, and review on the phone at /h5/staff/."""
    return accounts.invite_staff(current_staff(), staff_id)


@bp.get("/staff/<id:staff_id>/wechat-users")
@bp.staff("staff.manage", query=WholeListIn, out=WechatUserListOut)
def staff_wechat_users(args, staff_id):
    """The WeChat users bound to this staff member (DELETE /wechat-users/{id} unbinds one)."""
    return page_of_list(accounts.staff_wechat_users(current_staff(), staff_id), args)


@bp.post("/staff/<id:staff_id>/unlock")
@bp.staff("staff.manage", out=StaffOut)
def unlock_staff(staff_id):
    """Lift a lockout after repeated failed passwords before its 15 minutes are over."""
    return settings.unlock_staff(current_staff(), staff_id)


@bp.post("/announcements")
@bp.staff("announcements.manage", body=AnnouncementIn, status=201, out=AnnouncementAdminOut)
def publish(data):
    """To one branch's dealers (branch_id), or to every dealer (null: scope `all` only)."""
    return settings.publish_announcement(current_staff(), data)


@bp.get("/approval-rules")
@bp.staff("rules.view", query=RuleQueryIn, out=RuleListOut)
def list_rules(args):
    """Every rule, by priority; `document` narrows them to one document type."""
    return page_of_list(settings.approval_rules(current_staff(), args.get("document")), args)


@bp.post("/approval-rules")
@bp.staff("rules.manage", body=RuleIn, status=201, out=RuleOut)
def create_rule(data):
    """Conditions: min_amount, max_amount, branch_ids, customer_ids, min_discount_pct, credit_exceeded."""
    return settings.create_rule(current_staff(), data)


@bp.patch("/approval-rules/<int:rule_id>")
@bp.staff("rules.manage", body=RulePatchIn, out=RuleOut)
def update_rule(data, rule_id):
    """Change any of a rule's fields; orders and returns already reviewed keep their steps."""
    return settings.update_rule(current_staff(), rule_id, data)
