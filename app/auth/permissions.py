"""Staff roles, their labels, data scopes and what each role may do. Pure: no I/O, no models."""

from __future__ import annotations

ROLES = (
    "admin",
    "customer_service",
    "branch_manager",
    "hq_approver",
    "warehouse",
    "finance",
    "rep",
)
ROLE_LABELS = {
    "admin": "管理员",
    "customer_service": "客服",
    "branch_manager": "分公司经理",
    "hq_approver": "总部审批人",
    "warehouse": "仓库",
    "finance": "财务",
    "rep": "业务员",
}
DATA_SCOPES = ("all", "branch", "own")

EVERYONE = frozenset(ROLES)
ADMINS = frozenset({"admin"})
SERVICE = frozenset({"admin", "customer_service"})
MANAGERS = frozenset({"admin", "branch_manager", "hq_approver"})

# What each role may do. Reading an order or a customer also needs it to be in the data scope.
PERMISSIONS: dict[str, frozenset[str]] = {
    "orders.view": EVERYONE,
    "orders.review": SERVICE,
    "orders.approve": EVERYONE - {"warehouse", "rep"},
    "orders.ship": frozenset({"admin", "warehouse"}),
    "receipts.create": frozenset({"admin", "finance"}),
    "reports.ar": MANAGERS | {"finance"},
    "customers.view": EVERYONE - {"warehouse"},
    "customers.manage": ADMINS,
    "invitations.create": SERVICE,
    "catalog.view": EVERYONE,
    "catalog.manage": ADMINS,
    "stock.view": MANAGERS | {"warehouse", "customer_service"},
    "stock.manage": frozenset({"admin", "warehouse"}),
    "org.manage": ADMINS,
    "staff.manage": ADMINS,
    "rules.view": MANAGERS | {"customer_service"},
    "rules.manage": ADMINS,
    "announcements.manage": SERVICE,
    "field.view": MANAGERS | {"customer_service", "rep"},
    "field.manage": frozenset({"admin", "branch_manager"}),
    "notifications.view": SERVICE,
    "notifications.manage": SERVICE,
}


def may(role: str | None, permission: str) -> bool:
    return role in PERMISSIONS[permission]
