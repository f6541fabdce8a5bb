"""Customers: list and search, create / edit, price book, invitations with a QR code, receipts,
statements (with Excel export), replenishment suggestions and settings, Excel import."""

from __future__ import annotations

import segno
from flask import current_app, g, redirect, render_template, request, url_for
from marshmallow import Schema

from admin import excel
from admin.console.blueprint import bp
from admin.console.forms import load_form, page_count, perform
from admin.console.session import console_login, may
from admin.schemas import (
    CustomerIn,
    CustomerPatchIn,
    CustomerPriceIn,
    CustomerQueryIn,
    ReceiptIn,
    ReplenishmentSettingIn,
)
from app.auth.scopes import customer_in_scope
from app.backoffice import queries
from app.core import catalog, organisation, receivables
from app.core.models import Branch, Customer, CustomerPrice, Product, Staff, Warehouse
from app.core.rules import PRICE_LEVELS
from app.errors import NotFound, ValidationFailed
from app.field import replenishment
from app.field.models import StockSalesReport
from app.field.rules import METHOD_LABELS
from app.mall import accounts
from app.mall.models import Invitation
from app.timeutil import local_today
from app.validation import business_date, id_field

PER_PAGE = 20
RECEIPT_METHODS = {
    "bank": "银行转账",
    "cash": "现金",
    "wechat": "微信",
    "alipay": "支付宝",
    "cheque": "支票",
    "other": "其他",
}


class StatementQueryIn(Schema):
    date_from = business_date()
    date_to = business_date()


class PriceEntryIn(CustomerPriceIn):
    product_id = id_field(required=True)


def _choices() -> dict:
    return {
        "branch_options": [
            (b.id, f"{b.code} {b.name}") for b in Branch.select().order_by(Branch.code)
        ],
        "warehouse_options": [
            (w.id, f"{w.code} {w.name}") for w in Warehouse.select().order_by(Warehouse.code)
        ],
        "rep_options": [
            (s.id, s.name or s.username)
            for s in Staff.select().where((Staff.role == "rep") & Staff.active).order_by(Staff.id)
        ],
        "level_options": [(level, f"{level} 级") for level in PRICE_LEVELS],
        "settlement_labels": excel.SETTLEMENT_LABELS,
    }


def _detail(customer_id: int) -> str:
    return url_for("console.customer_detail", customer_id=customer_id)


@bp.get("/customers")
@console_login("customers.view")
def customers():
    args = load_form(CustomerQueryIn, request.args)
    query = queries.customers_query(g.staff, args.get("q"), args.get("branch_id"))
    total = query.count()
    return render_template(
        "console/customers.html",
        customers=list(query.paginate(args["page"], PER_PAGE)),
        total=total,
        page=args["page"],
        pages=page_count(total, PER_PAGE),
        q=args.get("q", ""),
        **_choices(),
    )


@bp.post("/customers")
@console_login("customers.manage")
def create_customer():
    return perform(
        lambda: organisation.create_customer(**load_form(CustomerIn, request.form)),
        "已创建客户",
        url_for("console.customers"),
        then=lambda customer: _detail(customer.id),
    )


@bp.get("/customers/<int:customer_id>")
@console_login("customers.view")
def customer_detail(customer_id: int):
    customer = customer_in_scope(g.staff, customer_id)
    prices = list(
        CustomerPrice.select(CustomerPrice, Product)
        .join(Product)
        .where(CustomerPrice.customer == customer_id)
        .order_by(Product.sku)
    )
    suggestions = None
    if may("field.view"):
        settings, items = replenishment.suggestions(customer_id)
        suggestions = {"settings": settings, "items": items}
    reports = list(
        StockSalesReport.select()
        .where(StockSalesReport.customer == customer_id)
        .order_by(StockSalesReport.period_end.desc(), StockSalesReport.id.desc())
        .limit(5)
    )
    return render_template(
        "console/customer.html",
        customer=customer,
        position=receivables.account_position(customer_id),
        prices=prices,
        products=[(p.id, f"{p.sku} {p.name}") for p in Product.select().order_by(Product.sku)],
        suggestions=suggestions,
        method_labels=METHOD_LABELS,
        reports=reports,
        receipt_methods=RECEIPT_METHODS,
        today=local_today(),
        **_choices(),
    )


@bp.post("/customers/<int:customer_id>")
@console_login("customers.manage")
def update_customer(customer_id: int):
    def action():
        customer_in_scope(g.staff, customer_id)
        data = load_form(CustomerPatchIn, request.form)
        if "rep_id" not in data:  # an emptied select means "no rep"
            data["rep_id"] = None
        data.setdefault("active", False)  # an unticked checkbox sends nothing
        organisation.update_customer(customer_id, **data)

    return perform(action, "客户资料已保存", _detail(customer_id))


