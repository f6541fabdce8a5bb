"""Field work for managers: visits per rep per day (with anomalies), latest stock/sales reports."""

from __future__ import annotations

from flask import current_app, g, render_template, request
from marshmallow import Schema

from admin.console.forms import console_page, list_page, load_query
from admin.schemas import ReportQueryIn
from app.backoffice.queries import reports_query, reps_in_scope, with_lines
from app.field import visits as field_visits
from app.http import send_upload
from app.timeutil import local_today
from app.validation import business_date

ANOMALY_LABELS = {
    "checkout_far": "签退地点离门店过远",
    "too_short": "停留不足 3 分钟",
    "not_checked_out": "未签退",
}
PER_PAGE = 20


class DayIn(Schema):
    day = business_date()


@console_page("/visits", "field.view")
def visits():
    day = load_query(DayIn, request.args).get("day") or local_today()
    reps = {r.id: r for r in reps_in_scope(g.staff)}
    summary = field_visits.visits_by_day(list(reps), day, current_app.config["CHECKIN_RADIUS_M"])
    detail, photos = field_visits.visits_of_day(list(reps), day)
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


@console_page("/field-reports", "field.view")
def field_reports():
    args = load_query(ReportQueryIn, request.args)
    return list_page(
        "console/field_reports.html",
        reports_query(g.staff, args.get("customer_id")),
        args["page"],
        PER_PAGE,
        rows=with_lines,
        name="reports",
    )


@console_page("/visits/photos/<int:photo_id>", "field.view")
def visit_photo(photo_id: int):
    """A shelf photo, to staff who may see the visit's rep; private, cached by the browser."""
    photo = field_visits.photo_of_reps(photo_id, {r.id for r in reps_in_scope(g.staff)})
    return send_upload(photo.storage_key, photo.content_type, "private, max-age=86400")
