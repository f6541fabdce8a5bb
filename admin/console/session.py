"""Console sessions: who is signed in (idle and absolute expiry), CSRF on every POST, the menu and
the permission checks pages use."""

from __future__ import annotations

import time
from functools import wraps
from typing import TYPE_CHECKING

from flask import (
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)

from admin.console.blueprint import bp
from app.auth import services as staff_services
from app.auth.permissions import ROLE_LABELS
from app.auth.scopes import PERMISSIONS
from app.backoffice import todo
from app.errors import Forbidden
from app.http import page_security_headers, qr_data_uri
from app.notify import reach

if TYPE_CHECKING:
    from app.core.models import Staff


# Menu entries: (endpoint, label, permission). Each role sees the ones it may use. The settings
# a role changes now and then sit under one 设置 entry of the wide menu (SETTINGS), so the bar
# stays a row at 1366 px; the narrow menu lists every entry.
MENU = (
    ("console.dashboard", "概览", "orders.view"),
    ("console.review_queue", "待审订单", "orders.view"),
    ("console.orders", "订单", "orders.view"),
    ("console.new_order", "代客下单", "orders.place"),
    ("console.returns_list", "退货", "orders.view"),
    ("console.customers", "客户", "customers.view"),
    ("console.customer_fees", "客户费用", "customers.view"),
    ("console.products", "商品与价格", "catalog.view"),
    ("console.styles_page", "款式", "catalog.view"),
    ("console.promotions", "促销", "promotions.view"),
    ("console.stock", "库存", "stock.view"),
    ("console.shop_orders", "打单发货", "shop_orders.view"),
    ("console.shops_page", "网店管理", "shops.view"),
    ("console.sales_reports", "报表", "reports.ar"),
    ("console.aging", "应收账龄", "reports.ar"),
    ("console.receipts_list", "收款与发票", "payments.view"),
    ("console.visits", "拜访", "field.view"),
    ("console.field_reports", "进销存上报", "field.view"),
    ("console.announcements", "公告", "announcements.manage"),
    ("console.notifications", "消息通知", "notifications.view"),
    ("console.rules", "审批规则", "rules.view"),
    ("console.staff", "员工", "staff.manage"),
    ("console.organisation_page", "机构与仓库", "org.manage"),
    ("console.integrations", "对接 ERP", "integrations.manage"),
)
SETTINGS = frozenset(
    {
        "console.announcements",
        "console.notifications",
        "console.rules",
        "console.staff",
        "console.organisation_page",
        "console.integrations",
    }
)
# A role that reads shop orders without packing them (finance) reads them as 网店订单.
READ_ONLY_LABELS = {"console.shop_orders": ("shops.work", "网店订单")}


def _menu() -> list[tuple[str, str]]:
    """(endpoint, label) of each entry the signed-in staff member may use."""
    found = []
    for endpoint, label, permission in MENU:
        if not may(permission):
            continue
        works, reads_as = READ_ONLY_LABELS.get(endpoint, (permission, label))
        found.append((endpoint, label if may(works) else reads_as))
    return found


def _wide(menu: list[tuple[str, str]]) -> list[tuple[str, str, list]]:
    """The wide menu: (endpoint, label, []) entries, and one ("", "设置", entries) holding the
    settings when there are two or more of them."""
    settings = [entry for entry in menu if entry[0] in SETTINGS]
    if len(settings) < 2:
        return [(e, label, []) for e, label in menu]
    wide = [(e, label, []) for e, label in menu if e not in SETTINGS]
    return [*wide, ("", "设置", settings)]


def may(permission: str) -> bool:
    staff = g.get("staff")
    return staff is not None and staff.role in PERMISSIONS[permission]


@bp.before_request
def _load_staff():
    """Who is signed in and whether the session is stale (CSRF and the form's values are checked
    before this, by the blueprint: app.pages.page_blueprint)."""
    g.staff = None
    staff_id = session.get("staff_id")
    if staff_id is None:
        return
    now = time.time()
    idle = current_app.config["CONSOLE_IDLE_MINUTES"] * 60
    absolute = current_app.config["CONSOLE_SESSION_HOURS"] * 3600
    if now - session.get("seen_at", 0) > idle or now - session.get("login_at", 0) > absolute:
        session.clear()
        flash("登录已过期，请重新登录", "warning")
        return
    staff = staff_services.active_staff(staff_id)
    if staff is None or session.get("ver") != staff.token_version:
        session.clear()  # disabled, or signed out everywhere (password changed, re-enabled)
        return
    session["seen_at"] = now
    g.staff = staff


bp.after_request(page_security_headers)


@bp.app_context_processor
def _console_context():
    if request.blueprint != "console":
        return {}
    staff = g.get("staff")
    menu = _menu() if staff else []
    return {
        "staff": staff,
        # Called by the top bar only: a partial page (htmx) counts nothing.
        "todo_count": (lambda: todo.todo_count(staff)) if staff else (lambda: 0),
        "follow_prompt": lambda: _follow_prompt(staff),
        "menu": menu,
        "menu_wide": _wide(menu),
        "may": may,
        "role_label": ROLE_LABELS.get(staff.role, staff.role) if staff else "",
        "role_labels": ROLE_LABELS,
    }


def _follow_prompt(staff: Staff | None) -> dict | None:
    """For a staff member whose bound WeChat does not follow the official account: its name and
    QR code, since their to-do messages cannot reach them until they follow it."""
    if staff is None or reach.staff_wechat([staff.id])[staff.id] != "not_following":
        return None
    cfg = current_app.config
    link = cfg.get("WECHAT_OA_FOLLOW_URL")
    return {"name": cfg["WECHAT_OA_NAME"], "qr": qr_data_uri(link, 4) if link else None}


def console_login(permission: str | None):
    """Signed in, and in a role with the permission (None: the view checks it itself); otherwise
    to the login page or a 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if g.get("staff") is None:
                return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
            if permission is not None and not may(permission):
                raise Forbidden("当前角色无权访问此页面")
            return view(*args, **kwargs)

        return wrapper

    return decorator
