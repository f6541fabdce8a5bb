"""Receipts (applied FIFO to receivables), the customer's account position, statement and AR aging."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from peewee import fn

from app.core import credit
from app.core.models import (
    AccountEntry,
    Customer,
    Order,
    Receipt,
    ReceiptAllocation,
    Receivable,
)
from app.core.rules import (
    AGING_BUCKETS,
    RECEIPT_METHOD_LABELS,
    SettlementMethod,
    age_items,
    allocate_fifo,
    statement_period,
)
from app.db import fen, transaction, utcnow
from app.errors import CreditExceeded, InvalidState, NotFound, ValidationFailed
from app.events import ReceiptRecorded, ReceiptVoided, emit
from app.money import ZERO, money, money_from_fen, written
from app.numbering import create_numbered
from app.timeutil import end_of_local_day_utc, local_date, local_today, start_of_local_day_utc

# Receipts the payments module records and refunds (a WeChat Pay payment's), and a return's credit
# note: neither is finance's to void.
NOT_VOIDABLE = {
    "wechat_pay": "微信支付的收款不能作废，请在“微信收款”中退款",
    "return": "退货冲抵不是收款，不能作废",
}


def record_receipt(
    customer_id: int,
    amount: Decimal,
    method: str,
    reference: str = "",
    recorded_by: str = "",
    *,
    entry_kind: str = "receipt",
    note: str | None = None,
    order_id: int | None = None,
    received_on: dt.date | None = None,
) -> Receipt:
    """Record money received and apply it to the oldest open receivables first.

    What is left stays on the receipt as a prepayment and pays later shipments. A return's credit
    note goes the same way (`entry_kind="return"`), so FIFO allocation and AR aging stay right.
    A payment for an order (`order_id`) pays that order's receivables instead, and what is left
    waits for its next shipments while it can still ship (credit.oldest_open).
    `received_on`: the (Asia/Shanghai) day the money arrived, when earlier than today: the
    receipt, its statement line and what it pays are dated at that day's close (`received_moment`).
    Raises: NotFound, ValidationFailed (amount not positive, a day after today).
    """
    amount = money(amount)
    if amount <= 0:
        raise ValidationFailed("收款金额必须大于 0", amount=["收款金额必须大于 0"])
    received_at = received_moment(received_on)
    with transaction():
        # Customer row first (same order as shipping): serialises all account writes per customer.
        updated = (
            Customer.update(ar_balance=Customer.ar_balance - fen(amount))
            .where(Customer.id == customer_id)
            .execute()
        )
        if not updated:
            raise NotFound("客户不存在", customer_id=customer_id)
        receipt = create_numbered(
            Receipt,
            "RC",
            "received_at",
            customer=customer_id,
            amount=amount,
            unapplied=amount,
            method=method,
            reference=reference,
            recorded_by=recorded_by,
            order=order_id,
            received_at=received_at,
        )
        AccountEntry.create(
            customer=customer_id,
            kind=entry_kind,
            amount=-amount,
            ref=receipt.number,
            note=note
            if note is not None
            else f"收款（{RECEIPT_METHOD_LABELS.get(method, method)}）{reference}".strip(),
            created_at=received_at,
        )
        _apply_receipt(receipt, amount, dated=received_on is not None)
        receipt = Receipt.get_by_id(receipt.id)
        if entry_kind == "receipt":
            emit(ReceiptRecorded(receipt))
        return receipt


def received_moment(day: dt.date | None) -> dt.datetime:
    """When a receipt's money arrived, as stored: now for today (or no day given); for an earlier
    Asia/Shanghai day, the last second of that day, so the day's statement, aging and reports
    count it and it follows the day's shipments. Raises: ValidationFailed (a day after today)."""
    today = local_today()
    if day is None or day == today:
        return utcnow()
    if day > today:
        raise ValidationFailed("收款日期不能晚于今天", received_at=["不能晚于今天"])
    return end_of_local_day_utc(day) - dt.timedelta(seconds=1)


