"""报表: sales by branch and rep, the daily trend, top customers and products, targets against
achievement; period presets; drill-down branch → rep → customer → orders; every table to Excel."""

from __future__ import annotations

import datetime as dt
import json

from flask import g, render_template, request, url_for
from marshmallow import Schema, fields, validate

from admin import excel
from admin.console.blueprint import bp
from admin.console.forms import back_to, console_page, load_form, load_query, perform
from admin.console.session import console_login, may
from admin.schemas import TargetIn
from app.backoffice import choices, queries, reports
from app.shops import reports as shop_reports
from app.timeutil import local_today
from app.validation import business_date, id_field

PRESETS = {
    "month": "本月",
    "last_month": "上月",
    "quarter": "本季",
    "year": "本年",
    "custom": "自定义",
}
TABLES = {
    "branch": "分支机构",
    "rep": "业务员",
    "customer": "客户",
    "product": "商品",
    "category": "分类",
    "brand": "品牌",
    "day": "日期",
}


class ReportQuery(Schema):
    preset = fields.String(load_default="month", validate=validate.OneOf(list(PRESETS)))
    date_from = business_date()
    date_to = business_date()
    branch_id = id_field(strict=False)
    rep_id = id_field(strict=False)
    table = fields.String(load_default="branch", validate=validate.OneOf(list(TABLES)))


def period(preset: str, today: dt.date, date_from=None, date_to=None) -> tuple[dt.date, dt.date]:
    """The dates a preset stands for (custom: the dates given, defaulting to this month)."""
    month_start = today.replace(day=1)
    if preset == "last_month":
        end = month_start - dt.timedelta(days=1)
        return end.replace(day=1), end
    if preset == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if preset == "year":
        return today.replace(month=1, day=1), today
    if preset == "custom":
        return date_from or month_start, date_to or today
    return month_start, today


def report_window(schema: type[ReportQuery] = ReportQuery):
    """A report page's filters, and the period (start, end) they choose."""
    args = load_query(schema, request.args)
    start, end = period(args["preset"], local_today(), args.get("date_from"), args.get("date_to"))
    return args, start, end


@console_page("/reports", "reports.ar")
def sales_reports():
    args, start, end = report_window()
    staff, branch, rep = g.staff, args.get("branch_id"), args.get("rep_id")

    def report(group):
        return reports.sales_report(staff, start, end, group, branch, rep)

    data = {
        "branch": report("branch"),
        "rep": report("rep"),
        "day": report("day"),
        "customer": report("customer"),
        "product": report("product"),
        "brand": report("brand"),
    }
    targets = reports.targets_report(staff, end.strftime("%Y-%m"))
    channels = reports.sales_report(staff, start, end, "channel", branch, rep)
    online = {
        "channels": channels,
        "platform_days": shop_reports.by_platform_and_day(staff, start, end),
        "best": shop_reports.best_sellers(staff, start, end),
        "slow": shop_reports.slow_movers(staff),
    }
    chart_data = {
        "branches": [(r["name"], str(r["amount"])) for r in data["branch"]["items"]],
        "reps": [(r["name"], str(r["amount"])) for r in data["rep"]["items"][:15]],
        "days": [(r["key"], str(r["amount"])) for r in data["day"]["items"]],
        "customers": [(r["name"], str(r["amount"])) for r in data["customer"]["items"][:10]],
        "products": [(r["name"], str(r["amount"])) for r in data["product"]["items"][:10]],
        "targets": [
            (r["name"], str(r["target"] or 0), str(r["achieved"])) for r in targets["branches"]
        ],
    }
    same_period = {"preset": "custom", "date_from": start, "date_to": end}
    return render_template(
        "console/reports.html",
        # Drill-down: a branch narrows the page to its reps, a rep to their customers, a customer
        # opens that customer's orders in the period.
        drill_branch=lambda r: url_for("console.sales_reports", **same_period, branch_id=r["key"]),
        drill_rep=lambda r: url_for(
            "console.sales_reports", **same_period, branch_id=branch, rep_id=r["key"]
        ),
        drill_customer=lambda r: url_for(
            "console.orders", date_from=start, date_to=end, customer_id=r["key"]
        ),
        args=args,
        start=start,
        end=end,
        data=data,
        targets=targets,
        online=online,
        presets=PRESETS,
        tables=TABLES,
        branch_options=choices.branch_options(),
        target_options=_target_options() if may("field.manage") else [],
        chart_json=json.dumps(chart_data, ensure_ascii=False),
    )


@console_page("/reports.xlsx", "reports.ar")
def sales_reports_export():
    """One table (by `table`) of the report on screen, as Excel."""
    args, start, end = report_window()
    found = reports.sales_report(
        g.staff, start, end, args["table"], args.get("branch_id"), args.get("rep_id")
    )
    headers = [TABLES[args["table"]], "订单数", "订货金额", "发货金额", "退货金额", "收款"]
    headers += ["成本", "毛利", "毛利率(%)"]
    fields = ("orders", "amount", "shipped_amount", "returned_amount", "receipts", "cost")
    fields += ("gross_profit", "gross_margin")
    rows = [(r["name"], *(r[f] for f in fields)) for r in found["items"]]
    rows.append(("合计", *(found["totals"][f] for f in fields)))
    name = f"销售报表-{TABLES[args['table']]}-{start}-{end}.xlsx"
    return excel.xlsx_response(name, [(TABLES[args["table"]], headers, rows)])


def _target_options() -> list[tuple[str, str]]:
    return [(f"branch:{b.id}", f"分支机构 {b.name}") for b in choices.branches_seen_by(g.staff)] + [
        (f"rep:{s.id}", queries.with_role(s)) for s in queries.reps_in_scope(g.staff)
    ]


@bp.post("/reports/targets")
@console_login("field.manage")
def set_target():
    """设定目标: a month's target for a branch or a rep, chosen as `branch:ID` or `rep:ID`."""
    back = back_to(url_for("console.sales_reports"))
    form = request.form.to_dict()
    kind, _, ident = form.pop("target", "").partition(":")
    form["branch_id" if kind == "branch" else "staff_id"] = ident

    def action():
        data = load_form(TargetIn, form)
        reports.set_target(
            g.staff, data["period"], data["amount"], data["branch_id"], data["staff_id"]
        )
        return f"已设定 {data['period']} 的目标"

    return perform(action, "目标已设定", back)
