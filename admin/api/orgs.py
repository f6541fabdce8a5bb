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
    StaffIn,
    StaffOut,
    WarehouseIn,
    WarehouseOut,
)
from admin.security import current_staff, staff_required
from app.api import Blueprint
from app.auth.services import create_staff
from app.core import organisation
from app.mall import announcements, review
from app.mall.models import ApprovalRule

bp = Blueprint("admin_orgs", __name__, url_prefix="/api/admin/v1", description="组织与设置")


@bp.post("/branches")
@staff_required("org.manage")
@bp.arguments(NamedIn)
@bp.response(201, BranchOut)
def create_branch(data):
    return organisation.create_branch(data["code"], data["name"])


@bp.post("/warehouses")
@staff_required("org.manage")
@bp.arguments(WarehouseIn)
@bp.response(201, WarehouseOut)
def create_warehouse(data):
    return organisation.create_warehouse(
        data["code"], data["name"], data["branch_id"], data["address"]
    )


@bp.post("/staff")
@staff_required("staff.manage")
@bp.arguments(StaffIn)
@bp.response(201, StaffOut)
def add_staff(data):
    return create_staff(**data)


@bp.post("/announcements")
@staff_required("announcements.manage")
@bp.arguments(AnnouncementIn)
@bp.response(201, AnnouncementAdminOut)
def publish(data):
    return announcements.publish(
        data["title"],
        data["body"],
        branch_id=data["branch_id"],
        pinned=data["pinned"],
        expires_at=data["expires_at"],
        created_by=current_staff().id,
    )


@bp.get("/approval-rules")
@staff_required("rules.view")
@bp.response(200, RuleListOut)
def list_rules():
    rules = ApprovalRule.select().order_by(ApprovalRule.priority, ApprovalRule.id)
    return {"items": list(rules)}


@bp.post("/approval-rules")
@staff_required("rules.manage")
@bp.arguments(RuleIn)
@bp.response(201, RuleOut)
def create_rule(data):
    """Conditions: min_amount, max_amount, branch_ids, customer_ids, min_discount_pct, credit_exceeded."""
    return review.create_rule(data["name"], data["condition"], data["steps"], data["priority"])
