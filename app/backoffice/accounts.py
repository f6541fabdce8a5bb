"""Customers for staff: create and edit, price book, binding invitations, receipts (recorded,
listed across customers, voided), statements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from peewee import JOIN

from app.auth.permissions import ROLE_LABELS, may
from app.auth.scopes import (
    actor,
    customer_in_scope,
    require,
    require_branch,
    require_grant,
    require_warehouse,
    scoped,
    staff_condition,
    staff_in_scope,
)
from app.backoffice import queries
from app.core import catalog, organisation, receivables
from app.core.models import Customer, CustomerPrice, Order, Product, Receipt, Staff
from app.db import db, matching, where_given, within_local_days
from app.errors import NotFound, ValidationFailed
from app.mall import accounts
from app.mall import addresses as customer_addresses
from app.mall.models import Invitation, WechatUser
from app.notify import reach
from app.payments import statements
from app.timeutil import local_today


def _check_references(staff: Staff, data: dict) -> None:
    """The branch, warehouse and rep a customer write names must all be in the caller's scope."""
    if "branch_id" in data:
        require_branch(staff, data["branch_id"])
    if "warehouse_id" in data:
        require_warehouse(staff, data["warehouse_id"])
    if data.get("rep_id") is not None:
        staff_in_scope(staff, data["rep_id"])


def create_customer(staff: Staff, data: dict) -> Customer:
    """Raises: Forbidden (a branch, warehouse or rep outside the caller's scope), Conflict, ..."""
    require(staff, "customers.manage")
    _check_references(staff, data)
    return organisation.create_customer(**data)


def update_customer(staff: Staff, customer_id: int, data: dict) -> Customer:
    """Deactivating a customer also ends its dealers' WeChat bindings (reactivating it does not
    bring them back: dealers bind again with new invitations).

    Raises: Forbidden, NotFound (also outside the caller's scope), Conflict, ValidationFailed."""
    require(staff, "customers.manage")
    customer_in_scope(staff, customer_id)
    _check_references(staff, data)
    with db.atomic():
        customer = organisation.update_customer(customer_id, **data)
        if data.get("active") is False:
            accounts.end_bindings(customer_id=customer_id)
        return customer


# --- WeChat users bound to a customer or a staff member: seen and unbound by admins ----------


def customer_wechat_users(staff: Staff, customer_id: int) -> list[WechatUser]:
    """The WeChat users bound to a customer in the caller's scope. Raises: NotFound, Forbidden."""
    require(staff, "customers.manage")
    customer_in_scope(staff, customer_id)
    return list(
        WechatUser.select().where(WechatUser.customer == customer_id).order_by(WechatUser.id)
    )


def staff_wechat_users(staff: Staff, staff_id: int) -> list[WechatUser]:
    """The WeChat users bound to a staff member the caller manages. Raises: NotFound, Forbidden."""
    require(staff, "staff.manage")
    person = staff_in_scope(staff, staff_id)
    require_grant(staff, person.role, person.data_scope, person.branch_id)
    return list(WechatUser.select().where(WechatUser.staff == staff_id).order_by(WechatUser.id))


def staff_bindings(staff: Staff) -> dict[int, list[WechatUser]]:
    """The WeChat users bound to each staff member the caller may see, by staff id."""
    require(staff, "staff.manage")
    query = WechatUser.select().join(Staff).order_by(WechatUser.id)
    condition = staff_condition(staff)
    bound: dict[int, list[WechatUser]] = {}
    for user in query if condition is None else query.where(condition):
        bound.setdefault(user.staff_id, []).append(user)
    return bound


def wechat_user(wechat_user_id: int) -> WechatUser | None:
    """A WeChat user (bound to a customer, to staff, or to no one), if it exists."""
    return WechatUser.get_or_none(WechatUser.id == wechat_user_id)


def customer_prices(staff: Staff, customer_id: int) -> list[CustomerPrice]:
    """A customer's own prices (with their products), by SKU."""
    customer_in_scope(staff, customer_id)
    return list(
        CustomerPrice.select(CustomerPrice, Product)
        .join(Product)
        .where(CustomerPrice.customer == customer_id)
        .order_by(Product.sku)
    )


