"""Organisation and settings for staff: branches, warehouses, staff accounts, announcements,
approval rules, replenishment defaults. Every write stays inside the caller's data scope, and
settings that apply to every branch need scope `all` (invariant 6)."""

from __future__ import annotations

from app.approval import services as approvals
from app.approval.models import ApprovalRule
from app.auth import services as staff_accounts
from app.auth.scopes import (
    customer_in_scope,
    require,
    require_all_scope,
    require_branch,
    staff_condition,
)
from app.core import organisation
from app.core.models import Branch, Staff, Warehouse
from app.field import replenishment
from app.field.models import ReplenishmentSetting
from app.mall import announcements
from app.mall.models import Announcement


def create_branch(staff: Staff, code: str, name: str) -> Branch:
    require(staff, "org.manage")
    require_all_scope(staff)
    return organisation.create_branch(code, name)


def create_warehouse(
    staff: Staff, code: str, name: str, branch_id: int | None, address: str = ""
) -> Warehouse:
    """A warehouse of the caller's branch (of any branch, or HQ's, for scope `all`)."""
    require(staff, "org.manage")
    require_branch(staff, branch_id)
    return organisation.create_warehouse(code, name, branch_id, address)


def staff_list(staff: Staff):
    """The accounts a staff member may see and manage."""
    require(staff, "staff.manage")
    query = Staff.select()
    condition = staff_condition(staff)
    return (query if condition is None else query.where(condition)).order_by(
        Staff.role, Staff.username
    )


def create_staff(staff: Staff, data: dict) -> Staff:
    """Never a role, data scope or branch above the creator's. Raises: Forbidden, ..."""
    return staff_accounts.create_staff(**data, by=staff)


def set_staff_active(staff: Staff, staff_id: int, active: bool) -> Staff:
    return staff_accounts.set_active(staff_id, active, staff)


def unlock_staff(staff: Staff, staff_id: int) -> Staff:
    return staff_accounts.unlock(staff_id, staff)


def reset_staff_password(staff: Staff, staff_id: int, password: str) -> Staff:
    return staff_accounts.reset_password(staff_id, password, staff)


def change_staff_role(staff: Staff, staff_id: int, data: dict) -> Staff:
    return staff_accounts.change_role(
        staff_id, data["role"], staff, data_scope=data["data_scope"], branch_id=data["branch_id"]
    )


def latest_announcements(staff: Staff, limit: int = 100) -> list[Announcement]:
    """The announcements published last, newest first."""
    require(staff, "announcements.manage")
    return list(Announcement.select().order_by(Announcement.published_at.desc()).limit(limit))


def publish_announcement(staff: Staff, data: dict) -> Announcement:
    """To the dealers of the caller's branch; to every dealer only with scope `all`."""
    require(staff, "announcements.manage")
    require_branch(staff, data["branch_id"])
    return announcements.publish(
        data["title"],
        data["body"],
        branch_id=data["branch_id"],
        pinned=data["pinned"],
        expires_at=data["expires_at"],
        created_by=staff.id,
    )


def create_rule(staff: Staff, data: dict) -> ApprovalRule:
    """Approval rules apply to every branch: scope `all` only."""
    require(staff, "rules.manage")
    require_all_scope(staff)
    return approvals.create_rule(
        data["name"],
        data["condition"],
        data["steps"],
        data["priority"],
        document=data.get("document", "order"),
    )


def update_rule(staff: Staff, rule_id: int, changes: dict) -> ApprovalRule:
    require(staff, "rules.manage")
    require_all_scope(staff)
    return approvals.update_rule(rule_id, **changes)


def set_rule_active(staff: Staff, rule_id: int, active: bool) -> ApprovalRule:
    require(staff, "rules.manage")
    require_all_scope(staff)
    return approvals.set_rule_active(rule_id, active)


def approval_rules(staff: Staff, document: str | None = None):
    """Every approval rule (of one document type), by priority."""
    require(staff, "rules.view")
    return approvals.rules(document)


def save_replenishment(staff: Staff, customer_id: int | None, values: dict) -> ReplenishmentSetting:
    """One customer's method (in the caller's scope), or the default for all (scope `all`)."""
    require(staff, "field.manage")
    if customer_id is None:
        require_all_scope(staff)
    else:
        customer_in_scope(staff, customer_id)
    return replenishment.save_settings(customer_id, **values)
