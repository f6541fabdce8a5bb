"""Order review and conditional approval, by staff within their data scope.

Customer service reviews first (step 0); the first approval rule that matches the order then adds
steps signed in order by the roles it names; the last signature pushes the order into core (stock
reserved, credit held) in the same transaction. Every signature, adjustment and credit override
is audited.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from peewee import IntegrityError, fn

from app.auth.permissions import ROLE_LABELS
from app.auth.scopes import actor, order_in_scope, require, scoped
from app.core import credit, orders, stock
from app.core.models import Customer, Order, OrderLine, Product, Staff
from app.core.rules import OrderStatus, line_amount
from app.db import db, transaction, utcnow
from app.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from app.mall.approval import (
    APPROVER_ROLES,
    REVIEW_ROLES,
    OrderFacts,
    allowed_actions,
    condition_errors,
    next_role,
    steps_for,
)
from app.mall.models import ApprovalRule, ApprovalStep, OrderAudit
from app.money import money


def _audit(order_id: int, staff: Staff, action: str, before=None, after=None, reason: str = ""):
    OrderAudit.create(
        order=order_id,
        staff=staff.id,
        action=action,
        before=json.dumps(before, ensure_ascii=False, default=str) if before is not None else "",
        after=json.dumps(after, ensure_ascii=False, default=str) if after is not None else "",
        reason=reason,
    )


# Called in the transaction of a review or signature that leaves the order waiting for another
# role's signature, with (order, role, step seq): the notification outbox registers here, so the
# review never imports it.
step_listeners: list[Callable[[Order, str, int], None]] = []


# --- rules -----------------------------------------------------------------


def create_rule(name: str, condition: dict, steps: list[dict], priority: int = 100) -> ApprovalRule:
    """Raises: ValidationFailed (unknown condition keys, bad values, steps by non-approver roles)."""
    errors = condition_errors(condition)
    if errors:
        raise ValidationFailed("审批条件不正确", condition=errors)
    roles = [s["role"] for s in steps]
    bad = [r for r in roles if r not in APPROVER_ROLES]
    if bad:
        raise ValidationFailed("审批角色无效", steps=[f"{r} 不能审批" for r in bad])
    with transaction():
        return ApprovalRule.create(
            name=name,
            condition=json.dumps(condition),
            steps=json.dumps([{"role": r} for r in roles]),
            priority=priority,
        )


def set_rule_active(rule_id: int, active: bool) -> ApprovalRule:
    """Switch a rule off (or back on); orders already reviewed keep the steps they were given."""
    with transaction():
        if not ApprovalRule.update(active=active).where(ApprovalRule.id == rule_id).execute():
            raise NotFound("审批规则不存在", rule_id=rule_id)
        return ApprovalRule.get_by_id(rule_id)


def active_rules() -> list[tuple[str, dict, list[str]]]:
    rules = (
        ApprovalRule.select()
        .where(ApprovalRule.active)
        .order_by(ApprovalRule.priority, ApprovalRule.id)
    )
    return [
        (r.name, json.loads(r.condition), [s["role"] for s in json.loads(r.steps)]) for r in rules
    ]


def order_facts(order: Order, customer: Customer) -> OrderFacts:
    lines = list(order.lines)
    spendable = credit.available_to_spend(customer)
    return OrderFacts(
        total=order.total,
        list_total=money(sum((line_amount(ln.list_price, ln.qty) for ln in lines), Decimal(0))),
        branch_id=customer.branch_id,
        customer_id=customer.id,
        credit_exceeded=spendable is not None and order.total > spendable,
    )


# --- the review queue ---------------------------------------------------------


@dataclass
class QueueEntry:
    order: Order
    customer: Customer
    credit: dict
    lines: list
    steps: list
    next_role: str | None


def waiting_for(role: str):
    """A condition on Order: the order's next signature is this role's (customer service: not yet
    reviewed at all; admins do both)."""
    unreviewed = ~fn.EXISTS(ApprovalStep.select().where(ApprovalStep.order == Order.id))
    if role == "customer_service":
        return unreviewed
    earlier = ApprovalStep.alias()
    next_step = ApprovalStep.select().where(
        (ApprovalStep.order == Order.id)
        & ApprovalStep.signed_by.is_null()
        & (ApprovalStep.role == role)
        & ~fn.EXISTS(
            earlier.select().where(
                (earlier.order == Order.id)
                & earlier.signed_by.is_null()
                & (earlier.seq < ApprovalStep.seq)
            )
        )
    )
    return (unreviewed | fn.EXISTS(next_step)) if role == "admin" else fn.EXISTS(next_step)


def review_queue(
    staff: Staff, page: int, per_page: int, mine: bool = False
) -> tuple[list[QueueEntry], int]:
    """Orders awaiting review or approval in the caller's scope, oldest first, with the customer's
    credit position and the stock available for every line; `mine`: only those whose next
    signature is the caller's role's."""
    require(staff, "orders.view")
    query = scoped(
        Order.select(Order, Customer)
        .join(Customer)
        .where(Order.status == OrderStatus.PENDING_REVIEW.value),
        staff,
    )
    if mine:
        query = query.where(waiting_for(staff.role))
    total = query.count()
    page_orders = list(query.order_by(Order.created_at, Order.id).paginate(page, per_page))
    return _entries(page_orders), total


def review_entry(staff: Staff, order_id: int) -> QueueEntry:
    """One order in the caller's scope with the facts a reviewer decides on (any status)."""
    require(staff, "orders.view")
    return _entries([order_in_scope(staff, order_id)])[0]