def _apply_receipt(receipt: Receipt, amount: Decimal, *, dated: bool = False) -> None:
    """Apply `amount` of a receipt to open receivables: an order's payment to that order's (and,
    once the order can ship no more, to any), any other receipt FIFO. A `dated` receipt (money
    that arrived on an earlier day) pays each receivable as of its own time, or the receivable's
    posting when that came later: AR aging as of those days sees it paid then."""
    open_items = credit.oldest_open(Receivable, receipt.customer_id)
    if receipt.order_id is not None:
        of_order = {
            receivable_id
            for (receivable_id,) in Receivable.select(Receivable.id)
            .where(Receivable.order == receipt.order_id)
            .tuples()
        }
        mine = [item for item in open_items if item[0] in of_order]
        others = [item for item in open_items if item[0] not in of_order]
        status = Order.select(Order.status).where(Order.id == receipt.order_id).scalar()
        open_items = mine + (others if status in credit.FINISHED else [])
    allocations, _ = allocate_fifo(amount, open_items)
    posted = {}
    if dated and allocations:
        posted = dict(
            Receivable.select(Receivable.id, Receivable.posted_at)
            .where(Receivable.id << [receivable_id for receivable_id, _ in allocations])
            .tuples()
        )
    for receivable_id, take in allocations:
        at = max(receipt.received_at, posted[receivable_id]) if dated else None
        credit.apply(receipt.id, receivable_id, take, at=at)


def paid_waiting(order_id: int) -> Decimal:
    """Money paid for an order and not yet applied to its shipments."""
    waiting = Receipt.select(fn.SUM(Receipt.unapplied)).where(Receipt.order == order_id).scalar()
    return money_from_fen(waiting)


def free_order_receipts(order_id: int) -> Decimal:
    """An order that can ship no more (cancelled, rejected, shipped whole): what was paid for it
    and is still unapplied is the customer's prepayment like any other, so it pays their oldest
    open receivables now, as a top-up does; what is left stays prepaid. Runs in the transaction
    that finished the order, after its last shipment was posted. Returns the money freed."""
    with transaction():
        order = Order.get_by_id(order_id)
        if order.status not in credit.FINISHED:
            return ZERO
        # Customer row first, as every account write takes it: a shipment or a receipt racing
        # this one sees either none of it or all of it.
        Customer.update(ar_balance=Customer.ar_balance).where(
            Customer.id == order.customer_id
        ).execute()
        freed = ZERO
        receipts = (
            Receipt.select()
            .where((Receipt.order == order_id) & (Receipt.unapplied > 0))
            .order_by(Receipt.received_at, Receipt.id)
        )
        for receipt in receipts:
            freed += receipt.unapplied
            _apply_receipt(receipt, receipt.unapplied)
        return freed


def apply_free_prepayments() -> dict[int, Decimal]:
    """Once, for data from before free_order_receipts: each customer's free prepaid money
    (credit.oldest_open) that sits beside open receivables pays them, oldest first, as a top-up
    would have. Returns what each customer's money paid; running it again changes nothing."""
    owing = {
        customer_id
        for (customer_id,) in Receivable.select(Receivable.customer)
        .where(Receivable.open_amount > 0)
        .distinct()
        .tuples()
    }
    paid = {}
    for customer_id in sorted(owing):
        with transaction():
            # Customer row first, as every account write takes it.
            Customer.update(ar_balance=Customer.ar_balance).where(
                Customer.id == customer_id
            ).execute()
            before = Receivable.select(fn.SUM(Receivable.open_amount)).where(
                Receivable.customer == customer_id
            )
            owed = money_from_fen(before.scalar())
            for receipt_id, _ in credit.oldest_open(Receipt, customer_id):
                receipt = Receipt.get_by_id(receipt_id)
                _apply_receipt(receipt, receipt.unapplied)
            took = owed - money_from_fen(before.scalar())
            if took > 0:
                paid[customer_id] = took
    return paid


