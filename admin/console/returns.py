"""Returns (退货): the queue (pending first), one return with approve / reject / receive, Excel."""

from __future__ import annotations

from flask import g, render_template, request, url_for
from marshmallow import Schema, fields, validate

from admin import excel
from admin.console.blueprint import bp
from admin.console.forms import (
    console_page,
    form_post,
    load_form,
    load_query,
    perform,
    status_list,
    status_query,
)
from admin.console.session import console_login
from app.auth.permissions import ROLE_LABELS
from app.backoffice import returns
from app.core import receivables
from app.core.returns import RETURN_ACTIONS, RETURN_LABELS
from app.errors import NotFound, ValidationFailed
from app.http import send_upload
from app.mall.returns import with_details
from app.money import written
from app.validation import whole_number

PER_PAGE = 20


ReturnQuery = status_query(RETURN_LABELS)


class Comment(Schema):
    comment = fields.String(load_default="", validate=validate.Length(max=500))


class Reason(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


@console_page("/returns", "orders.view")
def returns_list():
    return status_list(
        "console/returns.html",
        RETURN_LABELS,
        lambda status: returns.returns_query(g.staff, status),
        PER_PAGE,
        rows=with_details,
    )


@console_page("/returns.xlsx", "orders.view")
def returns_export():
    args = load_query(ReturnQuery, request.args)
    found = with_details(returns.returns_query(g.staff, args.get("status")).limit(20000))
    rows = [
        (
            r.number,
            r.created_at,
            r.customer.code,
            r.customer.name,
            r.order.number,
            RETURN_LABELS.get(r.status, r.status),
            r.amount,
            r.received_amount,
            r.reason,
        )
        for r in found
    ]
    lines = [
        (r.number, ln.product.sku, ln.product.name, ln.qty, ln.received_qty, ln.price, ln.amount)
        for r in found
        for ln in r.lines
    ]
    headers = ["退货单号", "申请时间（北京时间）", "客户编码", "客户名称", "订单号", "状态"]
    headers += ["退货金额", "已入库金额", "原因"]
    return excel.xlsx_response(
        "退货.xlsx",
        [
            ("退货", headers, rows),
            ("明细", ["退货单号", "SKU", "商品", "数量", "已入库", "单价", "金额"], lines),
        ],
    )


def _detail(return_id: int) -> str:
    return url_for("console.return_detail", return_id=return_id)


@console_page("/returns/<int:return_id>", "orders.view")
def return_detail(return_id: int):
    found = returns.return_in_scope(g.staff, return_id)
    return render_template(
        "console/return.html",
        r=found,
        steps=returns.steps_of(found),
        actions=returns.allowed(g.staff, found),
        position=receivables.account_position(found.customer_id),
        statuses=RETURN_LABELS,
        event_labels=RETURN_ACTIONS,
        roles=ROLE_LABELS,
    )


@console_page("/returns/<int:return_id>/photos/<int:photo_id>", "orders.view")
def return_photo(return_id: int, photo_id: int):
    found = returns.return_in_scope(g.staff, return_id)
    photo = next((p for p in found.photos if p.id == photo_id), None)
    if photo is None:
        raise NotFound("照片不存在")
    return send_upload(photo.storage_key, photo.content_type, "private")


@form_post("/returns/<int:return_id>/approve", "orders.approve", "已签字", "console.return_detail")
def return_approve(return_id: int):
    found = returns.approve(g.staff, return_id, load_form(Comment, request.form)["comment"])
    return "退货已批准，等待仓库入库" if found.status == "approved" else "已签字，等待下一步审批"


@form_post(
    "/returns/<int:return_id>/reject", "orders.approve", "退货已驳回", "console.return_detail"
)
def return_reject(return_id: int):
    returns.reject(g.staff, return_id, load_form(Reason, request.form)["reason"])


@bp.post("/returns/<int:return_id>/receive")
@console_login("orders.ship")
def return_receive(return_id: int):
    typed = [
        (key.removeprefix("receive-"), value)
        for key, value in request.form.items()
        if key.startswith("receive-") and value.strip() not in ("", "0")
    ]

    def action():
        parsed = [
            {
                "return_line_id": whole_number(line_id, low=1, what="退货行"),
                "qty": whole_number(qty, low=1, what="入库数量"),
            }
            for line_id, qty in typed
        ]
        if not parsed:
            raise ValidationFailed("请填写入库数量")
        found = returns.receive(g.staff, return_id, parsed)
        return f"已入库，客户账户已冲减 {written(found.received_amount)}"

    return perform(action, "已入库", _detail(return_id))
