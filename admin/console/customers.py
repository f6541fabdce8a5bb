"""Customers: list and search, create / edit, price book, invitations with a QR code, receipts,
statements (with Excel export), replenishment suggestions and settings, Excel import."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import segno
from flask import Response, flash, g, redirect, render_template, request, url_for
from marshmallow import Schema

from admin import excel
from admin.console.blueprint import bp
from admin.console.forms import (
    console_page,
    describe,
    form_post,
    list_page,
    load_form,
    load_query,
    perform,
)
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
from app.backoffice import accounts, choices, queries
from app.backoffice import organisation as settings
from app.core import receivables
from app.core.rules import ENTRY_LABELS, PRICE_LEVELS, RECEIPT_METHOD_LABELS
from app.errors import AppError
from app.field import replenishment
from app.field.rules import METHOD_LABELS
from app.mall import regions
from app.money import written
from app.notify.settings import current as notify_settings
from app.notify.templates import SUBSCRIBE_LABELS
from app.schemas import ADDRESS_LABELS, AddressIn
from app.timeutil import local_today
from app.validation import business_date, id_field

if TYPE_CHECKING:
    from app.mall.models import WechatUser


PER_PAGE = 20


class StatementQueryIn(Schema):
    date_from = business_date()
    date_to = business_date()


class PriceEntryIn(CustomerPriceIn):
    product_id = id_field(required=True)


def _choices() -> dict:
    return {
        "branch_options": choices.branch_options(with_code=True),
        "warehouse_options": choices.warehouse_options(),
        "rep_options": choices.rep_options(),
        "level_options": [(level, f"{level} 级") for level in PRICE_LEVELS],
        "settlement_labels": excel.SETTLEMENT_LABELS,
    }


def _detail(customer_id: int) -> str:
    return url_for("console.customer_detail", customer_id=customer_id)


# A form on a customer's page, which it comes back to.
customer_form = partial(form_post, back="console.customer_detail")


def _addresses(customer_id: int, **_) -> str:
    """The customer's page at its addresses (after an action on one of them)."""
    return _detail(customer_id) + "#addresses"


@console_page("/customers", "customers.view")
def customers():
    args = load_query(CustomerQueryIn, request.args)
    return list_page(
        "console/customers.html",
        queries.customers_query(g.staff, args.get("q"), args.get("branch_id")),
        args["page"],
        PER_PAGE,
        name="customers",
        q=args.get("q", ""),
        **_choices(),
    )


@form_post(
    "/customers",
    "customers.manage",
    "已创建客户",
    "console.customers",
    then="console.customer_detail",
)
def create_customer():
    return accounts.create_customer(g.staff, load_form(CustomerIn, request.form))


@console_page("/customers/<int:customer_id>", "customers.view")
def customer_detail(customer_id: int):
    return _customer_page(customer_id)


def _customer_page(
    customer_id: int, address_form: dict | None = None, error: str = "", receipt_typed=None
):
    """The customer's page; `address_form` is an address form to show again as it was typed
    ({"id": the address or None for a new one, "values": ...}) with the error that stopped it;
    `receipt_typed`, the 登记收款 form as it was typed when it was refused."""
    customer = customer_in_scope(g.staff, customer_id)
    prices = accounts.customer_prices(g.staff, customer_id)
    suggestions = None
    if may("field.view"):
        settings, items = replenishment.suggestions(customer_id)
        suggestions = {"settings": settings, "items": items}
    reports = list(queries.reports_query(g.staff, customer_id).limit(5))
    return render_template(
        "console/customer.html",
        customer=customer,
        position=receivables.account_position(customer_id),
        prices=prices,
        products=choices.product_options(),
        suggestions=suggestions,
        method_labels=METHOD_LABELS,
        reports=reports,
        reach=accounts.reachability(g.staff, customer_id),
        subscribe_labels=SUBSCRIBE_LABELS,
        receipt_methods=RECEIPT_METHOD_LABELS,
        today=local_today(),
        addresses=accounts.addresses(g.staff, customer_id),
        address_form=address_form,
        address_error=error,
        receipt_typed=receipt_typed if receipt_typed is not None else {},
        provinces=regions.regions(),
        **_choices(),
    ), 422 if error else 200


@customer_form("/customers/<int:customer_id>", "customers.manage", "客户资料已保存")
def update_customer(customer_id: int):
    data = load_form(CustomerPatchIn, request.form)
    if "rep_id" not in data:  # an emptied select means "no rep"
        data["rep_id"] = None
    data.setdefault("active", False)  # an unticked checkbox sends nothing
    accounts.update_customer(g.staff, customer_id, data)


def _save_address(customer_id: int, address_id: int | None):
    """新增 / 修改收货地址 on the customer's page; a mistake shows the form again as typed."""
    typed = request.form.to_dict()
    typed["is_default"] = "default" in request.form
    try:
        data = load_form(AddressIn, request.form)
        if address_id is None:
            accounts.add_address(g.staff, customer_id, data)
        else:
            accounts.update_address(g.staff, customer_id, address_id, data)
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        form = {"id": address_id, "values": typed}
        return _customer_page(customer_id, form, describe(exc, ADDRESS_LABELS))
    flash("收货地址已保存", "success")
    return redirect(_addresses(customer_id), code=303)


@bp.post("/customers/<int:customer_id>/addresses")
@console_login("customers.manage")
def add_address(customer_id: int):
    return _save_address(customer_id, None)


@bp.post("/customers/<int:customer_id>/addresses/<int:address_id>")
@console_login("customers.manage")
def update_address(customer_id: int, address_id: int):
    return _save_address(customer_id, address_id)


