"""Stock and adjustments, announcements, approval rules, staff (with rep invitations)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from flask import flash, g, redirect, render_template, request, url_for

from admin.console.blueprint import bp
from admin.console.forms import (
    console_page,
    describe,
    filtered,
    form_post,
    list_page,
    load_form,
    load_query,
)
from admin.console.session import console_login
from admin.schemas import (
    AnnouncementIn,
    NamedIn,
    NotificationQueryIn,
    RuleIn,
    StaffIn,
    StockAdjustmentIn,
    StockQueryIn,
    WarehouseIn,
)
from app.approval.rules import APPROVER_ROLES, DOCUMENTS
from app.auth.permissions import DATA_SCOPE_LABELS, DATA_SCOPES, ROLE_LABELS, ROLES
from app.backoffice import accounts, catalog, choices
from app.backoffice import organisation as settings
from app.backoffice.queries import notifications_query
from app.db import utcnow
from app.errors import AppError, ValidationFailed
from app.inventory.queries import with_in_transit_out
from app.notify import delivery, reach
from app.schemas import EVENT_LABELS
from app.validation import whole_number

PER_PAGE = 50


def _branch_options():
    return choices.branch_options(with_code=True)


def _branches() -> dict:
    """The branches a page's forms offer (with their codes), and their names by id for its rows."""
    return {"branch_options": _branch_options(), "branch_names": choices.branch_names()}


# --- stock ---------------------------------------------------------------------


@console_page("/stock", "stock.view")
def stock():
    args = load_query(StockQueryIn, request.args)
    return list_page(
        "console/stock.html",
        catalog.stock_query(g.staff, args, by_code=True),
        args["page"],
        PER_PAGE,
        rows=with_in_transit_out,
        name="rows",
        warehouse_id=args.get("warehouse_id", ""),
        warehouse_options=choices.warehouse_options(g.staff),
        product_options=choices.product_options(),
    )


@form_post("/stock/adjustments", "stock.manage", "库存已调整", filtered("console.stock"))
def adjust_stock():
    data = load_form(StockAdjustmentIn, request.form)
    row = catalog.adjust_stock(
        g.staff, data["warehouse_id"], data["product_id"], data["qty_delta"], data["reason"]
    )
    return f"库存已调整：现有 {row.on_hand}，已预留 {row.reserved}，可用 {row.available}"


# --- announcements ---------------------------------------------------------------


@console_page("/announcements", "announcements.manage")
def announcements():
    return render_template(
        "console/announcements.html",
        items=settings.latest_announcements(g.staff),
        branch_options=_branch_options(),
    )


@form_post("/announcements", "announcements.manage", "公告已发布", "console.announcements")
def publish_announcement():
    data = load_form(AnnouncementIn, request.form)  # business time, stored as naive UTC
    settings.publish_announcement(g.staff, data)


# --- approval rules --------------------------------------------------------------


# The rule form's number fields, as the form names them.
RULE_NUMBERS = {
    "min_amount": "金额大于",
    "max_amount": "金额不超过",
    "min_discount_pct": "折扣不少于",
}
IDS = ("branch_ids", "customer_ids")


def _rule_form(form) -> dict:
    """The rule form's fields → the API's rule body (document, condition object, ordered steps).
    Raises: ValidationFailed naming a number field that is not a number."""
    condition: dict = {}
    for key, label in RULE_NUMBERS.items():
        text = form.get(key, "").strip()
        if text:
            try:
                Decimal(text)
            except InvalidOperation:
                raise ValidationFailed(f"“{label}”须为数字", **{key: ["须为数字"]}) from None
            condition[key] = text
    for key, what in (("branch_ids", "分支机构"), ("customer_ids", "客户")):
        ids = [whole_number(i, low=1, what=what) for i in form.getlist(key) if i]
        if ids:
            condition[key] = ids
    if form.get("credit_exceeded"):
        condition["credit_exceeded"] = True
    return {
        "name": form.get("name", ""),
        "document": form.get("document", "order"),
        "priority": form.get("priority", ""),
        "condition": condition,
        "steps": [{"role": r} for r in form.getlist("step_role") if r],
    }


