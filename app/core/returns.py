"""Returns (退货): a dealer asks to send shipped goods back, staff review it (customer service,
then any steps an approval rule adds), the warehouse receives it — fully or partly — and the goods
go back on hand while the customer's account is credited at the order's prices.

Invariant 7: never more returned than shipped, per order line, under concurrency: what is asked,
approved or received is held on the order line by one guarded UPDATE (`returned_qty + qty <=
shipped_qty`) and given back only when a request is rejected. Receiving is guarded per return line
(`received_qty + qty <= qty`), so receiving twice never credits twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from peewee import fn

from app.approval import services as approvals
from app.approval.rules import Document, Facts, next_role
from app.core import costing, receivables, stock
from app.core.models import (
    Customer,
    Order,
    OrderLine,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    ShipmentLine,
    Staff,
)
from app.core.orders import record_event
from app.core.promotions import line_value
from app.core.rules import OrderStatus
from app.db import guarded_add, transaction, utcnow
from app.errors import InvalidState, NotFound, ValidationFailed
from app.events import ReturnReceived, emit
from app.money import cost_from_units, money, written
from app.numbering import create_numbered

RETURNABLE = (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.COMPLETED)
RETURN_LABELS = {
    "pending": "待审核",
    "approved": "待入库",
    "partially_received": "部分入库",
    "received": "已入库",
    "rejected": "已驳回",
}
RETURN_ACTIONS = {
    "return_request": "申请退货",
    "return_sign": "退货审批",
    "return_approve": "退货已批准",
    "return_reject": "退货已驳回",
    "return_receive": "退货已入库",
}


def shipped_cost(order_line_ids: list[int]) -> dict[int, tuple]:
    """(cost, qty) shipped per order line: what its goods cost when they left."""
    found = {lid: (Decimal("0"), 0) for lid in order_line_ids}
    query = (
        ShipmentLine.select(
            ShipmentLine.order_line, fn.SUM(ShipmentLine.cost), fn.SUM(ShipmentLine.qty)
        )
        .where(ShipmentLine.order_line << order_line_ids)
        .group_by(ShipmentLine.order_line)
    )
    for line_id, total, qty in query.tuples():
        found[line_id] = (cost_from_units(total), int(qty))
    return found


def _event(
    request: ReturnRequest,
    order: Order,
    action: str,
    to: str,
    actor: str,
    note: str,
    amount: Decimal | None = None,
):
    """The return's own history, and an order event (timeline and notifications) in the same
    transaction; the order's status does not change. The notifications speak of the return's
    value (`amount`, by default the value asked back), not of the order's total."""
    ReturnEvent.create(
        request=request.id,
        action=action,
        from_status=request.status if request.status != to else None,
        to_status=to,
        actor=actor,
        note=note[:500],
    )
    note = f"{request.number} {note}"[:255]
    value = request.amount if amount is None else amount
    record_event(order, action, order.status, order.status, actor, note, value)


def _quantities(lines: Iterable[tuple[int, int]], not_positive: str, empty: str) -> dict[int, int]:
    """(line id, qty) pairs summed per line id. Raises: ValidationFailed (`not_positive` for a
    quantity not above 0, `empty` for no lines)."""
    wanted: dict[int, int] = {}
    for line_id, qty in lines:
        if qty <= 0:
            raise ValidationFailed(not_positive, lines=[not_positive])
        wanted[line_id] = wanted.get(line_id, 0) + qty
    if not wanted:
        raise ValidationFailed(empty, lines=["至少一行"])
    return wanted


def _hold(column, ceiling, line_id: int, qty: int, refusal: tuple[str, str, str]) -> None:
    """`column += qty` on one line by one guarded UPDATE, within `ceiling` (a column of the same
    line). Raises: InvalidState, worded by `refusal` (message, the key naming the line, the key
    saying what is left), with what was asked."""
    line = guarded_add(column, line_id, qty, ceiling)
    if line is not None:
        message, line_key, left_key = refusal
        left = getattr(line, ceiling.name) - getattr(line, column.name)
        raise InvalidState(message, **{line_key: line_id, left_key: left}, requested=qty)


