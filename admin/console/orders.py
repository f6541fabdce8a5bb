"""Review queue, orders, one order (adjust, approve / sign, reject, ship), orders export."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from admin.console.blueprint import bp
from admin.console.forms import (
    back_to,
    console_page,
    describe,
    form_post,
    list_page,
    load_form,
    load_query,
    paging,
    perform,
)
from admin.console.session import console_login
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
from app.backoffice import choices, queries
from app.backoffice import orders as staff_orders
from app.core.rules import STATUS_LABELS
from app.errors import AppError, ValidationFailed
from app.schemas import EVENT_LABELS

PER_PAGE = 20


@console_page("/review", "orders.view")
def review_queue():
    """Customer service's page: pending orders oldest first, credit position and stock per line."""
    args = load_query(ReviewQueueQueryIn, request.args)
    entries, total = staff_orders.review_queue(g.staff, args["page"], PER_PAGE, mine=args["mine"])
    template = "console/_queue_rows.html" if request.headers.get("HX-Request") else None
    return render_template(
        template or "console/review_queue.html",
        entries=entries,
        **paging(total, args["page"], PER_PAGE),
        mine=args["mine"],
    )


@console_page("/orders", "orders.view")
def orders():
    args = load_query(AdminOrderQueryIn, request.args)
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return list_page(
        "console/orders.html",
        queries.orders_query(g.staff, args),
        args["page"],
        PER_PAGE,
        name="orders",
        filters=filters,
        statuses=STATUS_LABELS,
        branch_options=choices.branch_options(),
        customer_options=[(c.id, f"{c.code} {c.name}") for c in queries.customers_query(g.staff)],
    )


@console_page("/orders/export.xlsx", "orders.view")
def orders_export():
    args = load_query(AdminOrderQueryIn, request.args)
    found = list(queries.orders_query(g.staff, args).limit(20000))
    ids = [o.id for o in found]
    placed_by = queries.actor_names({o.placed_by for o in found})
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
                placed_by[o.placed_by],
                o.approved_at,
                o.address,
                o.remark,
            )
        )
    headers = ["订单号", "下单时间（北京时间）", "客户编码", "客户名称", "状态", "金额", "下单人"]
    headers += ["审核时间（北京时间）", "收货地址", "备注"]
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
        for ln in queries.lines_of_orders(ids)
    ]
    return xlsx_response(
        "订单.xlsx",
        [
            ("订单", headers, rows),
            ("明细", ["订单号", "SKU", "商品", "数量", "单价", "金额", "已发货"], line_rows),
        ],
    )


@console_page("/orders/<int:order_id>", "orders.view")
def order_detail(order_id: int):
    return _order_page(order_id)


def _order_page(order_id: int, typed: dict | None = None, error: str = ""):
    """The order's page; `typed` is the adjustment form as it was sent, shown again with the
    error that stopped it (nothing typed is lost)."""
    page = staff_orders.order_page(g.staff, order_id)
    return render_template(
        "console/order.html",
        **vars(page),  # entry, events, shipments, audits, names, actors, actions
        order=page.order,
        statuses=STATUS_LABELS,
        action_labels=EVENT_LABELS,
        typed=typed or {},
        adjust_error=error,
    ), 422 if error else 200


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

    try:
        data = load_form(AdjustOrderIn, {"lines": lines, "reason": form.get("reason", "")})
        staff_orders.adjust(g.staff, order_id, data["lines"], data["reason"])
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        missing_reason = set(exc.details) == {"reason"}
        message = "请填写调整原因（经销商会看到）" if missing_reason else describe(exc)
        return _order_page(order_id, form.to_dict(), message)
    flash("订单已调整，已通知经销商", "success")
    return redirect(_detail(order_id), code=303)


@form_post("/orders/<int:order_id>/approve", "orders.approve", "已签字", "console.order_detail")
def approve(order_id: int):
    data = load_form(ApproveIn, request.form)
    order = staff_orders.approve(g.staff, order_id, data["comment"], data["credit_override"])
    if order.status == "approved":
        return "订单已审核通过：库存已预留，信用额度已占用"
    nxt = staff_orders.waiting_for(order_id)
    return f"已签字，等待{ROLE_LABELS.get(nxt, nxt)}审批"


@form_post("/orders/<int:order_id>/reject", "orders.approve", "订单已驳回", "console.order_detail")
def reject(order_id: int):
    data = load_form(RejectIn, request.form)
    staff_orders.reject(g.staff, order_id, data["reason"])


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
        staff_orders.ship(g.staff, order_id, data["lines"], data["carrier"], data["tracking_no"])

    return perform(action, "已发货", back_to(_detail(order_id)))