def _rule_values(rule) -> dict:
    """A stored rule as its edit form shows it."""
    condition = json.loads(rule.condition)
    return {
        "name": rule.name,
        "document": rule.document,
        "priority": rule.priority,
        **{k: condition.get(k, "") for k in RULE_NUMBERS},
        "branch_ids": condition.get("branch_ids", []),
        "customer_ids": condition.get("customer_ids", []),
        "credit_exceeded": condition.get("credit_exceeded", False),
        "steps": [s["role"] for s in json.loads(rule.steps)],
    }


def _typed_rule(form) -> dict:
    """The rule form as it was sent, to show again with what stopped it."""
    return {
        **{k: form.get(k, "") for k in ("name", "document", "priority", *RULE_NUMBERS)},
        **{k: [int(i) for i in form.getlist(k) if i.isascii() and i.isdigit()] for k in IDS},
        "credit_exceeded": bool(form.get("credit_exceeded")),
        "steps": form.getlist("step_role"),
    }


@console_page("/approval-rules", "rules.view")
def rules(editing: int | None = None, typed: dict | None = None, error: str = ""):
    """Approval rules by priority; each can be edited (`editing`: the rule whose form shows
    `typed` again with `error`, 0 for a new rule)."""
    found = list(settings.approval_rules(g.staff))
    customers = choices.customer_labels()
    return render_template(
        "console/rules.html",
        items=[
            {"rule": r, "condition": json.loads(r.condition), "values": _rule_values(r)}
            for r in found
        ],
        editing=editing,
        typed=typed,
        error=error,
        approver_roles=APPROVER_ROLES,
        documents=RULE_DOCUMENTS,
        **_branches(),
        customer_options=list(customers.items()),
        customer_names=customers,
    ), 422 if error else 200


# What each kind of document a rule may govern is called (the engine's own labels first).
RULE_DOCUMENTS = {kind: document.label for kind, document in DOCUMENTS.items()}


def _save_rule(rule_id: int | None):
    try:
        data = load_form(RuleIn, _rule_form(request.form))
        if rule_id is None:
            settings.create_rule(g.staff, data)
        else:
            settings.update_rule(g.staff, rule_id, data)
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        return rules(rule_id or 0, _typed_rule(request.form), describe(exc))
    flash("审批规则已添加" if rule_id is None else "审批规则已保存", "success")
    return redirect(url_for("console.rules"), code=303)


@bp.post("/approval-rules")
@console_login("rules.manage")
def create_rule():
    return _save_rule(None)


@bp.post("/approval-rules/<int:rule_id>")
@console_login("rules.manage")
def update_rule(rule_id: int):
    """修改规则: its name, document, priority, condition and steps; orders already reviewed keep
    the steps they were given."""
    return _save_rule(rule_id)


@form_post("/approval-rules/<int:rule_id>/active", "rules.manage", "", "console.rules")
def toggle_rule(rule_id: int):
    active = request.form.get("active") == "1"
    settings.set_rule_active(g.staff, rule_id, active)
    return "规则已启用" if active else "规则已停用"


# --- staff -----------------------------------------------------------------------


def _with_wechat_state(found) -> list:
    """Staff, each with `wechat_state`: how their to-do messages reach them on WeChat."""
    people = list(found)
    state = reach.staff_wechat([p.id for p in people])
    for person in people:
        person.wechat_state = state[person.id]
    return people


@console_page("/staff", "staff.manage")
def staff(typed=None):
    """Staff, and the form to add one (holding what was `typed`, the password aside, after a
    refused submission)."""
    return render_template(
        "console/staff.html",
        typed=typed if typed is not None else {},
        people=_with_wechat_state(settings.staff_list(g.staff)),
        now=utcnow(),
        roles=ROLES,
        scopes=DATA_SCOPES,
        scope_labels=DATA_SCOPE_LABELS,
        **_branches(),
        bindings=accounts.staff_bindings(g.staff),
    )