def request_return(
    customer_id: int, order_id: int, lines: Iterable[tuple[int, int]], reason: str, actor: str
) -> ReturnRequest:
    """Ask to return (order_line_id, qty) lines of a shipped order.

    Raises: NotFound (order or line not this customer's), InvalidState (not shipped yet, or more
    than shipped minus what is already asked for, approved or received), ValidationFailed.
    """
    wanted = _quantities(lines, "退货数量必须大于 0", "请选择要退的商品")
    if not reason or not reason.strip():
        raise ValidationFailed("请填写退货原因", reason=["必填"])
    with transaction():
        order = Order.get_or_none((Order.id == order_id) & (Order.customer == customer_id))
        if order is None:
            raise NotFound("订单不存在", order_id=order_id)
        if order.status not in RETURNABLE:
            raise InvalidState("订单发货后才能申请退货", status=order.status)
        order_lines = {ln.id: ln for ln in order.lines}
        unknown = sorted(set(wanted) - order_lines.keys())
        if unknown:
            raise NotFound("退货行不属于该订单", order_line_ids=unknown)
        for line_id, qty in sorted(wanted.items()):  # the fixed order every writer takes
            _hold(
                OrderLine.returned_qty,
                OrderLine.shipped_qty,
                line_id,
                qty,
                ("退货数量超过可退数量", "order_line_id", "returnable"),
            )
        # Valued after each line's share of the order's discounts, as its shipments were.
        amounts = {lid: _returned_value(order_lines[lid], q) for lid, q in wanted.items()}
        now = utcnow()
        request = create_numbered(
            ReturnRequest,
            "RT",
            "created_at",
            order=order.id,
            customer=customer_id,
            status="pending",
            reason=reason.strip()[:500],
            amount=money(sum(amounts.values(), Decimal("0"))),
            requested_by=actor,
            created_at=now,
            updated_at=now,
        )
        ReturnLine.insert_many(
            [
                {
                    "request": request.id,
                    "order_line": lid,
                    "product": order_lines[lid].product_id,
                    "qty": qty,
                    "price": order_lines[lid].price,
                    "amount": amounts[lid],
                }
                for lid, qty in sorted(wanted.items())
            ]
        ).execute()
        _event(request, order, "return_request", "pending", actor, request.reason)
        return request


def _returned_value(line: OrderLine, qty: int) -> Decimal:
    """What `qty` more units of an order line are worth back, after the line's share of the
    order's discounts (the units already asked back are valued first)."""
    before = line.returned_qty
    return money(
        line_value(line.price, line.qty, line.discount, before + qty)
        - line_value(line.price, line.qty, line.discount, before)
    )


def part_of(amount: Decimal, qty: int, units: int) -> Decimal:
    """`units` of a return line worth `amount` for `qty`; parts taken in turn sum to it."""
    return amount if units >= qty else money(amount * units / qty)


def _locked(request_id: int, statuses: tuple[str, ...]) -> ReturnRequest:
    """The request, its row taken first by a guarded UPDATE on its status (writers queue here)."""
    locked = (
        ReturnRequest.update(updated_at=utcnow())
        .where((ReturnRequest.id == request_id) & (ReturnRequest.status << list(statuses)))
        .execute()
    )
    found = ReturnRequest.get_or_none(ReturnRequest.id == request_id)
    if found is None:
        raise NotFound("退货单不存在", return_id=request_id)
    if not locked:
        raise InvalidState(
            f"退货单{RETURN_LABELS.get(found.status, found.status)}，不能执行此操作",
            status=found.status,
        )
    return found


def _move(request: ReturnRequest, to: str) -> None:
    ReturnRequest.update(status=to, updated_at=utcnow()).where(
        ReturnRequest.id == request.id
    ).execute()


def facts(request: ReturnRequest) -> Facts:
    """What the approval rules for returns look at: the value asked back, the customer."""
    customer = Customer.get_by_id(request.customer_id)
    return Facts(
        total=request.amount,
        list_total=request.amount,
        branch_id=customer.branch_id,
        customer_id=customer.id,
    )


