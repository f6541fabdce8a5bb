"""Staff on their phones: the orders waiting for their signature, and one order to review or sign
(通过 / 驳回) under exactly the console's rules and data scope — the links in staff WeChat
messages open here."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate

from app.auth.permissions import ROLE_LABELS
from app.backoffice import alerts, todo
from app.backoffice import orders as staff_orders
from app.core.rules import STATUS_LABELS
from app.errors import AppError, ValidationFailed
from app.pages import perform
from app.schemas import EVENT_LABELS
from app.validation import whole_number
from h5.blueprint import bp
from h5.forms import labelled, parse_form
from h5.session import current_user, h5_login

staff_only = h5_login("staff")


class ApproveForm(Schema):
    comment = fields.String(
        load_default="", validate=validate.Length(max=200), metadata=labelled("审批意见")
    )
    credit_override = fields.Boolean(load_default=False)


class RejectForm(Schema):
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata=labelled("驳回原因")
    )


def _staff():
    return current_user().staff


@bp.get("/staff/")
@staff_only
def staff_home():
    """待我处理 on the phone: each kind of work this staff member's role does, with its count."""
    staff = _staff()
    return render_template(
        "h5/staff_home.html",
        staff=staff,
        todos=todo.todos(staff),
        roles=ROLE_LABELS,
        alerts=alerts.alerts_for(staff),
    )


@bp.get("/staff/orders/<int:order_id>")
@staff_only
def staff_order(order_id: int, typed: dict | None = None, error: str = ""):
    page = staff_orders.order_page(_staff(), order_id)
    return render_template(
        "h5/staff_order.html",
        page=page,
        entry=page.entry,
        order=page.order,
        statuses=STATUS_LABELS,
        action_labels=EVENT_LABELS,
        roles=ROLE_LABELS,
        carriers=CARRIERS,
        typed=typed or {},
        ship_error=error,
    ), 422 if error else 200


# Offered as the carrier is typed; any other name may be written.
CARRIERS = (
    "顺丰速运",
    "京东物流",
    "中通快递",
    "圆通速递",
    "韵达快递",
    "申通快递",
    "邮政 EMS",
    "德邦快递",
)


class ShipForm(Schema):
    carrier = fields.String(
        required=True, validate=validate.Length(min=1, max=64), metadata=labelled("承运商")
    )
    tracking_no = fields.String(
        required=True, validate=validate.Length(min=1, max=64), metadata=labelled("运单号")
    )


@bp.post("/staff/orders/<int:order_id>/ship")
@staff_only
def staff_ship(order_id: int):
    """发货 on the phone: the quantities this time (full or part), the carrier and the tracking
    number (typed, or scanned from the waybill's barcode). A mistake keeps what was typed."""
    form = request.form
    try:
        order = staff_orders.order_for(_staff(), order_id)
        lines = []
        for line in order.lines:
            text = form.get(f"ship-{line.id}", "").strip()
            if text not in ("", "0"):
                left = line.qty - line.shipped_qty
                qty = whole_number(text, high=left, what=f"{line.product.name} 发货数量")
                lines.append({"order_line_id": line.id, "qty": qty})
        if not lines:
            raise ValidationFailed("请填写本次发货数量")
        data = parse_form(ShipForm(), form)
        shipment = staff_orders.ship(
            _staff(), order_id, lines, data["carrier"], data["tracking_no"]
        )
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        message = (
            "请填写承运商和运单号"
            if "carrier" in exc.details or "tracking_no" in exc.details
            else exc.message
        )
        return staff_order(order_id, form.to_dict(), message)
    flash(f"已发货：{shipment.carrier} {shipment.tracking_no}", "success")
    return redirect(url_for("h5.staff_order", order_id=order_id))


@bp.post("/staff/orders/<int:order_id>/approve")
@staff_only
def staff_approve(order_id: int):
    """通过: sign the step this order waits for (the last one approves it into stock and credit)."""

    def approve():
        data = parse_form(ApproveForm(), request.form)
        order = staff_orders.approve(_staff(), order_id, data["comment"], data["credit_override"])
        if order.status == "approved":
            return "订单已审核通过：库存已预留，信用额度已占用"
        waiting = staff_orders.waiting_for(order_id)
        return f"已签字，等待{ROLE_LABELS.get(waiting, waiting)}审批"

    return perform(approve, "", url_for("h5.staff_order", order_id=order_id))


@bp.post("/staff/orders/<int:order_id>/reject")
@staff_only
def staff_reject(order_id: int):
    """驳回: with a reason the dealer will read."""

    def reject():
        data = parse_form(RejectForm(), request.form)
        staff_orders.reject(_staff(), order_id, data["reason"])

    return perform(
        reject,
        "订单已驳回",
        url_for("h5.staff_order", order_id=order_id),
        describe=lambda exc: exc.message if exc.status != 422 else "驳回须填写原因",
    )
