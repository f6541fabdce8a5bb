"""Review queue, orders, one order (adjust, approve / sign, reject, ship), orders export."""

from __future__ import annotations

import json

from flask import g, render_template, request, url_for

from admin.console.blueprint import bp
from admin.console.forms import back_to, load_form, page_count, perform
from admin.console.session import console_login, may
from admin.excel import xlsx_response
from admin.schemas import (
    AdjustOrderIn,
    AdminOrderQueryIn,
    ApproveIn,
    RejectIn,
    ReviewQueueQueryIn,
    ShipmentIn,
)
from app.auth.permissions import ROLE_LABELS
from app.auth.scopes import order_in_scope
from app.backoffice import queries
from app.core import orders as core_orders
from app.core.models import Branch, Order, OrderEvent, OrderLine, Shipment, Staff
from app.core.rules import ACTION_LABELS, CREDIT_OVERRIDE_ROLES, STATUS_LABELS
from app.errors import ValidationFailed
from app.mall import review
from app.mall.models import OrderAudit

PER_PAGE = 20

AUDIT_LABELS = {
    "review": "客服审核",
    "sign": "审批签字",
    "adjust_lines": "调整商品行",
    "credit_override": "超信用额度特批",
    "reject": "驳回",
}


@bp.get("/review")
@console_login("orders.view")
def review_queue():
    """Customer service's page: pending orders oldest first, credit position and stock per line."""
    args = load_form(ReviewQueueQueryIn, request.args)
    entries, total = review.review_queue(g.staff, args["page"], PER_PAGE, mine=args["mine"])
    template = "console/_queue_rows.html" if request.headers.get("HX-Request") else None
    return render_template(
        template or "console/review_queue.html",
        entries=entries,
        total=total,
        page=args["page"],
        mine=args["mine"],
        pages=page_count(total, PER_PAGE),
    )


@bp.get("/orders")
@console_login("orders.view")
def orders():
    args = load_form(AdminOrderQueryIn, request.args)
    query = queries.orders_query(g.staff, args)
    total = query.count()
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "console/orders.html",
        orders=list(query.paginate(args["page"], PER_PAGE)),
        total=total,
        page=args["page"],
        pages=page_count(total, PER_PAGE),
        filters=filters,
        statuses=STATUS_LABELS,
        branch_options=[(b.id, b.name) for b in Branch.select().order_by(Branch.code)],
        customer_options=[(c.id, f"{c.code} {c.name}") for c in queries.customers_query(g.staff)],
    )


@bp.get("/orders/export.xlsx")
@console_login("orders.view")
def orders_export():
    args = load_form(AdminOrderQueryIn, request.args)
    found = list(queries.orders_query(g.staff, args).limit(20000))
    ids = [o.id for o in found]
    rows = []
    for o in found:
        rows.append(
            (
                o.number,
                o.created_at,
                o.customer.code,
                o.customer.name,
                STATUS_LABELS.get(o.status, o.status),
                o.total,
                o.placed_by,
                o.approved_at,
                o.address,
                o.remark,
            )
        )
    headers = ["订单号", "下单时间(UTC)", "客户编码", "客户名称", "状态", "金额", "下单人"]
    headers += ["审核时间(UTC)", "收货地址", "备注"]
    line_rows = [
        (
            ln.order.number,
            ln.product.sku,
            ln.product.name,
            ln.qty,
            ln.price,
            ln.amount,
            ln.shipped_qty,
        )
        for ln in OrderLine.select(OrderLine, Order)
        .join(Order)
        .where(OrderLine.order << ids)
        .order_by(Order.created_at.desc(), OrderLine.id)
    ]
    return xlsx_response(
        "订单.xlsx",
        [
            ("订单", headers, rows),
            ("明细", ["订单号", "SKU", "商品", "数量", "单价", "金额", "已发货"], line_rows),
        ],
    )


