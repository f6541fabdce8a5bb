"""Staff roles, their labels, data scopes and what each role may do. Pure: no I/O, no models."""

from __future__ import annotations

ROLE_LABELS = {
    "admin": "管理员",
    "customer_service": "客服",
    "branch_manager": "分公司经理",
    "hq_approver": "总部审批人",
    "warehouse": "仓库",
    "finance": "财务",
    "rep": "业务员",
}
ROLES = tuple(ROLE_LABELS)
DATA_SCOPES = ("all", "branch", "own")
DATA_SCOPE_LABELS = {"all": "全部", "branch": "本分支机构", "own": "本人客户"}

EVERYONE = frozenset(ROLES)
ADMINS = frozenset({"admin"})
SERVICE = frozenset({"admin", "customer_service"})
MANAGERS = frozenset({"admin", "branch_manager", "hq_approver"})

# What each role may do. Reading an order or a customer also needs it to be in the data scope.
PERMISSIONS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("orders.view", "catalog.view"), EVERYONE),
    **dict.fromkeys(
        (
            "orders.review",
            "invitations.create",
            "announcements.manage",
            "notifications.view",
            "notifications.manage",
        ),
        SERVICE,
    ),
    **dict.fromkeys(
        (
            "customers.manage",
            "catalog.manage",
            "org.manage",
            "staff.manage",
            "rules.manage",
            "integrations.manage",
        ),
        ADMINS,
    ),
    **dict.fromkeys(("orders.ship", "stock.manage"), frozenset({"admin", "warehouse"})),
    "orders.approve": EVERYONE - {"warehouse", "rep"},
    # 代下单: customer service (and reps, for their own customers) order for a dealer.
    "orders.place": SERVICE | {"rep"},
    "customers.view": EVERYONE - {"warehouse"},
    "receipts.create": frozenset({"admin", "finance"}),
    # 作废 a receipt recorded by mistake: finance's, as recording it is.
    "receipts.void": frozenset({"admin", "finance"}),
    # WeChat Pay: payments, refunds, reconciliation, invoices, statement confirmations.
    "payments.view": MANAGERS | {"finance", "customer_service"},
    **dict.fromkeys(("payments.refund", "invoices.issue"), frozenset({"admin", "finance"})),
    "reports.ar": MANAGERS | {"finance"},
    # Finance reads stock at cost (存货), without changing it.
    "stock.view": MANAGERS | {"warehouse", "customer_service", "finance"},
    "rules.view": MANAGERS | {"customer_service"},
    "field.view": MANAGERS | {"customer_service", "rep"},
    "field.manage": frozenset({"admin", "branch_manager"}),
    # Online shops: authorising shops is an admin's; mapping platform SKUs to ours is also the
    # e-commerce operator's (customer service), who meets unmapped SKUs in the order queue;
    # working the queue (merge, split, waybills, ship) is customer service's and the warehouse's.
    "shops.view": frozenset({"admin", "customer_service", "warehouse", "hq_approver"}),
    # Shop orders are read by whoever sees shops, and by finance (shop revenue), without acting.
    "shop_orders.view": frozenset(
        {"admin", "customer_service", "warehouse", "hq_approver", "finance"}
    ),
    "shops.manage": ADMINS,
    "shops.map": SERVICE,
    "shops.work": frozenset({"admin", "customer_service", "warehouse"}),
    # Promotions (特价, 阶梯价, 满减, 满赠): set by whoever sets prices; seen by whoever talks to
    # dealers or reviews their orders.
    "promotions.manage": ADMINS,
    "promotions.view": EVERYONE - {"warehouse"},
    # Customer fees (进场费, 促销费, 返利, 陈列费): recorded by finance and managers, in scope.
    "fees.manage": frozenset({"admin", "finance", "branch_manager"}),
}


def may(role: str | None, permission: str) -> bool:
    return role in PERMISSIONS[permission]