def unbind_wechat_user(staff: Staff, wechat_user_id: int) -> WechatUser:
    """End one WeChat user's binding (a lost phone, someone who left): only for a customer or a
    staff member the caller may manage; the WeChat user is no one here until bound again.

    Raises: NotFound (also bound outside the caller's scope), Forbidden."""
    user = WechatUser.get_or_none(WechatUser.id == wechat_user_id)
    if user is not None and user.customer_id is not None:
        customer_wechat_users(staff, user.customer_id)
    elif user is not None and user.staff_id is not None:
        staff_wechat_users(staff, user.staff_id)
    else:
        raise NotFound("微信用户不存在或未绑定", wechat_user_id=wechat_user_id)
    return accounts.unbind(wechat_user_id)


def set_customer_price(
    staff: Staff, customer_id: int, product_id: int, price: Decimal
) -> CustomerPrice:
    """A price-book entry: this customer's own price for a product, over its level price."""
    require(staff, "catalog.manage")
    customer_in_scope(staff, customer_id)
    if not Product.select().where(Product.id == product_id).exists():
        raise NotFound("商品不存在", product_id=product_id)
    return catalog.set_customer_price(customer_id, product_id, price)


def invite_dealer(staff: Staff, customer_id: int, role: str = "dealer") -> Invitation:
    """A single-use code (valid 7 days) that binds a dealer's WeChat to this customer."""
    require(staff, "invitations.create")
    customer_in_scope(staff, customer_id)
    return accounts.create_invitation(role, customer_id=customer_id, created_by=staff.id)


def invite_staff(staff: Staff, staff_id: int) -> Invitation:
    """A code that binds a staff member's WeChat to their account (reps: the rep pages; everyone:
    WeChat messages and orders to review on the phone). Only for someone in the caller's scope
    whom the caller could have created (binding a rep takes over the rep's stores)."""
    require(staff, "staff.manage")
    person = staff_in_scope(staff, staff_id)
    require_grant(staff, person.role, person.data_scope, person.branch_id)
    role = "rep" if person.role == "rep" else "staff"
    return accounts.create_invitation(role, staff_id=staff_id, created_by=staff.id)


def invitation_for(staff: Staff, code: str) -> tuple[Invitation, str]:
    """An invitation the caller may show, with whom it binds. Raises: NotFound."""
    require(staff, "invitations.create")
    found = Invitation.get_or_none(Invitation.code == code)
    if found is None:
        raise NotFound("邀请码不存在")
    if found.customer_id is not None:
        return found, customer_in_scope(staff, found.customer_id).name
    if not may(staff.role, "staff.manage"):
        raise NotFound("邀请码不存在")
    person = Staff.get_by_id(found.staff_id)
    return found, f"{ROLE_LABELS.get(person.role, '员工')} {person.name or person.username}"


def record_receipt(
    staff: Staff,
    customer_id: int,
    amount: Decimal,
    method: str,
    reference: str,
    received_on: dt.date | None = None,
) -> Receipt:
    """Money received: applied to the oldest open receivables first, the rest kept on account.
    `received_on`: the day it arrived (today or earlier; none: today), though not in a month
    whose statement the customer has confirmed (it would change what they confirmed).

    Raises: Forbidden, NotFound, ValidationFailed."""
    require(staff, "receipts.create")
    customer_in_scope(staff, customer_id)
    if received_on is not None and received_on < local_today():
        period = statements.confirmed_month(customer_id, received_on)
        if period:
            said = f"客户已确认 {period} 的对账单，收款日期不能在该月内"
            raise ValidationFailed(said, received_at=[said])
    return receivables.record_receipt(
        customer_id, amount, method, reference, recorded_by=actor(staff), received_on=received_on
    )