@bp.post("/customers/<int:customer_id>/prices")
@console_login("catalog.manage")
def set_price(customer_id: int):
    def action():
        customer_in_scope(g.staff, customer_id)
        data = load_form(PriceEntryIn, request.form)
        entry = catalog.set_customer_price(customer_id, data["product_id"], data["price"])
        return f"已设置客户价 {entry.price}"

    return perform(action, "已设置客户价", _detail(customer_id))


@bp.post("/customers/<int:customer_id>/invitations")
@console_login("invitations.create")
def create_invitation(customer_id: int):
    customer_in_scope(g.staff, customer_id)
    invitation = accounts.create_invitation(
        "dealer", customer_id=customer_id, created_by=g.staff.id
    )
    return redirect(url_for("console.invitation", code=invitation.code), code=303)


@bp.get("/invitations/<code>")
@console_login("invitations.create")
def invitation(code: str):
    """The code and its QR: the dealer scans it in WeChat and lands on the binding page."""
    found = Invitation.get_or_none(Invitation.code == code)
    if found is None:
        raise NotFound("邀请码不存在")
    if found.customer_id is not None:
        customer_in_scope(g.staff, found.customer_id)
        who = Customer.get_by_id(found.customer_id).name
    else:
        if not may("staff.manage"):
            raise NotFound("邀请码不存在")
        rep = Staff.get_by_id(found.staff_id)
        who = f"业务员 {rep.name or rep.username}"
    link = f"{current_app.config['H5_BASE_URL']}/bind?code={found.code}"
    qr = segno.make(link, error="m").svg_inline(scale=6, title=f"绑定邀请 {found.code}")
    return render_template("console/invitation.html", invitation=found, who=who, link=link, qr=qr)


@bp.post("/customers/<int:customer_id>/receipts")
@console_login("receipts.create")
def record_receipt(customer_id: int):
    def action():
        customer_in_scope(g.staff, customer_id)
        data = load_form(ReceiptIn, request.form)
        receipt = receivables.record_receipt(
            customer_id,
            data["amount"],
            data["method"],
            data["reference"],
            recorded_by=f"staff:{g.staff.id}",
        )
        return f"已登记收款 {receipt.number}：{receipt.amount}"

    return perform(action, "已登记收款", _detail(customer_id))


def _statement(customer_id: int):
    customer = customer_in_scope(g.staff, customer_id)
    args = load_form(StatementQueryIn, request.args)
    date_to = args.get("date_to") or local_today()
    date_from = args.get("date_from") or date_to.replace(day=1)
    if date_from > date_to:
        raise ValidationFailed("开始日期不能晚于结束日期", date_from=["不能晚于结束日期"])
    opening, lines = receivables.statement(customer_id, date_from, date_to)
    return customer, date_from, date_to, opening, lines


STATEMENT_KINDS = {"shipment": "发货", "receipt": "收款"}


@bp.get("/customers/<int:customer_id>/statement")
@console_login("customers.view")
def statement(customer_id: int):
    customer, date_from, date_to, opening, lines = _statement(customer_id)
    return render_template(
        "console/statement.html",
        customer=customer,
        date_from=date_from,
        date_to=date_to,
        opening=opening,
        lines=lines,
        kinds=STATEMENT_KINDS,
    )


@bp.get("/customers/<int:customer_id>/statement.xlsx")
@console_login("customers.view")
def statement_export(customer_id: int):
    customer, date_from, date_to, opening, lines = _statement(customer_id)
    rows = [(date_from, "期初余额", "", "", None, opening)]
    rows += [
        (ln.at, STATEMENT_KINDS.get(ln.kind, ln.kind), ln.ref, ln.note, ln.amount, ln.balance)
        for ln in lines
    ]
    headers = ["时间(UTC)", "类型", "单号", "摘要", "金额", "余额"]
    name = f"对账单-{customer.code}-{date_from}-{date_to}.xlsx"
    return excel.xlsx_response(name, [("对账单", headers, rows)])


@bp.post("/customers/<int:customer_id>/replenishment")
@console_login("field.manage")
def replenishment_settings(customer_id: int):
    def action():
        customer_in_scope(g.staff, customer_id)
        data = load_form(ReplenishmentSettingIn, request.form)
        data.pop("customer_id", None)
        replenishment.save_settings(customer_id, **data)

    return perform(action, "补货参数已保存", _detail(customer_id))