@bp.get("/orders/<int:order_id>")
@console_login("orders.view")
def order_detail(order_id: int):
    staff = g.staff
    entry = review.review_entry(staff, order_id)
    order = entry.order
    audit_rows = list(
        OrderAudit.select().where(OrderAudit.order == order.id).order_by(OrderAudit.id)
    )
    shown = {a.staff_id for a in audit_rows} | {s.signed_by_id for s in entry.steps}
    names = {
        s.id: s.name or s.username
        for s in Staff.select(Staff.id, Staff.name, Staff.username).where(Staff.id << list(shown))
    }
    shipments = list(Shipment.select().where(Shipment.order == order.id).order_by(Shipment.id))
    audits = [
        {
            "at": a.created_at,
            "who": names.get(a.staff_id, ""),
            "action": AUDIT_LABELS.get(a.action, a.action),
            "before": _pretty(a.before),
            "after": _pretty(a.after),
            "reason": a.reason,
        }
        for a in audit_rows
    ]
    pending = order.status == "pending_review"
    can_sign = (
        pending
        and may("orders.approve")
        and (
            entry.next_role == staff.role
            or (entry.next_role == "customer_service" and staff.role == "admin")
        )
    )
    return render_template(
        "console/order.html",
        entry=entry,
        order=order,
        events=list(
            OrderEvent.select().where(OrderEvent.order == order.id).order_by(OrderEvent.id)
        ),
        shipments=shipments,
        audits=audits,
        names=names,
        statuses=STATUS_LABELS,
        actions=ACTION_LABELS,
        can_adjust=pending
        and may("orders.review")
        and not any(s.signed_by_id for s in entry.steps),
        can_sign=can_sign,
        can_override=staff.role in CREDIT_OVERRIDE_ROLES,
        can_reject=pending and may("orders.approve"),
        can_ship=order.status in ("approved", "partially_shipped") and may("orders.ship"),
    )


def _pretty(text: str) -> str:
    if not text:
        return ""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, list):
        return "；".join(
            f"{v.get('name') or v.get('product_id')} × {v.get('qty')} @ {v.get('price')}"
            if isinstance(v, dict)
            else str(v)
            for v in value
        )
    return json.dumps(value, ensure_ascii=False)


def _detail(order_id: int) -> str:
    return url_for("console.order_detail", order_id=order_id)


@bp.post("/orders/<int:order_id>/adjust")
@console_login("orders.review")
def adjust(order_id: int):
    form = request.form
    lines = []
    for index in form.getlist("line"):
        if form.get(f"remove-{index}"):
            continue
        lines.append(
            {
                "product_id": form.get(f"product_id-{index}", ""),
                "qty": form.get(f"qty-{index}", ""),
                "price": form.get(f"price-{index}") or None,
            }
        )

    def action():
        data = load_form(AdjustOrderIn, {"lines": lines, "reason": form.get("reason", "")})
        review.adjust_lines(order_id, g.staff, data["lines"], data["reason"])

    return perform(action, "订单已调整", _detail(order_id))


@bp.post("/orders/<int:order_id>/approve")
@console_login("orders.approve")
def approve(order_id: int):
    def action():
        data = load_form(ApproveIn, request.form)
        order = review.approve(order_id, g.staff, data["comment"], data["credit_override"])
        if order.status == "approved":
            return "订单已审核通过：库存已预留，信用额度已占用"
        nxt = review.review_entry(g.staff, order_id).next_role
        return f"已签字，等待{ROLE_LABELS.get(nxt, nxt)}审批"

    return perform(action, "已签字", _detail(order_id))


@bp.post("/orders/<int:order_id>/reject")
@console_login("orders.approve")
def reject(order_id: int):
    def action():
        data = load_form(RejectIn, request.form)
        review.reject(order_id, g.staff, data["reason"])

    return perform(action, "订单已驳回", _detail(order_id))


@bp.post("/orders/<int:order_id>/ship")
@console_login("orders.ship")
def ship(order_id: int):
    form = request.form
    lines = [
        {"order_line_id": key.removeprefix("ship-"), "qty": value}
        for key, value in form.items()
        if key.startswith("ship-") and value.strip() not in ("", "0")
    ]

    def action():
        if not lines:
            raise ValidationFailed("请填写本次发货数量", lines=["至少一行发货数量大于 0"])
        data = load_form(
            ShipmentIn,
            {
                "lines": lines,
                "carrier": form.get("carrier", ""),
                "tracking_no": form.get("tracking_no", ""),
            },
        )
        order_in_scope(g.staff, order_id)
        core_orders.ship_order(
            order_id,
            [(ln["order_line_id"], ln["qty"]) for ln in data["lines"]],
            data["carrier"],
            data["tracking_no"],
            review.actor(g.staff),
        )

    return perform(action, "已发货", back_to(_detail(order_id)))
