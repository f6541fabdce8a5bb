"""Data scopes and role permissions for staff (invariant 6): every query and action goes through here."""

from __future__ import annotations

from app.auth.permissions import PERMISSIONS
from app.core.models import Customer, Order, Staff, Warehouse
from app.errors import Forbidden, NotFound

__all__ = ["PERMISSIONS", "actor", "require", "scoped"]


def actor(staff: Staff) -> str:
    """How a staff member is named in events, ledgers and audits: the one place it is built."""
    return getattr(staff, "actor_name", None) or f"staff:{staff.id}"


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


# --- writes: no one names what is outside their scope or grants more than they hold -----------

SCOPE_RANK = {"own": 0, "branch": 1, "all": 2}


def require_all_scope(staff: Staff) -> None:
    """Settings that apply to every branch (catalogue, rules, global defaults) need scope `all`."""
    if staff.data_scope != "all":
        raise Forbidden("该设置影响所有分支机构，只有数据范围为“全部”的员工可以修改")


def require_branch(staff: Staff, branch_id: int | None) -> None:
    """A write that names a branch (or, with None, every branch) must stay in the caller's."""
    if staff.data_scope == "all":
        return
    if branch_id is None:
        require_all_scope(staff)
    if branch_id != staff.branch_id:
        raise Forbidden("只能操作本分支机构的数据", branch_id=branch_id)


def warehouses_in_scope(staff: Staff):
    """Warehouse ids a staff member may see and adjust: their branch's, or all for HQ staff."""
    query = Warehouse.select(Warehouse.id)
    if staff.data_scope != "all":
        query = query.where(Warehouse.branch == staff.branch_id)
    return query


def require_warehouse(staff: Staff, warehouse_id: int | None) -> None:
    """A warehouse named in a write must be the caller's branch's (any, for scope `all`)."""
    if staff.data_scope == "all" or warehouse_id is None:
        return
    warehouse = Warehouse.get_or_none(Warehouse.id == warehouse_id)
    if warehouse is None:
        raise NotFound("仓库不存在", warehouse_id=warehouse_id)
    if warehouse.branch_id is None or warehouse.branch_id != staff.branch_id:
        raise Forbidden("只能使用本分支机构的仓库", warehouse_id=warehouse_id)


def staff_condition(staff: Staff):
    """The staff a staff member may see and manage, as a WHERE condition (None: all of them)."""
    if staff.data_scope == "all":
        return None
    if staff.data_scope == "branch":
        return Staff.branch == staff.branch_id
    return Staff.id == staff.id


def staff_in_scope(staff: Staff, staff_id: int) -> Staff:
    """Raises: NotFound, also for staff outside the caller's scope."""
    query = Staff.select().where(Staff.id == staff_id)
    condition = staff_condition(staff)
    found = (query if condition is None else query.where(condition)).first()
    if found is None:
        raise NotFound("员工不存在", staff_id=staff_id)
    return found


def permissions_of(role: str) -> frozenset[str]:
    return frozenset(p for p, roles in PERMISSIONS.items() if role in roles)


def require_grant(staff: Staff, role: str, data_scope: str, branch_id: int | None) -> None:
    """Creating or managing an account: never a role that may do more than the caller may, a
    data scope wider than the caller's, or a branch outside it."""
    if not permissions_of(role) <= permissions_of(staff.role):
        raise Forbidden("不能授予高于自己的角色权限", role=role)
    if SCOPE_RANK.get(data_scope, 0) > SCOPE_RANK[staff.data_scope]:
        raise Forbidden("不能授予高于自己的数据范围", data_scope=data_scope)
    if data_scope != "all":
        require_branch(staff, branch_id)