def reverse_receipt(
    receipt_id: int,
    amount: Decimal,
    *,
    ref: str,
    note: str,
    kind: str = "refund",
    doing: str = "退款",
) -> None:
    """Take `amount` of a receipt back (a refund; a void, `kind="receipt_void"`): the customer
    owes it again. What the receipt still holds unapplied goes first; the rest comes back from
    the receivables it paid, the latest first, which are open again. One guarded UPDATE keeps
    the customer within their limit: a refund never spends a prepaid balance that an approved
    order holds. The ledger line (`kind`) is dated now.

    Raises: CreditExceeded (taking it back would take the customer past their limit; `doing`
    names what would, in its message)."""
    amount = money(amount)
    with transaction():
        receipt = Receipt.get_by_id(receipt_id)
        customer = Customer.get_by_id(receipt.customer_id)
        # Customer row first, as every account write takes it.
        moved = credit.within_limit(
            Customer.update(ar_balance=Customer.ar_balance + fen(amount)).where(
                Customer.id == customer.id
            ),
            customer,
            amount,
        ).execute()
        if not moved:
            raise _refund_exceeds(customer, amount, doing)
        receipt = Receipt.get_by_id(receipt_id)  # as it is now the customer row is held
        left = amount
        from_unapplied = min(receipt.unapplied, left)
        if from_unapplied > 0:
            Receipt.update(unapplied=Receipt.unapplied - fen(from_unapplied)).where(
                (Receipt.id == receipt.id) & (Receipt.unapplied >= fen(from_unapplied))
            ).execute()
            left -= from_unapplied
        allocations = receipt.allocations.order_by(
            ReceiptAllocation.created_at.desc(), ReceiptAllocation.id.desc()
        )
        for allocation in allocations:
            if left <= 0:
                break
            take = min(allocation.amount, left)
            if take == allocation.amount:
                allocation.delete_instance()
            else:
                ReceiptAllocation.update(amount=ReceiptAllocation.amount - fen(take)).where(
                    ReceiptAllocation.id == allocation.id
                ).execute()
            Receivable.update(open_amount=Receivable.open_amount + fen(take)).where(
                Receivable.id == allocation.receivable_id
            ).execute()
            left -= take
        if left > 0:
            raise RuntimeError(f"receipt {receipt.number} holds less than {amount}")
        AccountEntry.create(customer=customer.id, kind=kind, amount=amount, ref=ref, note=note)


def _refund_exceeds(customer: Customer, amount: Decimal, doing: str = "退款") -> CreditExceeded:
    used = customer.ar_balance + customer.held
    if customer.settlement_method == SettlementMethod.PREPAID:
        available = max(-used, ZERO)
        return CreditExceeded(
            f"预付款可用余额 {written(available)}，不足以{doing} {written(amount)}（已被审核通过的订单占用）",
            available=str(available),
            needed=str(amount),
        )
    return CreditExceeded(
        f"{doing} {written(amount)} 后将超出信用额度 {written(customer.credit_limit)}",
        limit=str(customer.credit_limit),
        used=str(used),
        needed=str(amount),
    )


def restore_receipt(receipt_id: int, amount: Decimal, *, ref: str, note: str) -> None:
    """Undo `reverse_receipt` when the refund did not happen: the money is the customer's again
    and pays their open receivables as the receipt did."""
    amount = money(amount)
    with transaction():
        receipt = Receipt.get_by_id(receipt_id)
        Customer.update(ar_balance=Customer.ar_balance - fen(amount)).where(
            Customer.id == receipt.customer_id
        ).execute()
        restored = (
            Receipt.update(unapplied=Receipt.unapplied + fen(amount))
            .where((Receipt.id == receipt.id) & (Receipt.unapplied + fen(amount) <= Receipt.amount))
            .execute()
        )
        if not restored:
            raise RuntimeError(f"receipt {receipt.number} cannot take back {amount}")
        AccountEntry.create(
            customer=receipt.customer_id, kind="refund_void", amount=-amount, ref=ref, note=note
        )
        _apply_receipt(receipt, amount)