@form_post("/staff", "staff.manage", "已添加员工", "console.staff", again=staff)
def create_staff():
    data = load_form(StaffIn, request.form)
    person = settings.create_staff(g.staff, data)
    return f"已添加员工 {person.username}"


@form_post("/staff/<int:staff_id>/active", "staff.manage", "", "console.staff")
def toggle_staff(staff_id: int):
    active = request.form.get("active") == "1"
    settings.set_staff_active(g.staff, staff_id, active)
    return "账号已启用" if active else "账号已停用"


@form_post("/staff/<int:staff_id>/password", "staff.manage", "密码已重置", "console.staff")
def reset_staff_password(staff_id: int):
    """重置密码: for someone who forgot theirs; they sign in again everywhere."""
    data = load_form(StaffIn, request.form, only=("password",))
    person = settings.reset_staff_password(g.staff, staff_id, data["password"])
    return f"已重置 {person.name or person.username} 的密码，其已登录的设备需重新登录"


@form_post("/staff/<int:staff_id>/role", "staff.manage", "角色已修改", "console.staff")
def change_staff_role(staff_id: int):
    """修改角色: role, data scope and branch together (never above the admin's own)."""
    data = load_form(StaffIn, request.form, only=("role", "branch_id", "data_scope"))
    person = settings.change_staff_role(g.staff, staff_id, data)
    role = ROLE_LABELS.get(person.role, person.role)
    return f"{person.name or person.username} 现在是{role}，需重新登录后生效"


@form_post("/staff/<int:staff_id>/unlock", "staff.manage", "账号已解锁", "console.staff")
def unlock_staff(staff_id: int):
    return settings.unlock_staff(g.staff, staff_id)


@bp.post("/staff/<int:staff_id>/invitations")
@console_login("staff.manage")
def rep_invitation(staff_id: int):
    """A code that binds a staff member's WeChat to their account: WeChat messages and orders to
    review on the phone (reps: the rep pages)."""
    invitation = accounts.invite_staff(g.staff, staff_id)
    return redirect(url_for("console.invitation", code=invitation.code), code=303)


# --- notifications -------------------------------------------------------------------

NOTIFY_STATUS = {
    "pending": "待发送",
    "sent": "已送达",
    "undeliverable": "无法送达",
    "dead": "发送失败",
}
AUDIENCE_LABELS = {
    "dealer": "经销商",
    "rep": "业务员",
    "customer_service": "客服",
    "approver": "审批人",
    "warehouse": "仓库",
}
CHANNEL_LABELS = {"template": "公众号模板消息", "subscribe": "小程序订阅消息", "sms": "短信"}


@console_page("/notifications", "notifications.view")
def notifications():
    """What went out to dealers and customer service, by which channel; dead letters to retry."""
    args = load_query(NotificationQueryIn, request.args)
    return list_page(
        "console/notifications.html",
        notifications_query(g.staff, args),
        args["page"],
        PER_PAGE,
        status=args.get("status", ""),
        statuses=NOTIFY_STATUS,
        audiences=AUDIENCE_LABELS,
        channels=CHANNEL_LABELS,
        actions=EVENT_LABELS,
    )


@form_post(
    "/notifications/<int:notification_id>/retry",
    "notifications.manage",
    "已重新排队发送",
    lambda **_: url_for("console.notifications", status="dead"),
)
def retry_notification(notification_id: int):
    return delivery.retry_dead(notification_id, g.staff)


# --- branches and warehouses --------------------------------------------------------


@console_page("/organisation", "org.manage")
def organisation_page():
    return render_template(
        "console/organisation.html",
        branches=choices.branches(),
        warehouses=choices.warehouses(),
        **_branches(),
    )


@form_post("/branches", "org.manage", "已添加分支机构", "console.organisation_page")
def create_branch():
    data = load_form(NamedIn, request.form)
    settings.create_branch(g.staff, data["code"], data["name"])


@form_post("/warehouses", "org.manage", "已添加仓库", "console.organisation_page")
def create_warehouse():
    data = load_form(WarehouseIn, request.form)
    settings.create_warehouse(
        g.staff, data["code"], data["name"], data["branch_id"], data["address"]
    )