def _entries(page_orders: list[Order]) -> list[QueueEntry]:
    ids = [o.id for o in page_orders]
    lines_by_order: dict[int, list] = {i: [] for i in ids}
    for ln in (
        OrderLine.select(OrderLine, Product)
        .join(Product)
        .where(OrderLine.order << ids)
        .order_by(OrderLine.id)
    ):
        lines_by_order[ln.order_id].append(ln)
    steps_by_order: dict[int, list] = {i: [] for i in ids}
    for step in ApprovalStep.select().where(ApprovalStep.order << ids).order_by(ApprovalStep.seq):
        steps_by_order[step.order_id].append(step)
    by_warehouse: dict[int, set] = {}
    for o in page_orders:
        by_warehouse.setdefault(o.warehouse_id, set()).update(
            ln.product_id for ln in lines_by_order[o.id]
        )
    available = {w: stock.availability(w, list(p)) for w, p in by_warehouse.items()}
    entries = []
    for o in page_orders:
        c = o.customer
        spendable = credit.available_to_spend(c)
        steps = steps_by_order[o.id]
        pending = o.status == OrderStatus.PENDING_REVIEW.value
        entries.append(
            QueueEntry(
                order=o,
                customer=c,
                credit={
                    "settlement_method": c.settlement_method,
                    "credit_limit": c.credit_limit,
                    "used": c.ar_balance + c.held,
                    "available": spendable,
                    "would_exceed": pending and spendable is not None and o.total > spendable,
                },
                lines=[
                    {"line": ln, "available": available[o.warehouse_id][ln.product_id]}
                    for ln in lines_by_order[o.id]
                ],
                steps=steps,
                next_role=next_role(o.status, steps),
            )
        )
    return entries


# --- actions ------------------------------------------------------------------


def adjust_lines(order_id: int, staff: Staff, lines: list[dict], reason: str) -> Order:
    """Customer service changes quantities or prices before approval; audited before → after.

    Signatures already given are withdrawn: what they approved is no longer the order.
    Raises: Forbidden, NotFound, InvalidState, ValidationFailed.
    """
    require(staff, "orders.review")
    if not reason.strip():
        raise ValidationFailed("调整订单须填写原因", reason=["必填"])
    ids = [ln["product_id"] for ln in lines]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("同一商品请合并为一行", lines=["同一商品请合并为一行"])
    with transaction():
        order = order_in_scope(staff, order_id)
        locked = (
            Order.update(updated_at=utcnow())
            .where((Order.id == order.id) & (Order.status == OrderStatus.PENDING_REVIEW.value))
            .execute()
        )
        if not locked:
            raise InvalidState("订单已不在待审核状态，不能调整", status=order.status)
        old = {ln.product_id: ln for ln in order.lines}
        before = [{"product_id": p, "qty": ln.qty, "price": ln.price} for p, ln in old.items()]
        products = {p.id: p for p in Product.select().where((Product.id << ids) & Product.active)}
        missing = sorted(set(ids) - products.keys())
        if missing:
            raise NotFound("商品不存在或已下架", product_ids=missing)
        new_ids = [pid for pid in ids if pid not in old]
        resolved = {}
        if new_ids:
            from app.core.catalog import with_customer_prices

            query = Product.select().where(Product.id << new_ids)
            resolved = {p.id: p.price for p in with_customer_prices(query, order.customer)}
        rows, after = [], []
        for ln in lines:
            pid = ln["product_id"]
            price = money(
                ln["price"]
                if ln.get("price") is not None
                else (old[pid].price if pid in old else resolved[pid])
            )
            rows.append(
                {
                    "order": order.id,
                    "product": pid,
                    "qty": ln["qty"],
                    "price": price,
                    "list_price": products[pid].list_price,
                    "amount": line_amount(price, ln["qty"]),
                }
            )
            after.append({"product_id": pid, "qty": ln["qty"], "price": price})
        OrderLine.delete().where(OrderLine.order == order.id).execute()
        OrderLine.insert_many(rows).execute()
        total = money(sum((r["amount"] for r in rows), Decimal(0)))
        Order.update(total=total).where(Order.id == order.id).execute()
        ApprovalStep.delete().where(ApprovalStep.order == order.id).execute()
        _audit(order.id, staff, "adjust_lines", before, after, reason)
        order.total = total
        return order