def approve(request_id: int, staff: Staff, actor: str, comment: str = "") -> ReturnRequest:
    """Sign the return's next step (the approval engine): the first signature is customer
    service's review and lays out the steps the first matching rule for returns adds; the last
    one approves it for receiving.

    Raises: InvalidState (not pending, or a step signed by someone else meanwhile), Forbidden
    (not this role's step).
    """
    with transaction():
        request = _locked(request_id, ("pending",))
        order = Order.get_by_id(request.order_id)
        signature = approvals.sign("return", request.id, order, facts(request), staff, comment)
        if signature.approved:
            _event(request, order, "return_approve", "approved", actor, comment or "同意退货")
            _move(request, "approved")
            request.status = "approved"
        else:
            _event(request, order, "return_sign", "pending", actor, comment or "已签字")
        return request


def document(request: ReturnRequest) -> Document:
    """The return as the approval rules see it."""
    return Document("return", request.status, approvals.steps_of("return", request.id))


def waiting_for(request: ReturnRequest) -> str | None:
    """The role the return's next signature waits for (customer service before any)."""
    return next_role(document(request))


def reject(request_id: int, actor: str, reason: str) -> ReturnRequest:
    """Refuse a pending return; what it held on the order lines can be asked for again."""
    if not reason or not reason.strip():
        raise ValidationFailed("驳回须填写原因", reason=["必填"])
    with transaction():
        request = _locked(request_id, ("pending",))
        for line in sorted(request.lines, key=lambda ln: ln.order_line_id):
            OrderLine.update(returned_qty=OrderLine.returned_qty - line.qty).where(
                OrderLine.id == line.order_line_id
            ).execute()
        _event(
            request, Order.get_by_id(request.order_id), "return_reject", "rejected", actor, reason
        )
        ReturnRequest.update(
            status="rejected", reject_reason=reason.strip()[:500], updated_at=utcnow()
        ).where(ReturnRequest.id == request.id).execute()
        request.status, request.reject_reason = "rejected", reason.strip()
        return request


def receive(request_id: int, lines: Iterable[tuple[int, int]], actor: str) -> ReturnRequest:
    """The warehouse receives (return_line_id, qty), fully or partly: the goods go back on hand
    in the order's warehouse (a `return` stock movement) and the customer's account is credited
    at the order's price — against the oldest open receivables first, the rest as balance.

    Raises: InvalidState (not approved, or more than was approved), NotFound, ValidationFailed.
    """
    wanted = _quantities(lines, "入库数量必须大于 0", "请填写入库数量")
    with transaction():
        request = _locked(request_id, ("approved", "partially_received"))
        order = Order.get_by_id(request.order_id)
        mine = {ln.id: ln for ln in request.lines}
        unknown = sorted(set(wanted) - mine.keys())
        if unknown:
            raise NotFound("入库行不属于该退货单", return_line_ids=unknown)
        value = Decimal("0.00")
        for line_id, qty in sorted(wanted.items()):
            _hold(
                ReturnLine.received_qty,
                ReturnLine.qty,
                line_id,
                qty,
                ("入库数量超过退货数量", "return_line_id", "remaining"),
            )
            done = mine[line_id].received_qty
            value += part_of(mine[line_id].amount, mine[line_id].qty, done + qty) - part_of(
                mine[line_id].amount, mine[line_id].qty, done
            )
        value = money(value)
        receivables.record_receipt(
            request.customer_id,
            value,
            "return",
            request.number,
            recorded_by=actor,
            entry_kind="return",
            note=f"退货 {request.number}（订单 {order.number}）",
        )
        # Back on hand at the cost the goods left with: their order line's shipped cost per
        # unit. Stock rows last, after the customer's row, as approvals and shipments take them.
        shipped = shipped_cost([mine[lid].order_line_id for lid in wanted])
        stock.take_back(
            order.warehouse_id,
            [
                (mine[lid].product_id, qty, costing.part_of(*shipped[mine[lid].order_line_id], qty))
                for lid, qty in sorted(wanted.items())
            ],
            request.number,
            actor,
        )
        done = all(ln.received_qty + wanted.get(ln.id, 0) >= ln.qty for ln in mine.values())
        to = "received" if done else "partially_received"
        _event(request, order, "return_receive", to, actor, f"入库金额 {written(value)}", value)
        ReturnRequest.update(
            status=to,
            received_amount=ReturnRequest.received_amount + value,
            updated_at=utcnow(),
        ).where(ReturnRequest.id == request.id).execute()
        request = ReturnRequest.get_by_id(request.id)
        emit(ReturnReceived(request))
        return request
