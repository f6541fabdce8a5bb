"""The dealer's returns on the phone: 申请退货 on a shipped order (quantities, reason, up to 3
photos from the camera), the list of their returns (退货/售后), and each return's progress."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate

from app.adapters.storage import LocalStorage
from app.core.returns import RETURN_ACTIONS, RETURN_LABELS, RETURNABLE
from app.errors import AppError, ValidationFailed
from app.http import photo_upload
from app.mall import ordering, returns
from app.validation import whole_number
from h5.blueprint import bp
from h5.forms import parse_form
from h5.session import current_user, h5_login

dealer = h5_login("dealer")

RETURNS_PER_PAGE = 20


class ReturnListQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))


def _customer_id() -> int:
    return current_user().customer_id


def _form(order, error=None, typed=None):
    return render_template(
        "h5/return_new.html",
        order=order,
        returnable=order.status in RETURNABLE,
        error=error,
        typed=typed or {},
    ), 422 if error else 200


@bp.get("/orders/<int:order_id>/returns/new")
@dealer
def return_new(order_id: int):
    return _form(ordering.customer_order(_customer_id(), order_id))


@bp.post("/orders/<int:order_id>/returns")
@dealer
def return_create(order_id: int):
    """申请退货: the quantities typed per line, a reason, photos (each at most PHOTO_MAX_BYTES)."""
    order = ordering.customer_order(_customer_id(), order_id)
    form = request.form
    try:
        lines = []
        for line in order.lines:
            text = form.get(f"qty-{line.id}", "").strip()
            if text in ("", "0"):
                continue
            qty = whole_number(text, high=line.qty, what="退货数量")
            lines.append({"order_line_id": line.id, "qty": qty})
        if not lines:
            raise ValidationFailed("请填写要退的数量")
        photos = [f for f in request.files.getlist("photos") if f and f.filename]
        if len(photos) > returns.MAX_PHOTOS:
            raise ValidationFailed(f"最多上传 {returns.MAX_PHOTOS} 张照片")
        created = returns.request(
            _customer_id(), order_id, lines, form.get("reason", ""), f"wechat:{current_user().id}"
        )
    except AppError as exc:
        return _form(order, exc.message, form.to_dict())
    for photo in photos:
        try:
            returns.add_photo(_customer_id(), created.id, *photo_upload(photo))
        except AppError as exc:  # the return stands; say which photo did not go
            flash(f"照片 {photo.filename} 未上传：{exc.message}", "warning")
    flash("退货申请已提交，等待客服审核", "success")
    return redirect(url_for("h5.return_page", return_id=created.id))


@bp.get("/returns")
@dealer
def return_list():
    """退货/售后: the dealer's own returns, newest first, each linking to its page."""
    page = parse_form(ReturnListQuery(), request.args)["page"]
    found, total = returns.customer_returns(_customer_id(), page, RETURNS_PER_PAGE)
    return render_template(
        "h5/returns.html",
        found=found,
        statuses=RETURN_LABELS,
        page=page,
        more=page * RETURNS_PER_PAGE < total,
    )


@bp.get("/returns/<int:return_id>")
@dealer
def return_page(return_id: int):
    found = returns.customer_return(_customer_id(), return_id)
    return render_template(
        "h5/return.html", r=found, statuses=RETURN_LABELS, actions=RETURN_ACTIONS
    )


@bp.get("/returns/<int:return_id>/photos/<int:photo_id>")
@dealer
def return_photo(return_id: int, photo_id: int):
    """A photo the dealer sent with their return: theirs only, kept private by the phone."""
    storage = LocalStorage(current_app.config["UPLOAD_DIR"])
    data, content_type = returns.photo(_customer_id(), return_id, photo_id, storage)
    return Response(
        data, mimetype=content_type, headers={"Cache-Control": "private, max-age=86400"}
    )
