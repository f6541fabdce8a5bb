"""Receivables aging as of a date, on the page and as Excel."""

from __future__ import annotations

from flask import g, render_template, request

from admin import excel
from admin.console.forms import console_page, load_query
from admin.schemas import AgingQueryIn
from app.backoffice import choices, queries
from app.core.rules import AGING_BUCKETS


def _aging():
    args = load_query(AgingQueryIn, request.args)
    return args, queries.aging_for(g.staff, args.get("as_of"), args.get("branch_id"))


@console_page("/ar-aging", "reports.ar")
def aging():
    args, report = _aging()
    return render_template(
        "console/aging.html",
        report=report,
        buckets=AGING_BUCKETS,
        branch_id=args.get("branch_id", ""),
        branch_options=choices.branch_options(),
    )


@console_page("/ar-aging.xlsx", "reports.ar")
def aging_export():
    _, report = _aging()
    headers = ["客户编码", "客户名称", *[f"{b} 天" for b in AGING_BUCKETS], "合计"]
    rows = [
        (r.customer_code, r.customer_name, *[r.buckets[b] for b in AGING_BUCKETS], r.total)
        for r in report["items"]
    ]
    totals = report["totals"]
    rows.append(("合计", "", *[totals[b] for b in AGING_BUCKETS], sum(totals.values())))
    return excel.xlsx_response(f"应收账龄-{report['as_of']}.xlsx", [("应收账龄", headers, rows)])
