"""Sales reports by branch, rep, customer, product, category or day, and monthly targets (考核)."""

from __future__ import annotations

from datetime import date

from admin.api.blueprint import StaffBlueprint
from admin.inventory_schemas import ProfitQueryIn, ProfitReportOut
from admin.schemas import (
    SalesQueryIn,
    SalesReportOut,
    TargetIn,
    TargetOut,
    TargetsQueryIn,
    TargetsReportOut,
)
from admin.security import current_staff
from app.backoffice import reports
from app.timeutil import local_today

bp = StaffBlueprint("admin_reports", __name__, "销售报表与考核")


def _period(args) -> tuple[date, date]:
    """The report's first and last day: those asked for, else from the first of this month
    (Asia/Shanghai) to today."""
    today = local_today()
    return args.get("date_from") or today.replace(day=1), args.get("date_to") or today


@bp.get("/reports/sales")
@bp.staff("reports.ar", query=SalesQueryIn, out=SalesReportOut)
def sales(args):
    """Orders and amount submitted (not rejected or cancelled), shipped, returned and received in
    the period (Asia/Shanghai days), grouped, with totals; within the caller's data scope."""
    return reports.sales_report(
        current_staff(),
        *_period(args),
        args["group_by"],
        args.get("branch_id"),
        args.get("rep_id"),
    )


@bp.get("/reports/profit")
@bp.staff("reports.ar", query=ProfitQueryIn, out=ProfitReportOut)
def profit(args):
    """独立核算: net sales (shipped less returned), cost of goods, gross profit, customer fees and
    profit after fees, by branch, rep, customer or brand, in the caller's scope (a branch
    manager sees their branch's own figures)."""
    return reports.profit_report(
        current_staff(),
        *_period(args),
        args["group_by"],
        args.get("branch_id"),
    )


@bp.put("/targets")
@bp.staff("field.manage", body=TargetIn, out=TargetOut)
def put_target(data):
    """A month's target for a branch (branch_id) or a rep (staff_id)."""
    return reports.set_target(
        current_staff(), data["period"], data["amount"], data["branch_id"], data["staff_id"]
    )


@bp.get("/reports/targets")
@bp.staff("reports.ar", query=TargetsQueryIn, out=TargetsReportOut)
def targets(args):
    """Target against achievement (approved orders' amount) and receipts, per branch and rep."""
    period = args.get("period") or local_today().strftime("%Y-%m")
    return reports.targets_report(current_staff(), period)
