"""Staff on their phones: the orders waiting for their signature, and one order to review or sign
(通过 / 驳回) under exactly the console's rules and data scope — the links in staff WeChat
messages open here."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate

from app.auth.permissions import ROLE_LABELS
from app.backoffice import alerts
from app.backoffice import orders as staff_orders
from app.core.rules import STATUS_LABELS
from app.errors import AppError
from app.schemas import EVENT_LABELS
from h5.blueprint import bp
from h5.forms import parse_form
from h5.session import current_user, h5_login

staff_only = h5_login("staff")


class ApproveForm(Schema):
    comment = fields.String(load_default="", validate=validate.Length(max=200))
    credit_override = fields.Boolean(load_default=False)


class RejectForm(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


def _staff():
    return current_user().staff


@bp.get("/staff/")
@staff_only
def staff_home():
    staff = _staff()
    entries, total = staff_orders.review_queue(staff, 1, 50, mine=True)
    return render_template(
        "h5/staff_home.html",
        staff=staff,
        entries=entries,
        total=total,
        roles=ROLE_LABELS,
        alerts=alerts.alerts_for(staff),
    )


@bp.get("/staff/orders/<int:order_id>")
@staff_only
def staff_order(order_id: int):
    page = staff_orders.order_page(_staff(), order_id)
    return render_template(
        "h5/staff_order.html",
        page=page,
        entry=page.entry,
        order=page.order,
        statuses=STATUS_LABELS,
        action_labels=EVENT_LABELS,
        roles=ROLE_LABELS,
    )


@bp.post("/staff/orders/<int:order_id>/approve")
@staff_only
def staff_approve(order_id: int):
    """通过: sign the step this order waits for (the last one approves it into stock and credit)."""
    try:
        data = parse_form(ApproveForm(), request.form)
        order = staff_orders.approve(_staff(), order_id, data["comment"], data["credit_override"])
        if order.status == "approved":
            flash("订单已审核通过：库存已预留，信用额度已占用", "success")
        else:
            waiting = staff_orders.waiting_for(order_id)
            flash(f"已签字，等待{ROLE_LABELS.get(waiting, waiting)}审批", "success")
    except AppError as exc:
        flash(exc.message, "error")
    return redirect(url_for("h5.staff_order", order_id=order_id))


@bp.post("/staff/orders/<int:order_id>/reject")
@staff_only
def staff_reject(order_id: int):
    """驳回: with a reason the dealer will read."""
    try:
        data = parse_form(RejectForm(), request.form)
        staff_orders.reject(_staff(), order_id, data["reason"])
        flash("订单已驳回", "success")
    except AppError as exc:
        flash(exc.message if exc.status != 422 else "驳回须填写原因", "error")
    return redirect(url_for("h5.staff_order", order_id=order_id))
