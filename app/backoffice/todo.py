"""What waits for one staff member (待我处理): orders to review or sign, orders to ship, returns to
review or receive — only what their role does, inside their data scope. The console's bar and the
phone's staff page both show it."""

from __future__ import annotations

from dataclasses import dataclass

from app.approval import services as approvals
from app.auth.permissions import may
from app.auth.scopes import scoped
from app.core.models import Customer, Order, ReturnRequest, Staff
from app.core.rules import OrderStatus

TO_SHIP = (OrderStatus.APPROVED.value, OrderStatus.PARTIALLY_SHIPPED.value)
TO_RECEIVE = ("approved", "partially_received")


@dataclass(frozen=True)
class Todo:
    kind: str  # review | ship | return_review | return_receive
    label: str
    count: int
    items: list  # the oldest first: orders, or returns (with their order)


def _orders(staff: Staff):
    return scoped(Order.select(Order, Customer).join(Customer), staff)


def _returns(staff: Staff):
    return scoped(
        ReturnRequest.select(ReturnRequest, Customer, Order)
        .join(Customer)
        .switch(ReturnRequest)
        .join(Order),
        staff,
    )


def _queries(staff: Staff) -> list[tuple[str, str, object]]:
    """(kind, label, query) for each kind of work this staff member's role does."""
    found = []
    if may(staff.role, "orders.approve"):
        label = "待审核订单" if staff.role == "customer_service" else "待审批订单"
        waiting = (Order.status == OrderStatus.PENDING_REVIEW.value) & approvals.awaiting(
            "order", Order.id, staff.role
        )
        found.append(("review", label, _orders(staff).where(waiting)))
        mine = (ReturnRequest.status == "pending") & approvals.awaiting(
            "return", ReturnRequest.id, staff.role
        )
        found.append(("return_review", "待审核退货", _returns(staff).where(mine)))
    if may(staff.role, "orders.ship"):
        found.append(("ship", "待发货订单", _orders(staff).where(Order.status << TO_SHIP)))
        receive = ReturnRequest.status << TO_RECEIVE
        found.append(("return_receive", "待入库退货", _returns(staff).where(receive)))
    return found


def todos(staff: Staff, limit: int = 20) -> list[Todo]:
    """Each kind of work the role does, with how many and the oldest `limit` of them."""
    result = []
    for kind, label, query in _queries(staff):
        model = query.model
        oldest = query.order_by(model.created_at, model.id).limit(limit)
        result.append(Todo(kind, label, query.count(), list(oldest)))
    return result


def todo_count(staff: Staff) -> int:
    """How many things wait for this staff member, all kinds together (counts only)."""
    return sum(query.count() for _, _, query in _queries(staff))