def void_receipt(receipt_id: int, reason: str, voided_by: str) -> Receipt:
    """作废: a receipt recorded by mistake is marked voided (who, when, why), never deleted, and
    all it still holds is taken back by `reverse_receipt`: its unapplied money is gone, the
    receivables it paid are open again, the customer owes it again, and the ledger has a
    `receipt_void` line of its own, dated now (the receipt's own line stays on its day).

    Once: the customer row is taken first, as every account write takes it, then the receipt
    row by one guarded UPDATE (not yet voided); a second void, at once or later, finds it voided,
    and an allocation racing the void either comes before it (and is taken back with the rest)
    or finds nothing left to apply.

    Raises: NotFound, ValidationFailed (no reason), InvalidState (voided already; a WeChat Pay
    receipt, refunded instead; a return's credit note), CreditExceeded (a prepaid balance an
    approved order holds, or credit the customer has used up: nothing changes)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写作废原因", reason=["必填"])
    with transaction():
        receipt = Receipt.get_or_none(Receipt.id == receipt_id)
        if receipt is None:
            raise NotFound("收款不存在", receipt_id=receipt_id)
        if receipt.method in NOT_VOIDABLE:
            raise InvalidState(NOT_VOIDABLE[receipt.method], receipt_id=receipt_id)
        # The customer row first, as every account write takes it (a shipment applying this
        # receipt's money holds it before the receipt's row): locked by an UPDATE that changes
        # nothing, so voids and allocations queue instead of deadlocking.
        Customer.update(ar_balance=Customer.ar_balance).where(
            Customer.id == receipt.customer_id
        ).execute()
        marked = (
            Receipt.update(voided_at=utcnow(), voided_by=voided_by, void_reason=reason[:255])
            .where((Receipt.id == receipt_id) & Receipt.voided_at.is_null())
            .execute()
        )
        if not marked:
            raise InvalidState(f"收款 {receipt.number} 已作废，不能再次作废", receipt_id=receipt_id)
        receipt = Receipt.get_by_id(receipt_id)  # as it is now both rows are held
        applied = (
            ReceiptAllocation.select(fn.SUM(ReceiptAllocation.amount))
            .where(ReceiptAllocation.receipt == receipt_id)
            .scalar()
        )
        held = receipt.unapplied + money_from_fen(applied)
        if held > 0:
            reverse_receipt(
                receipt_id,
                held,
                ref=receipt.number,
                note=f"收款作废 {receipt.number}：{reason}"[:255],
                kind="receipt_void",
                doing="作废",
            )
        receipt = Receipt.get_by_id(receipt_id)
        emit(ReceiptVoided(receipt))
        return receipt


@dataclass(frozen=True)
class AccountPosition:
    settlement_method: str
    credit_limit: Decimal
    receivable: Decimal
    open_orders_amount: Decimal
    balance: Decimal
    available_credit: Decimal

    @property
    def net(self) -> Decimal:
        """What the statement's running balance ends at: owed less prepaid (negative: prepaid)."""
        return self.receivable - self.balance


def account_position(customer_id: int) -> AccountPosition:
    customer = Customer.get_or_none(Customer.id == customer_id)
    if customer is None:
        raise NotFound("客户不存在", customer_id=customer_id)
    receivable = (
        Receivable.select(fn.SUM(Receivable.open_amount))
        .where(Receivable.customer == customer_id)
        .scalar()
    )
    prepaid = (
        Receipt.select(fn.SUM(Receipt.unapplied)).where(Receipt.customer == customer_id).scalar()
    )
    available = credit.available_to_spend(customer)
    return AccountPosition(
        settlement_method=customer.settlement_method,
        credit_limit=customer.credit_limit,
        receivable=money_from_fen(receivable),
        open_orders_amount=customer.held,
        balance=money_from_fen(prepaid),
        available_credit=ZERO if available is None else available,
    )


