"""Orders for staff: the order page with what the caller may do, review actions, shipping."""

from __future__ import annotations

import json
from dataclasses import dataclass

from app.auth.scopes import actor, order_in_scope, require, scoped
from app.backoffice import queries
from app.core import orders as core_orders
from app.core.models import Customer, Order, OrderEvent, Shipment, Staff
from app.core.queries import orders_by_id, orders_with_details, shipment_detail
from app.errors import NotFound
from app.mall import review
from app.mall.approval import allowed_actions
from app.mall.models import ApprovalStep, OrderAudit

AUDIT_LABELS = {
    "review": "客服审核",
    "sign": "审批签字",
    "adjust_lines": "调整商品行",
    "credit_override": "超信用额度特批",
    "reject": "驳回",
}


def orders_page(staff: Staff, filters: dict, page: int, per_page: int) -> tuple[list[Order], int]:
    """Orders in the caller's scope matching the filters, newest first, with their details."""
    require(staff, "orders.view")
    query = queries.orders_query(staff, filters)
    total = query.count()
    ids = [o.id for o in query.paginate(page, per_page)]
    return orders_by_id(ids), total


def order_for(staff: Staff, order_id: int) -> Order:
    """One order in the caller's scope, whole (lines, events, shipments). Raises: NotFound."""
    require(staff, "orders.view")
    query = scoped(Order.select(Order, Customer).join(Customer).where(Order.id == order_id), staff)
    found = orders_with_details(query, shipment_lines=True)
    if not found:
        raise NotFound("订单不存在", order_id=order_id)
    return found[0]


@dataclass
class OrderPage:
    """What a reviewer sees of one order: credit, stock per line, steps, history, and the actions
    the caller may take (`allowed_actions`)."""

    entry: review.QueueEntry
    events: list
    shipments: list
    audits: list[dict]
    names: dict[int, str]
    actions: frozenset[str]

    @property
    def order(self) -> Order:
        return self.entry.order


def order_page(staff: Staff, order_id: int) -> OrderPage:
    entry = review.review_entry(staff, order_id)
    order = entry.order
    audit_rows = list(
        OrderAudit.select().where(OrderAudit.order == order.id).order_by(OrderAudit.id)
    )
    shown = {a.staff_id for a in audit_rows} | {s.signed_by_id for s in entry.steps}
    names = {
        s.id: s.name or s.username
        for s in Staff.select(Staff.id, Staff.name, Staff.username).where(Staff.id << list(shown))
    }
    return OrderPage(
        entry=entry,
        events=list(
            OrderEvent.select().where(OrderEvent.order == order.id).order_by(OrderEvent.id)
        ),
        shipments=list(Shipment.select().where(Shipment.order == order.id).order_by(Shipment.id)),
        audits=[
            {
                "at": a.created_at,
                "who": names.get(a.staff_id, ""),
                "action": AUDIT_LABELS.get(a.action, a.action),
                "before": _pretty(a.before),
                "after": _pretty(a.after),
                "reason": a.reason,
            }
            for a in audit_rows
        ],
        names=names,
        actions=allowed_actions(order.status, entry.steps, staff.role),
    )


def _pretty(text: str) -> str:
    if not text:
        return ""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, list):
        return "；".join(
            f"{v.get('name') or v.get('product_id')} × {v.get('qty')} @ {v.get('price')}"
            if isinstance(v, dict)
            else str(v)
            for v in value
        )
    return json.dumps(value, ensure_ascii=False)


def adjust(staff: Staff, order_id: int, lines: list[dict], reason: str) -> Order:
    """Replace the lines of an order awaiting review; audited. Returns the order, whole."""
    review.adjust_lines(order_id, staff, lines, reason)
    return orders_by_id([order_id])[0]


def approve(staff: Staff, order_id: int, comment: str = "", credit_override: bool = False) -> Order:
    """Sign the next step (the last one approves into stock and credit). Returns the order, whole:
    the order is read twice in all (in scope, then whole)."""
    review.approve(order_id, staff, comment, credit_override)
    return orders_by_id([order_id])[0]


def waiting_for(order_id: int) -> str | None:
    """The role the next unsigned step of an order waits for, if any."""
    step = (
        ApprovalStep.select(ApprovalStep.role)
        .where((ApprovalStep.order == order_id) & ApprovalStep.signed_by.is_null())
        .order_by(ApprovalStep.seq)
        .first()
    )
    return step.role if step else None


def reject(staff: Staff, order_id: int, reason: str) -> Order:
    review.reject(order_id, staff, reason)
    return orders_by_id([order_id])[0]


def ship(
    staff: Staff, order_id: int, lines: list[dict], carrier: str, tracking_no: str
) -> Shipment:
    """Ship lines ({order_line_id, qty}) fully or partly, with carrier and tracking number.

    Raises: Forbidden, NotFound (out of scope), InvalidState, ValidationFailed.
    """
    require(staff, "orders.ship")
    order_in_scope(staff, order_id)
    shipment = core_orders.ship_order(
        order_id,
        [(ln["order_line_id"], ln["qty"]) for ln in lines],
        carrier,
        tracking_no,
        actor(staff),
    )
    return shipment_detail(shipment.id)