@form_post(
    "/customers/<int:customer_id>/addresses/<int:address_id>/default",
    "customers.manage",
    "已设为默认收货地址",
    _addresses,
)
def default_address(customer_id: int, address_id: int):
    return accounts.update_address(g.staff, customer_id, address_id, {"is_default": True})


@form_post(
    "/customers/<int:customer_id>/addresses/<int:address_id>/delete",
    "customers.manage",
    "已删除收货地址",
    _addresses,
)
def delete_address(customer_id: int, address_id: int):
    removed = accounts.delete_address(g.staff, customer_id, address_id)
    return f"已删除收货地址：{removed.place_text()}"


@console_page("/regions.json", "customers.view")
def region_data():
    """省/市/区 for the address picker, in the official order (the file as vendored)."""
    return Response(
        regions.DATA.read_bytes(),
        mimetype="application/json",
        headers={"Cache-Control": "private, max-age=86400"},
    )


@customer_form("/customers/<int:customer_id>/prices", "catalog.manage", "已设置客户价")
def set_price(customer_id: int):
    data = load_form(PriceEntryIn, request.form)
    entry = accounts.set_customer_price(g.staff, customer_id, data["product_id"], data["price"])
    return f"已设置客户价 {entry.price}"


@bp.post("/customers/<int:customer_id>/invitations")
@console_login("invitations.create")
def create_invitation(customer_id: int):
    invitation = accounts.invite_dealer(g.staff, customer_id)
    return redirect(url_for("console.invitation", code=invitation.code), code=303)


@customer_form(
    "/customers/<int:customer_id>/invitation-sms", "invitations.create", "已发送邀请短信"
)
def invitation_sms(customer_id: int):
    """邀请短信: the dealer gets their binding link on their phone."""
    invitation = accounts.send_invitation_sms(g.staff, customer_id, request.form.get("phone"))
    return f"已发送邀请短信到 {invitation.sms_phone}"


def _bound_to(user: WechatUser) -> str:
    """Whose WeChat it is, in words: the dealer's name (and the user's nickname) or the staff
    member's."""
    nickname = f"（{user.nickname}）" if user.nickname else ""
    if user.customer_id:
        return f"经销商“{user.customer.name}”{nickname}"
    if user.staff_id:
        return f"“{user.staff.name or user.staff.username}”{nickname}"
    return f"微信用户{nickname}"


@bp.post("/wechat-users/<int:wechat_user_id>/unbind")
@console_login(None)
def unbind_wechat_user(wechat_user_id: int):
    """解除绑定: a lost phone, or someone who left; back to the customer's or the staff page."""
    bound = accounts.wechat_user(wechat_user_id)
    customer_id = bound.customer_id if bound else None
    back = _detail(customer_id) if customer_id else url_for("console.staff")

    who = _bound_to(bound) if bound else "该微信用户"

    def action():
        accounts.unbind_wechat_user(g.staff, wechat_user_id)
        return f"已解除{who}的微信绑定"

    return perform(action, "已解除绑定", back)


@console_page("/invitations/<code>", "invitations.create")
def invitation(code: str):
    """The code and its QR: the dealer scans it in WeChat and lands on the binding page."""
    found, who = accounts.invitation_for(g.staff, code)
    link = notify_settings().binding_link(found.code)
    qr = segno.make(link, error="m").svg_inline(scale=6, title=f"绑定邀请 {found.code}")
    return render_template("console/invitation.html", invitation=found, who=who, link=link, qr=qr)


@customer_form(
    "/customers/<int:customer_id>/receipts",
    "receipts.create",
    "已登记收款",
    again=lambda customer_id, typed: _customer_page(customer_id, receipt_typed=typed),
)
def record_receipt(customer_id: int):
    data = load_form(ReceiptIn, request.form)
    receipt = accounts.record_receipt(
        g.staff,
        customer_id,
        data["amount"],
        data["method"],
        data["reference"],
        data.get("received_at"),
    )
    dated = data.get("received_at")
    on = f"（收款日期 {dated}）" if dated and dated != local_today() else ""
    return f"已登记收款 {receipt.number}：{written(receipt.amount)}{on}"


def _statement(customer_id: int):
    args = load_query(StatementQueryIn, request.args)
    return accounts.statement(g.staff, customer_id, args.get("date_from"), args.get("date_to"))


@console_page("/customers/<int:customer_id>/statement", "customers.view")
def statement(customer_id: int):
    customer, found = _statement(customer_id)
    return render_template(
        "console/statement.html",
        customer=customer,
        date_from=found["date_from"],
        date_to=found["date_to"],
        opening=found["opening_balance"],
        lines=found["items"],
        kinds=ENTRY_LABELS,
    )


@console_page("/customers/<int:customer_id>/statement.xlsx", "customers.view")
def statement_export(customer_id: int):
    customer, found = _statement(customer_id)
    date_from, date_to = found["date_from"], found["date_to"]
    rows = [(date_from, "期初余额", "", "", None, found["opening_balance"])]
    rows += [
        (ln.at, ENTRY_LABELS.get(ln.kind, ln.kind), ln.ref, ln.note, ln.amount, ln.balance)
        for ln in found["items"]
    ]
    headers = ["时间（北京时间）", "类型", "单号", "摘要", "金额", "余额"]
    name = f"对账单-{customer.code}-{date_from}-{date_to}.xlsx"
    return excel.xlsx_response(name, [("对账单", headers, rows)])


@customer_form("/customers/<int:customer_id>/replenishment", "field.manage", "补货参数已保存")
def replenishment_settings(customer_id: int):
    data = load_form(ReplenishmentSettingIn, request.form)
    data.pop("customer_id", None)
    settings.save_replenishment(g.staff, customer_id, data)