@dataclass(frozen=True)
class StatementLine:
    at: dt.datetime
    kind: str
    ref: str
    note: str
    amount: Decimal
    balance: Decimal


def statement(customer_id: int, date_from: dt.date, date_to: dt.date) -> tuple[Decimal, list]:
    """Account ledger between two business dates: opening balance and lines with running balance."""
    start, end = start_of_local_day_utc(date_from), end_of_local_day_utc(date_to)
    opening = (
        AccountEntry.select(fn.SUM(AccountEntry.amount))
        .where((AccountEntry.customer == customer_id) & (AccountEntry.created_at < start))
        .scalar()
    )
    running = money_from_fen(opening)
    lines = []
    entries = (
        AccountEntry.select()
        .where(
            (AccountEntry.customer == customer_id)
            & (AccountEntry.created_at >= start)
            & (AccountEntry.created_at < end)
        )
        .order_by(AccountEntry.created_at, AccountEntry.id)
    )
    opening_balance = running
    for e in entries:
        running += e.amount
        lines.append(StatementLine(e.created_at, e.kind, e.ref, e.note, e.amount, running))
    return opening_balance, lines


def account_statement(
    customer_id: int, date_from: dt.date | None, date_to: dt.date | None, today: dt.date
) -> dict:
    """A statement as every surface shows it, over the period `statement_period` allows."""
    date_from, date_to = statement_period(date_from, date_to, today)
    opening, lines = statement(customer_id, date_from, date_to)
    return {
        "date_from": date_from,
        "date_to": date_to,
        "opening_balance": opening,
        "closing_balance": lines[-1].balance if lines else opening,
        "items": lines,
    }


@dataclass(frozen=True)
class AgingRow:
    customer_id: int
    customer_code: str
    customer_name: str
    branch_id: int
    buckets: dict
    total: Decimal


def ar_aging(
    as_of: dt.date, branch_id: int | None = None, customer_ids: list[int] | None = None
) -> list[AgingRow]:
    """Open receivables per customer as they stood at the end of `as_of`, by days since shipping."""
    cutoff = end_of_local_day_utc(as_of)
    applied = (
        ReceiptAllocation.select(
            ReceiptAllocation.receivable, fn.SUM(ReceiptAllocation.amount).alias("paid")
        )
        .where(ReceiptAllocation.created_at < cutoff)
        .group_by(ReceiptAllocation.receivable)
    )
    paid_by_receivable = {a.receivable_id: a.paid for a in applied}
    query = (
        Receivable.select(Receivable, Customer)
        .join(Customer)
        .where(Receivable.posted_at < cutoff)
        .order_by(Customer.code, Receivable.posted_at)
    )
    if branch_id is not None:
        query = query.where(Customer.branch == branch_id)
    if customer_ids is not None:
        query = query.where(Customer.id << customer_ids)
    items = defaultdict(list)
    customers = {}
    for r in query:
        open_amount = r.amount - money_from_fen(paid_by_receivable.get(r.id))
        if open_amount > 0:
            items[r.customer_id].append((local_date(r.posted_at), open_amount))
            customers[r.customer_id] = r.customer
    rows = []
    for customer_id, customer_items in items.items():
        buckets = age_items(customer_items, as_of)
        c = customers[customer_id]
        rows.append(
            AgingRow(
                customer_id, c.code, c.name, c.branch_id, buckets, money(sum(buckets.values()))
            )
        )
    return rows


def aging_totals(rows: list[AgingRow]) -> dict:
    totals = {name: ZERO for name in AGING_BUCKETS}
    for row in rows:
        for name in AGING_BUCKETS:
            totals[name] += row.buckets[name]
    return totals
