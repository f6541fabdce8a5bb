"""Returns for staff: the queue in the caller's scope, one return, approve (customer service, then
any steps an approval rule adds), reject, and receive into the warehouse."""

from __future__ import annotations

from app.approval import services as approvals
from app.approval.models import ApprovalStep
from app.approval.rules import allowed_actions, next_role
from app.auth.permissions import ROLE_LABELS
from app.auth.scopes import actor, require, scoped
from app.core import returns
from app.core.models import Customer, Order, ReturnRequest, Staff
from app.errors import Forbidden, InvalidState, NotFound
from app.mall.returns import with_details


def returns_query(staff: Staff, status: str | None = None):
    """Returns of customers in the caller's scope: pending first, then newest."""
    require(staff, "orders.view")
    query = scoped(
        ReturnRequest.select(ReturnRequest, Customer, Order)
        .join(Customer)
        .switch(ReturnRequest)
        .join(Order),
        staff,
    )
    if status:
        query = query.where(ReturnRequest.status == status)
    pending_first = ReturnRequest.status != "pending"
    return query.order_by(pending_first, ReturnRequest.id.desc())


def return_in_scope(staff: Staff, return_id: int) -> ReturnRequest:
    """One return with its details. Raises: NotFound, also outside the caller's scope."""
    found = with_details(returns_query(staff).where(ReturnRequest.id == return_id))
    if not found:
        raise NotFound("退货单不存在", return_id=return_id)
    return found[0]


def allowed(staff: Staff, request: ReturnRequest) -> frozenset[str]:
    """What the caller may do to this return now: sign, reject, receive."""
    return allowed_actions(returns.document(request), staff)


def approve(staff: Staff, return_id: int, comment: str = "") -> ReturnRequest:
    """Raises: Forbidden (not this role's signature), NotFound, InvalidState."""
    require(staff, "orders.approve")
    request = return_in_scope(staff, return_id)
    document = returns.document(request)
    if "sign" not in allowed_actions(document, staff):
        waiting = next_role(document)
        if not waiting:  # nothing awaits a signature: the return is past review (409)
            raise InvalidState("该退货单不在待审核状态", status=request.status)
        raise Forbidden(f"当前等待{ROLE_LABELS.get(waiting, waiting)}审批")
    returns.approve(request.id, staff, actor(staff), comment)
    return return_in_scope(staff, return_id)


def reject(staff: Staff, return_id: int, reason: str) -> ReturnRequest:
    require(staff, "orders.approve")
    request = return_in_scope(staff, return_id)
    if request.status == "pending" and "reject" not in allowed(staff, request):
        raise Forbidden("当前角色不能驳回该退货单")
    returns.reject(request.id, actor(staff), reason)
    return return_in_scope(staff, return_id)


def receive(staff: Staff, return_id: int, lines: list[dict]) -> ReturnRequest:
    """Receive ({return_line_id, qty}) lines into the order's warehouse; credits the customer."""
    require(staff, "orders.ship")
    return_in_scope(staff, return_id)
    returns.receive(return_id, [(ln["return_line_id"], ln["qty"]) for ln in lines], actor(staff))
    return return_in_scope(staff, return_id)


def steps_of(request: ReturnRequest) -> list[ApprovalStep]:
    return approvals.steps_of("return", request.id)
