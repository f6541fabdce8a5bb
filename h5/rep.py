"""The sales rep's pages: today's plan, check-in by the phone's location, shelf photos, the
stock/sales report, the visit's cart from suggestions, ordering on the dealer's behalf, check-out.
The same field and mall use cases as the mini-program's rep API."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate

from app.core.rules import STATUS_LABELS
from app.errors import AppError, ValidationFailed
from app.field import visits
from app.field.rules import distance_text, visit_minutes
from app.http import photo_upload, send_upload
from app.mall import addresses as customer_addresses
from app.mall import ordering
from app.pages import perform
from app.validation import whole_number
from h5.blueprint import bp
from h5.forms import parse_form
from h5.session import current_user, h5_login, low_threshold

# A shelf count or a sale, at most: as the API's StockSalesLineIn allows.
QTY_MAX = 9_999_999

rep = h5_login("rep")


class GeoForm(Schema):
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lng = fields.Float(required=True, validate=validate.Range(min=-180, max=180))


def _staff():
    return current_user().staff


def _open_visit():
    return visits.open_visit(_staff())


@bp.get("/rep/")
@rep
def rep_home():
    staff = _staff()
    return render_template(
        "h5/rep_home.html",
        staff=staff,
        plan=visits.today_plan(staff),
        done=visits.todays_visits(staff),
        customers=visits.rep_customers(staff),
        open_visit=_open_visit(),
    )


@bp.get("/rep/customers/<int:customer_id>")
@rep
def rep_customer(customer_id: int, error=None):
    staff = _staff()
    customer = visits.own_customer(staff, customer_id)
    return render_template(
        "h5/rep_customer.html",
        customer=customer,
        addresses=customer_addresses.addresses_of(customer.id),
        orders=visits.recent_orders(customer),
        visits=visits.recent_visits(staff, customer),
        statuses=STATUS_LABELS,
        mine=visits.placed_by_rep(staff.id),
        radius=current_app.config["CHECKIN_RADIUS_M"],
        open_visit=_open_visit(),
        error=error,
    ), 422 if error else 200


@bp.post("/rep/customers/<int:customer_id>/checkin")
@rep
def rep_check_in(customer_id: int):
    """签到: within CHECKIN_RADIUS_M of the store, by the location the phone gives."""
    try:
        where = parse_form(GeoForm(), request.form)
        visit = visits.check_in(
            _staff(),
            customer_id,
            where["lat"],
            where["lng"],
            current_app.config["CHECKIN_RADIUS_M"],
            cart_user_id=current_user().id,
        )
    except AppError as exc:
        if exc.status == 404:
            raise
        return rep_customer(customer_id, error=exc.message)
    flash("签到成功", "success")
    return redirect(url_for("h5.rep_visit", visit_id=visit.id))


def report_products(customer):
    """What the report asks about: what this store ordered lately, else the start of the range."""
    recent = ordering.recent_products(customer, low_threshold(), 30)
    if recent:
        return [last.view.product for last in recent]
    return visits.first_products(20)


def _back(visit_id: int):
    return redirect(url_for("h5.rep_visit", visit_id=visit_id))


@bp.post("/rep/visits/<int:visit_id>/photos")
@rep
def rep_photo(visit_id: int):
    """A shelf photo from the phone's camera."""
    upload = request.files.get("file")

    def add():
        if upload is None or not upload.filename:
            raise ValidationFailed("请先拍照或选择照片")
        visits.add_photo(_staff(), visit_id, *photo_upload(upload))

    return perform(add, "照片已上传", url_for("h5.rep_visit", visit_id=visit_id))


@bp.get("/rep/visits/<int:visit_id>/photos/<int:photo_id>")
@rep
def rep_visit_photo(visit_id: int, photo_id: int):
    """A shelf photo the rep took on this visit: theirs only, kept private by the phone."""
    photo = visits.visit_photo(_staff(), visit_id, photo_id)
    return send_upload(photo.storage_key, photo.content_type, "private, max-age=86400")


@bp.post("/rep/visits/<int:visit_id>/report")
@rep
def rep_report(visit_id: int):
    """The store's stock and sales per product, counted on the shelf; blank rows are skipped."""

    def report():
        lines = []
        for key, value in request.form.items():
            if not key.startswith("stock-") or not value.strip():
                continue
            product_id = whole_number(key.removeprefix("stock-"), low=1, what="商品")
            sales = request.form.get(f"sales-{product_id}", "").strip() or "0"
            lines.append(
                {
                    "product_id": product_id,
                    "stock_qty": whole_number(value, high=QTY_MAX, what="库存数量"),
                    "sales_qty": whole_number(sales, high=QTY_MAX, what="销售数量"),
                }
            )
        if not lines:
            raise ValidationFailed("请至少填写一种商品的库存")
        visits.report(_staff(), visit_id, lines)
        return f"已上报 {len(lines)} 种商品的进销存"

    return perform(report, "", url_for("h5.rep_visit", visit_id=visit_id))


def far_warning(distance: float, radius: int) -> str:
    """What a rep checking out farther than the check-in radius is told before confirming."""
    return (
        f"您现在距离门店 {distance_text(distance)}，超出 {distance_text(radius)}："
        "在这里签退会被记为异常。请回到门店后签退，或确认仍在此签退。"
    )


class CheckOutForm(GeoForm):
    far_ok = fields.Boolean(load_default=False)  # the rep saw the warning and checks out anyway


@bp.post("/rep/visits/<int:visit_id>/checkout")
@rep
def rep_check_out(visit_id: int):
    """签退 where the phone is. Farther from the store than a check-in may be, the rep is told so
    first (the console flags such a visit) and checks out only on confirming."""
    radius = current_app.config["CHECKIN_RADIUS_M"]
    try:
        where = parse_form(CheckOutForm(), request.form)
        distance = visits.distance_from_store(_staff(), visit_id, where["lat"], where["lng"])
        if distance > radius and not where["far_ok"]:
            # The visit's page says why beside the buttons (far_warning), where the rep looks.
            return redirect(
                url_for(
                    "h5.rep_visit",
                    visit_id=visit_id,
                    far_lat=where["lat"],
                    far_lng=where["lng"],
                    _anchor="checkout",
                )
            )
        visit = visits.check_out(_staff(), visit_id, where["lat"], where["lng"])
        flash(f"已签退，本次拜访 {visit_minutes(visit.duration_s)} 分钟", "success")
    except AppError as exc:
        flash(exc.message, "error")
        return _back(visit_id)
    return redirect(url_for("h5.rep_home"))
