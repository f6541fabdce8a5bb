"""Credit and prepaid holds, and posting shipped value to the customer's account (invariant 2).

A customer's exposure is `ar_balance + held`. Credit customers may go up to `credit_limit`;
prepaid customers up to 0 (their prepaid funds are a negative ar_balance); cash-on-delivery
customers are not limited. Every change is one guarded UPDATE plus a ledger row.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from peewee import JOIN, Case

from app.core.models import (
    AccountEntry,
    Customer,
    HoldMovement,
    Order,
    Receipt,
    ReceiptAllocation,
    Receivable,
    Shipment,
    Staff,
)
from app.core.rules import CREDIT_OVERRIDE_ROLES, OrderStatus, SettlementMethod, allocate_fifo
from app.db import fen, transaction, utcnow
from app.errors import CreditExceeded, Forbidden
from app.money import money, written


def exposure_limit(customer: Customer) -> Decimal | None:
    """How far ar_balance + held may go, or None when not limited (cash on delivery)."""
    if customer.settlement_method == SettlementMethod.CREDIT:
        return customer.credit_limit
    if customer.settlement_method == SettlementMethod.PREPAID:
        return Decimal("0.00")
    return None


def available_to_spend(customer: Customer) -> Decimal | None:
    """What the customer can still order on account (credit left, or prepaid funds not yet held);
    None for cash on delivery, which is not limited."""
    limit = exposure_limit(customer)
    if limit is None:
        return None
    return max(limit - customer.ar_balance - customer.held, Decimal("0.00"))


def _check_override_right(staff_id: int) -> Staff:
    staff = Staff.get_or_none(Staff.id == staff_id)
    if staff is None or not staff.active or staff.role not in CREDIT_OVERRIDE_ROLES:
        raise Forbidden("无权超信用额度审批", staff_id=staff_id)
    return staff


def hold(customer_id: int, order_id: int, amount: Decimal, override_by: int | None = None) -> None:
    """Hold an approved order's value against the customer's credit or prepaid funds.

    Guarded by `ar_balance + held + amount <= limit` unless an authorised role overrides, which is
    recorded on the hold. Raises: CreditExceeded (limit / used / needed), Forbidden.
    """
    amount = money(amount)
    with transaction():
        customer = Customer.get_by_id(customer_id)
        limit = exposure_limit(customer)
        overridden = None
        if limit is not None and override_by is not None:
            overridden = _check_override_right(override_by)
        HoldMovement.create(
            customer=customer_id, order=order_id, kind="hold", amount=amount, override_by=overridden
        )
        Order.update(
            held_amount=Order.held_amount + fen(amount), credit_override_by=overridden
        ).where(Order.id == order_id).execute()
        # The guarded UPDATE last: the customer row stays locked only until commit.
        query = Customer.update(held=Customer.held + fen(amount)).where(Customer.id == customer_id)
        if overridden is None:
            query = within_limit(query, customer, amount)
        if not query.execute():
            raise _credit_exceeded(customer_id, amount)


def within_limit(query, customer: Customer, amount: Decimal):
    """A customer UPDATE guarded so that `ar_balance + held` grows by `amount` only while it
    stays within the customer's limit (none for cash on delivery)."""
    if exposure_limit(customer) is None:
        return query
    ceiling = (
        Customer.credit_limit if customer.settlement_method == SettlementMethod.CREDIT else fen(0)
    )
    return query.where(Customer.ar_balance + Customer.held + fen(amount) <= ceiling)


def _credit_exceeded(customer_id: int, needed: Decimal) -> CreditExceeded:
    customer = Customer.get_by_id(customer_id)  # re-read: the values that made the guard fail
    used = customer.ar_balance + customer.held
    if customer.settlement_method == SettlementMethod.PREPAID:
        available = max(-used, Decimal("0.00"))
        return CreditExceeded(
            f"预付款余额不足：可用 {written(available)}，本单需要 {written(needed)}",
            limit="0.00",
            used=str(used),
            needed=str(needed),
            available=str(available),
        )
    available = customer.credit_limit - used
    return CreditExceeded(
        f"超出信用额度：额度 {written(customer.credit_limit)}，已用 {written(used)}，本单需要 {written(needed)}",
        limit=str(customer.credit_limit),
        used=str(used),
        needed=str(needed),
        available=str(available),
    )