def approve(order_id: int, staff: Staff, comment: str = "", credit_override: bool = False) -> Order:
    """Sign the order's next step; the last signature approves it into core.

    Raises: Forbidden (wrong role, or override without the right), NotFound (out of scope),
    InvalidState (not pending, step already signed), CreditExceeded, InsufficientStock.
    """
    require(staff, "orders.approve")
    with transaction():
        order = order_in_scope(staff, order_id)
        if order.status != OrderStatus.PENDING_REVIEW.value:
            raise InvalidState("订单已不在待审核状态", status=order.status)
        steps = list(order.approval_steps.order_by(ApprovalStep.seq))
        if not steps:
            steps = _review(order, staff, comment)
        else:
            _sign_next(order, steps, staff, comment)
        unsigned = [s for s in steps if s.signed_by_id is None]
        if not unsigned:
            override_by = staff.id if credit_override else None
            if credit_override:
                _audit(order.id, staff, "credit_override", reason=comment or "超信用额度特批")
            orders.approve_order(order, actor(staff), credit_override_by=override_by)
        else:
            for listener in step_listeners:
                listener(order, unsigned[0].role, unsigned[0].seq)
        return order


def _review(order: Order, staff: Staff, comment: str) -> list[ApprovalStep]:
    if staff.role not in REVIEW_ROLES:
        raise Forbidden("订单需先由客服审核")
    rule_name, roles = steps_for(active_rules(), order_facts(order, order.customer))
    now = utcnow()
    try:
        with db.atomic():  # a savepoint: a second reviewer at the same moment loses cleanly
            review = ApprovalStep.create(
                order=order.id,
                seq=0,
                role="customer_service",
                rule_name=rule_name,
                signed_by=staff.id,
                signed_at=now,
                comment=comment,
            )
    except IntegrityError:
        raise InvalidState("该订单已由他人审核，请刷新") from None
    steps = [review]
    for seq, role in enumerate(roles, start=1):
        steps.append(ApprovalStep.create(order=order.id, seq=seq, role=role, rule_name=rule_name))
    _audit(order.id, staff, "review", after={"rule": rule_name, "steps": roles}, reason=comment)
    return steps


def _sign_next(order: Order, steps: list[ApprovalStep], staff: Staff, comment: str) -> None:
    unsigned = [s for s in steps if s.signed_by_id is None]
    if not unsigned:
        raise InvalidState("该订单的审批已完成")
    step = unsigned[0]
    if staff.role != step.role:
        raise Forbidden(f"当前等待{ROLE_LABELS.get(step.role, step.role)}审批", next_role=step.role)
    now = utcnow()
    signed = (
        ApprovalStep.update(signed_by=staff.id, signed_at=now, comment=comment)
        .where((ApprovalStep.id == step.id) & ApprovalStep.signed_by.is_null())
        .execute()
    )
    if not signed:
        raise InvalidState("该审批步骤已由他人签署，请刷新")
    step.signed_by, step.signed_at = staff.id, now
    _audit(order.id, staff, "sign", after={"step": step.seq, "role": step.role}, reason=comment)


def reject(order_id: int, staff: Staff, reason: str) -> Order:
    """Customer service, or whoever the next step waits for, rejects with a reason."""
    require(staff, "orders.approve")
    with transaction():
        order = order_in_scope(staff, order_id)
        steps = list(order.approval_steps.order_by(ApprovalStep.seq))
        pending = order.status == OrderStatus.PENDING_REVIEW
        if pending and "reject" not in allowed_actions(order.status, steps, staff.role):
            raise Forbidden("当前角色不能驳回该订单")
        result = orders.reject_order(order, actor(staff), reason)
        _audit(order.id, staff, "reject", reason=reason)
        return result
