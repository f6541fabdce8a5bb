"""Field work for managers: visits per rep per day, the latest stock/sales reports, suggestions."""

from __future__ import annotations

from flask import current_app

from admin.api.blueprint import StaffBlueprint
from admin.schemas import (
    ReplenishmentSettingIn,
    ReplenishmentSettingOut,
    ReportQueryIn,
    StockReportPageOut,
    VisitDayListOut,
    VisitDayQueryIn,
)
from admin.security import current_staff
from app.auth.scopes import customer_in_scope
from app.backoffice import organisation as settings
from app.backoffice.queries import reports_query, reps_in_scope, with_lines
from app.errors import Forbidden
from app.field import replenishment, visits
from app.schemas import SuggestionsOut
from app.timeutil import local_today

bp = StaffBlueprint("admin_field", __name__, "拜访与补货")


@bp.get("/visits/daily")
@bp.staff("field.view", query=VisitDayQueryIn, out=VisitDayListOut)
def visits_daily(args):
    """Per rep for a day: visit count, time in stores, and anomalies (checked out far away,
    visits under 3 minutes, never checked out)."""
    day = args.get("day") or local_today()
    reps = {r.id: r for r in reps_in_scope(current_staff())}
    if args.get("staff_id"):
        if args["staff_id"] not in reps:
            raise Forbidden("无权查看该业务员", staff_id=args["staff_id"])
        reps = {args["staff_id"]: reps[args["staff_id"]]}
    rows = visits.visits_by_day(list(reps), day, current_app.config["CHECKIN_RADIUS_M"])
    for row in rows:
        row["staff_name"] = reps[row["staff_id"]].name
    return {"day": day, "items": rows}


@bp.listing("/reports/stock-sales", "field.view", ReportQueryIn, StockReportPageOut, with_lines)
def latest_reports(args):
    return reports_query(current_staff(), args.get("customer_id"))


@bp.get("/customers/<id:customer_id>/suggestions")
@bp.staff("field.view", out=SuggestionsOut)
def customer_suggestions(customer_id):
    customer_in_scope(current_staff(), customer_id)
    return replenishment.suggestions_view(customer_id)


@bp.put("/replenishment-settings")
@bp.staff("field.manage", body=ReplenishmentSettingIn, out=ReplenishmentSettingOut)
def put_settings(data):
    """The method and parameters for one customer, or for everyone (customer_id null)."""
    customer_id = data.pop("customer_id")
    return settings.save_replenishment(current_staff(), customer_id, data)