def release(customer_id: int, order_id: int, amount: Decimal) -> None:
    """Give back what an order still holds (order cancelled)."""
    amount = money(amount)
    if amount <= 0:
        return
    with transaction():
        HoldMovement.create(customer=customer_id, order=order_id, kind="release", amount=-amount)
        _take_from_order_hold(order_id, amount)
        updated = (
            Customer.update(held=Customer.held - fen(amount))
            .where((Customer.id == customer_id) & (Customer.held >= fen(amount)))
            .execute()
        )
        if not updated:
            raise RuntimeError(f"customer {customer_id} holds less than {amount}")


def _take_from_order_hold(order_id: int, amount: Decimal) -> None:
    updated = (
        Order.update(held_amount=Order.held_amount - fen(amount))
        .where((Order.id == order_id) & (Order.held_amount >= fen(amount)))
        .execute()
    )
    if not updated:
        raise RuntimeError(f"hold of order {order_id} is smaller than {amount}")


def post_shipment(shipment: Shipment, order: Order) -> Receivable:
    """Move a shipment's value from the hold to the account: a receivable, paid first from prepayments."""
    amount = shipment.amount
    customer_id = order.customer_id
    with transaction():
        # Customer row first (receipts take it first too), in one UPDATE: hold down, balance up.
        updated = (
            Customer.update(
                held=Customer.held - fen(amount), ar_balance=Customer.ar_balance + fen(amount)
            )
            .where((Customer.id == customer_id) & (Customer.held >= fen(amount)))
            .execute()
        )
        if not updated:
            raise RuntimeError(f"customer {customer_id} holds less than {amount}")
        _take_from_order_hold(order.id, amount)
        HoldMovement.create(customer=customer_id, order=order.id, kind="ship", amount=-amount)
        AccountEntry.create(
            customer=customer_id,
            kind="shipment",
            amount=amount,
            ref=shipment.number,
            note=f"订单 {order.number} 发货",
        )
        receivable = Receivable.create(
            customer=customer_id,
            order=order.id,
            shipment=shipment.id,
            amount=amount,
            open_amount=amount,
        )
        allocations, _ = allocate_fifo(amount, oldest_open(Receipt, customer_id, order.id))
        for receipt_id, take in allocations:
            apply(receipt_id, receivable.id, take)
        return receivable


# What is still open on each side of FIFO allocation, and which date orders it.
_OPEN = {Receipt: ("unapplied", "received_at"), Receivable: ("open_amount", "posted_at")}
# An order that can ship no more: money paid for it is the customer's to use for other orders.
FINISHED = (
    OrderStatus.SHIPPED,
    OrderStatus.COMPLETED,
    OrderStatus.CANCELLED,
    OrderStatus.REJECTED,
)


def oldest_open(model, customer_id: int, for_order: int | None = None) -> list[tuple[int, Decimal]]:
    """(id, open amount) of a customer's receipts with money unapplied, or receivables unpaid,
    oldest first: what FIFO allocation takes from.

    Receipts paid for an order (`Receipt.order`) are kept for that order while it can still
    ship: they pay `for_order`'s receivables first, and no other order's until it is finished."""
    remaining, dated = (getattr(model, name) for name in _OPEN[model])
    query = model.select(model.id, remaining).where(
        (model.customer == customer_id) & (remaining > 0)
    )
    order_by = [dated, model.id]
    if model is Receipt:
        free = Receipt.order.is_null() | Order.status.in_([s.value for s in FINISHED])
        if for_order is not None:
            free = free | (Receipt.order == for_order)
            order_by.insert(0, Case(None, [(Receipt.order == for_order, 0)], 1))
        query = query.join(Order, JOIN.LEFT_OUTER, on=(Receipt.order == Order.id)).where(free)
    return [(row.id, getattr(row, remaining.name)) for row in query.order_by(*order_by)]


def apply(
    receipt_id: int, receivable_id: int, amount: Decimal, at: dt.datetime | None = None
) -> None:
    """Apply part of a receipt to a receivable: both guarded so neither can go below zero.
    `at`: when the receivable counts as paid (AR aging), now unless a dated receipt says."""
    took_receipt = (
        Receipt.update(unapplied=Receipt.unapplied - fen(amount))
        .where((Receipt.id == receipt_id) & (Receipt.unapplied >= fen(amount)))
        .execute()
    )
    took_receivable = (
        Receivable.update(open_amount=Receivable.open_amount - fen(amount))
        .where((Receivable.id == receivable_id) & (Receivable.open_amount >= fen(amount)))
        .execute()
    )
    if not (took_receipt and took_receivable):
        raise RuntimeError(f"cannot apply {amount} of receipt {receipt_id} to {receivable_id}")
    ReceiptAllocation.create(
        receipt=receipt_id, receivable=receivable_id, amount=amount, created_at=at or utcnow()
    )
