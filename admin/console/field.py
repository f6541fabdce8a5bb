"""Field work for managers: visits per rep per day (with anomalies), latest stock/sales reports."""

from __future__ import annotations

from flask import current_app, g, render_template, request
from marshmallow import Schema
from peewee import prefetch

from admin.console.blueprint import bp
from admin.console.forms import load_form, paging
from admin.console.session import console_login
from admin.schemas import ReportQueryIn
from app.backoffice.queries import reports_query, reps_in_scope
from app.core.models import Customer, Product
from app.errors import NotFound
from app.field import visits as field_visits
from app.field.models import StockSalesLine, Visit, VisitPhoto
from app.http import send_upload
from app.timeutil import end_of_local_day_utc, local_today, start_of_local_day_utc
from app.validation import business_date

ANOMALY_LABELS = {
    "checkout_far": "签退地点离门店过远",
    "too_short": "停留不足 3 分钟",
    "not_checked_out": "未签退",
}
PER_PAGE = 20


class DayIn(Schema):
    day = business_date()


@bp.get("/visits")
@console_login("field.view")
def visits():
    day = load_form(DayIn, request.args).get("day") or local_today()
    reps = {r.id: r for r in reps_in_scope(g.staff)}
    summary = field_visits.visits_by_day(list(reps), day, current_app.config["CHECKIN_RADIUS_M"])
    detail = list(
        Visit.select(Visit, Customer)
        .join(Customer)
        .where(
            (Visit.staff << list(reps))
            & (Visit.checkin_at >= start_of_local_day_utc(day))
            & (Visit.checkin_at < end_of_local_day_utc(day))
        )
        .order_by(Visit.staff, Visit.checkin_at)
    )
    photos: dict[int, list[int]] = {}
    for photo in VisitPhoto.select(VisitPhoto.id, VisitPhoto.visit).where(
        VisitPhoto.visit << [v.id for v in detail]
    ):
        photos.setdefault(photo.visit_id, []).append(photo.id)
    return render_template(
        "console/visits.html",
        photos=photos,
        day=day,
        reps=reps,
        summary=summary,
        visits=detail,
        anomaly_labels=ANOMALY_LABELS,
        radius=current_app.config["CHECKIN_RADIUS_M"],
    )


@bp.get("/field-reports")
@console_login("field.view")
def field_reports():
    args = load_form(ReportQueryIn, request.args)
    query = reports_query(g.staff, args.get("customer_id"))
    total = query.count()
    page = query.paginate(args["page"], PER_PAGE)
    reports = prefetch(page, StockSalesLine.select(StockSalesLine, Product).join(Product))
    return render_template(
        "console/field_reports.html",
        reports=reports,
        **paging(total, args["page"], PER_PAGE),
    )


@bp.get("/visits/photos/<int:photo_id>")
@console_login("field.view")
def visit_photo(photo_id: int):
    """A shelf photo, to staff who may see the visit's rep; private, cached by the browser."""
    photo = VisitPhoto.get_or_none(VisitPhoto.id == photo_id)
    if photo is None or photo.visit.staff_id not in {r.id for r in reps_in_scope(g.staff)}:
        raise NotFound("照片不存在")
    return send_upload(photo.storage_key, photo.content_type, "private, max-age=86400")
