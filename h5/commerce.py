"""The dealer's favourites (收藏) and quick order (快速下单): a heart on the catalogue and the
product page, the list of favourites, and a list of SKUs pasted or uploaded into the cart."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate

from app.errors import AppError, ValidationFailed
from app.mall import favourites, quick_order
from h5.blueprint import bp
from h5.forms import parse_form
from h5.session import current_user, h5_login, low_threshold

PER_PAGE = 20
MAX_QUICK_FILE = 2 * 1024 * 1024  # a list of 200 lines is a few kilobytes

dealer = h5_login("dealer")


class FavouriteForm(Schema):
    on = fields.Boolean(required=True)
    back = fields.String(validate=validate.OneOf(["product", "products", "favourites"]))
    q = fields.String(validate=validate.Length(max=64))
    category_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))


class QuickOrderForm(Schema):
    skus = fields.String(validate=validate.Length(max=20000, error="内容太长，一次最多 200 行"))


def _customer():
    return current_user().customer


@bp.post("/favourites/<int:product_id>")
@dealer
def favourite(product_id: int):
    """The heart: 收藏 (on=1) or 取消收藏 (on=0), then back where the dealer was."""
    data = parse_form(FavouriteForm(), request.form)
    try:
        if data["on"]:
            favourites.add(_customer().id, product_id)
            flash("已收藏", "success")
        else:
            favourites.remove(_customer().id, product_id)
            flash("已取消收藏", "success")
    except AppError as exc:
        flash(exc.message, "error")
    back = data.get("back")
    if back == "product":
        return redirect(url_for("h5.product", product_id=product_id))
    if back == "favourites":
        return redirect(url_for("h5.favourite_list"))
    return redirect(
        url_for(
            "h5.products",
            q=data.get("q"),
            category_id=data.get("category_id"),
            _anchor=f"product-{product_id}",
        )
    )


@bp.get("/favourites")
@dealer
def favourite_list():
    """收藏: the dealer's favourite products at their prices, newest first."""
    page = parse_form(PageQuery(), request.args)["page"]
    items, total = favourites.favourites_of(_customer(), low_threshold(), page, PER_PAGE)
    return render_template(
        "h5/favourites.html",
        items=items,
        total=total,
        page=page,
        more=page * PER_PAGE < total,
        marked={v.product.id for v in items},
    )


@bp.get("/quick-order")
@dealer
def quick_order_page():
    return render_template("h5/quick_order.html", result=None, errors=[], text="")


@bp.post("/quick-order")
@dealer
def quick_order_submit():
    """快速下单: the pasted list, or the uploaded Excel/CSV file, into the cart; the page then says
    what was added, what was not found, what was raised to the minimum or multiple, and which
    lines said nothing orderable."""
    text = ""
    try:
        data = parse_form(QuickOrderForm(), {"skus": request.form.get("skus", "")})
        text = data.get("skus", "")
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            content = upload.read(MAX_QUICK_FILE + 1)
            if len(content) > MAX_QUICK_FILE:
                raise ValidationFailed("文件太大：最多 2 MB", file=["文件太大"])
            items, errors = quick_order.parse_file(upload.filename, content)
        elif text:
            items, errors = quick_order.parse_text(text)
        else:
            raise ValidationFailed("请粘贴商品清单，或选择 Excel/CSV 文件", skus=["请填写"])
        if not items:
            return render_template(
                "h5/quick_order.html",
                result=None,
                errors=errors,
                text=text,
                error="没有可以加入购物车的行，请按“编码, 数量, 单位”填写",
            ), 422
        result = quick_order.add_skus(current_user().id, _customer(), items, low_threshold())
    except AppError as exc:
        return render_template(
            "h5/quick_order.html", result=None, errors=[], text=text, error=exc.message
        ), 422
    return render_template("h5/quick_order.html", result=result, errors=errors, text="")