def receipts_query(staff: Staff, filters: dict):
    """收款记录: money received from the customers in the caller's scope (a return's credit
    note is none), newest received first, voided ones too; by `q` (a customer's name or code),
    `customer_id`, `method`, and `date_from`/`date_to` (the Asia/Shanghai days received)."""
    require(staff, "payments.view")
    query = scoped(
        Receipt.select(Receipt, Customer, Order)
        .join(Customer)
        .switch(Receipt)
        .join(Order, JOIN.LEFT_OUTER)
        .where(Receipt.method != "return"),
        staff,
    )
    query = matching(query, filters.get("q"), Customer.name, Customer.code)
    query = where_given(query, filters, customer_id=Receipt.customer, method=Receipt.method)
    query = within_local_days(
        query, Receipt.received_at, filters.get("date_from"), filters.get("date_to")
    )
    return query.order_by(Receipt.received_at.desc(), Receipt.id.desc())


def receipt_rows(receipts) -> list[Receipt]:
    """A page of receipts, each with `recorder` and `voider`: who recorded and who voided it,
    in words."""
    rows = list(receipts)
    names = queries.actor_names(
        {r.recorded_by for r in rows} | {r.voided_by for r in rows if r.voided_at}
    )
    names["wechatpay"] = "微信支付"
    for r in rows:
        r.recorder = names.get(r.recorded_by, "系统")
        r.voider = names.get(r.voided_by, "系统") if r.voided_at else ""
    return rows


def void_receipt(staff: Staff, receipt_id: int, reason: str) -> Receipt:
    """作废 a receipt recorded by mistake (receivables.void_receipt), in the caller's scope.

    Raises: Forbidden, NotFound (also another scope's), ValidationFailed, InvalidState,
    CreditExceeded."""
    require(staff, "receipts.void")
    found = receipts_query(staff, {}).where(Receipt.id == receipt_id).first()
    if found is None:
        # A return's credit note is not in the list, but is refused in words, not hidden.
        found = Receipt.get_or_none(Receipt.id == receipt_id)
        if found is None or found.method != "return":
            raise NotFound("收款不存在", receipt_id=receipt_id)
        customer_in_scope(staff, found.customer_id)
    return receivables.void_receipt(receipt_id, reason, actor(staff))


def statement(
    staff: Staff, customer_id: int, date_from: dt.date | None, date_to: dt.date | None
) -> tuple[Customer, dict]:
    """A customer's statement in the caller's scope, by the one statement period rule."""
    require(staff, "customers.view")
    customer = customer_in_scope(staff, customer_id)
    return customer, receivables.account_statement(customer_id, date_from, date_to, local_today())


def send_invitation_sms(staff: Staff, customer_id: int, phone: str | None) -> Invitation:
    """邀请短信: a fresh binding link to the dealer's phone (the customer's, unless another is
    given), limited per number. Raises: NotFound, ValidationFailed, RateLimited, ChannelError."""
    require(staff, "invitations.create")
    customer = customer_in_scope(staff, customer_id)
    return reach.send_invitation_sms(customer, phone or "", staff.id)


def reachability(staff: Staff, customer_id: int) -> dict:
    require(staff, "customers.view")
    return reach.reachability(customer_in_scope(staff, customer_id))


def addresses(staff: Staff, customer_id: int) -> list:
    """A customer's delivery addresses (the same records the dealer keeps on the phone)."""
    require(staff, "customers.view")
    customer_in_scope(staff, customer_id)
    return customer_addresses.addresses_of(customer_id)


def add_address(staff: Staff, customer_id: int, data: dict):
    """Raises: Forbidden, NotFound (also outside the caller's scope), ValidationFailed."""
    require(staff, "customers.manage")
    customer_in_scope(staff, customer_id)
    return customer_addresses.add(customer_id, data)


def update_address(staff: Staff, customer_id: int, address_id: int, data: dict):
    """Raises: Forbidden, NotFound (also outside the caller's scope), ValidationFailed."""
    require(staff, "customers.manage")
    customer_in_scope(staff, customer_id)
    return customer_addresses.update(customer_id, address_id, data)


def delete_address(staff: Staff, customer_id: int, address_id: int):
    """Raises: Forbidden, NotFound (also outside the caller's scope)."""
    require(staff, "customers.manage")
    customer_in_scope(staff, customer_id)
    return customer_addresses.delete(customer_id, address_id)
