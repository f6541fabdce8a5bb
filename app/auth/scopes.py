"""Data scopes and role permissions for staff (invariant 6): every query and action goes through here."""

from __future__ import annotations

from app.auth.permissions import PERMISSIONS
from app.core.models import Customer, Order, Staff
from app.errors import Forbidden, NotFound

__all__ = ["PERMISSIONS", "actor", "require", "scoped"]


def actor(staff: Staff) -> str:
    """How a staff member is named in events, ledgers and audits: the one place it is built."""
    return f"staff:{staff.id}"


def require(staff: Staff, permission: str) -> None:
    if staff.role not in PERMISSIONS[permission]:
        raise Forbidden("当前角色无权执行此操作", permission=permission)


def customer_condition(staff: Staff):
    """The customers a staff member may see, as a WHERE condition (None: all of them)."""
    if staff.data_scope == "all":
        return None
    if staff.data_scope == "branch":
        return Customer.branch == staff.branch_id
    return Customer.rep == staff.id


def scoped(query, staff: Staff):
    """Narrow a query that selects or joins Customer to the staff member's data scope."""
    condition = customer_condition(staff)
    return query if condition is None else query.where(condition)


def customer_in_scope(staff: Staff, customer_id: int) -> Customer:
    """Raises: NotFound, also for a customer outside the scope (its existence is not revealed)."""
    customer = scoped(Customer.select().where(Customer.id == customer_id), staff).first()
    if customer is None:
        raise NotFound("客户不存在", customer_id=customer_id)
    return customer


def order_in_scope(staff: Staff, order_id: int) -> Order:
    order = scoped(
        Order.select(Order, Customer).join(Customer).where(Order.id == order_id), staff
    ).first()
    if order is None:
        raise NotFound("订单不存在", order_id=order_id)
    return order


def branch_in_scope(staff: Staff, branch_id: int | None) -> int | None:
    """The branch a report may cover: branch-scoped staff only ever their own."""
    if staff.data_scope == "branch":
        if branch_id not in (None, staff.branch_id):
            raise Forbidden("只能查看本分支机构的数据")
        return staff.branch_id
    return branch_id
