"""代客下单 in the store: the rep picks from this dealer's catalogue at this dealer's prices (search,
categories, a stepper per product), fills the visit's cart (or takes the replenishment
suggestions), sets quantities there, chooses where it goes and orders on the dealer's behalf."""

from __future__ import annotations

import uuid

from flask import current_app, flash, redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate

from app.core import units
from app.core.rules import STATUS_LABELS
from app.errors import AppError
from app.field import replenishment, visits
from app.mall import addresses as customer_addresses
from app.mall import cart, catalog, styles
from h5.blueprint import bp
from h5.forms import CatalogQuery, QtyForm, parse_form
from h5.rep import far_warning, rep, report_products
from h5.session import current_user, low_threshold
from h5.shop import order_from_cart, set_cart_line

PER_PAGE = 20


class FarForm(Schema):
    lat = fields.Float(required=True, data_key="far_lat", validate=validate.Range(min=-90, max=90))
    lng = fields.Float(
        required=True, data_key="far_lng", validate=validate.Range(min=-180, max=180)
    )


def _visit(visit_id: int, must_be_open: bool = True):
    return visits.own_visit(current_user().staff, visit_id, must_be_open=must_be_open)


def _cart(visit):
    return cart.view_cart(current_user().id, visit.customer, low_threshold())


def _back(visit_id: int, anchor: str = "order"):
    return redirect(url_for("h5.rep_visit", visit_id=visit_id, _anchor=anchor))


@bp.get("/rep/visits/<int:visit_id>")
@rep
def rep_visit(visit_id: int, form=None, error=None, line_error=None):
    """One visit: photos, the stock/sales report, the visit's cart and the order, check-out."""
    visit = _visit(visit_id, must_be_open=False)
    customer = visit.customer
    report = visits.last_report(visit.id)
    try:  # where the rep tried to check out too far from the store (to confirm from there)
        far = parse_form(FarForm(), request.args) if "far_lat" in request.args else None
        if far is not None:
            distance = visits.distance_from_store(current_user().staff, visit.id, **far)
            far["warning"] = far_warning(distance, current_app.config["CHECKIN_RADIUS_M"])
    except AppError:
        far = None
    return render_template(
        "h5/rep_visit.html",
        visit=visit,
        customer=customer,
        photos=visits.photos_of(visit.id),
        orders=visits.visit_orders(visit),
        statuses=STATUS_LABELS,
        products=report_products(customer),
        report=report,
        reported={ln.product_id: ln for ln in report[1]} if report else {},
        cart=_cart(visit),
        addresses=customer_addresses.addresses_of(customer.id),
        form=form or {"idempotency_key": uuid.uuid4().hex},
        error=error,
        line_error=line_error,
        far=far,
    ), 422 if error else 200


@bp.get("/rep/visits/<int:visit_id>/products")
@rep
def rep_products(visit_id: int):
    """选商品: this dealer's catalogue at their prices, with what the visit's cart holds."""
    visit = _visit(visit_id)
    args = parse_form(CatalogQuery(), request.args)
    items, total = catalog.list_products(
        visit.customer,
        q=args.get("q"),
        category_id=args.get("category_id"),
        page=args["page"],
        per_page=PER_PAGE,
        low_threshold=low_threshold(),
        one_per_style=True,  # as the dealer's catalogue lists them: a style (款) once
    )
    basket = _cart(visit)
    more = args["page"] * PER_PAGE < total
    htmx = request.headers.get("HX-Request") and request.headers.get("HX-Target") == "load-more"
    return render_template(
        "h5/_rep_product_items.html" if htmx else "h5/rep_products.html",
        visit=visit,
        items=items,
        style_cards=styles.style_cards(visit.customer, items, low_threshold()),
        total=total,
        args=args,
        categories=catalog.category_tree(),
        in_cart={ln.view.product.id: ln.qty for ln in basket.lines},
        cart=basket,
        next_page=args["page"] + 1 if more else None,
    )


@bp.post("/rep/visits/<int:visit_id>/cart/items/<int:product_id>/add")
@rep
def rep_cart_add(visit_id: int, product_id: int):
    """加入 from the catalogue: adds to the visit's cart. From the page's script the answer is the
    cart bar and this product's "已加入" note, swapped in place: the rep keeps picking."""
    visit = _visit(visit_id)
    error, product, total, unit = None, None, 0, None
    try:
        qty = parse_form(QtyForm(), {"qty": request.form.get("qty", "")})["qty"]
        unit = request.form.get("unit") or None  # 件 or 箱, for a product sold in both
        product, total = cart.add_item(current_user().id, product_id, qty, unit)
    except AppError as exc:
        error = exc.message
    if request.headers.get("HX-Request"):
        return render_template(
            "h5/_rep_cart_added.html",
            visit=visit,
            cart=_cart(visit),
            product_id=product_id,
            product=product,
            total=total,
            words=units.amount_words(product, total, unit) if product else "",
            error=error,
        )
    if error:
        flash(error, "error")
    else:
        flash(f"已加入 {product.name}，共 {units.amount_words(product, total, unit)}", "success")
    query = {k: v for k, v in request.form.items() if k in ("q", "category_id", "page") and v}
    return redirect(
        url_for("h5.rep_products", visit_id=visit.id, _anchor=f"p-{product_id}", **query)
    )


@bp.post("/rep/visits/<int:visit_id>/cart/items/<int:product_id>")
@rep
def rep_cart_set(visit_id: int, product_id: int):
    """A stepper in the visit's cart sets the quantity (swapped in place from the script)."""
    _visit(visit_id)
    error = set_cart_line(product_id)
    if request.headers.get("HX-Request"):
        return rep_visit(visit_id, line_error=error)[0]
    if error:
        flash(error, "error")
    return _back(visit_id, f"line-{product_id}")


@bp.post("/rep/visits/<int:visit_id>/cart/items/<int:product_id>/remove")
@rep
def rep_cart_remove(visit_id: int, product_id: int):
    _visit(visit_id)
    cart.remove_item(current_user().id, product_id)
    return _back(visit_id)


@bp.post("/rep/visits/<int:visit_id>/cart/suggestions")
@rep
def rep_suggestions(visit_id: int):
    """按建议补货: the store's replenishment suggestions become the visit's cart."""
    visit = _visit(visit_id)
    added = replenishment.fill_cart(current_user().id, visit.customer_id, replace=True)
    flash(f"已按补货建议加入 {added} 种商品" if added else "该门店暂无补货建议", "success")
    return _back(visit_id)


@bp.post("/rep/visits/<int:visit_id>/orders")
@rep
def rep_order(visit_id: int):
    """代客下单: the visit's cart as an order on the dealer's behalf (the same rules as theirs),
    to the address chosen; a mistake keeps what was chosen and typed."""
    try:
        visit = _visit(visit_id)
        order_from_cart(
            visit.customer,
            key_prefix="h5rep",
            placed_by=visits.placed_by_rep(current_user().staff_id),
            source="rep",
            done="已为客户下单 {number}，等待客服审核",
        )
    except AppError as exc:
        if exc.status == 404 and "visit_id" in exc.details:
            raise
        return rep_visit(visit_id, form=request.form.to_dict(), error=exc.message)
    return _back(visit_id)
