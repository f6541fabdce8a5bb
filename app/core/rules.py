"""Pure business rules of the core module: order status flow, pricing, quantities, aging, FIFO. No I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum

from app.errors import BadStep, BelowMinQty, InvalidState, ValidationFailed
from app.money import money, written

PRICE_LEVELS = range(1, 11)


class OrderStatus(StrEnum):
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


# How money came in (a receipt's method), as statements and pages name it.
RECEIPT_METHOD_LABELS = {
    "bank": "银行转账",
    "cash": "现金",
    "wechat": "微信",
    "alipay": "支付宝",
    "cheque": "支票",
    "other": "其他",
}
# Every method a receipt of money may carry, in words: those finance records, and WeChat Pay's
# (recorded by the payments module, refunded there rather than voided). A return's credit note
# (method "return") is no money received.
RECEIPT_METHODS_SHOWN = {**RECEIPT_METHOD_LABELS, "wechat_pay": "微信支付"}


class SettlementMethod(StrEnum):
    PREPAID = "prepaid"
    CREDIT = "credit"
    COD = "cod"


S = OrderStatus
# The one table of the order status flow: (current status, action) → next status.
TRANSITIONS: dict[tuple[OrderStatus, str], OrderStatus] = {
    (S.PENDING_REVIEW, "approve"): S.APPROVED,
    (S.PENDING_REVIEW, "reject"): S.REJECTED,
    (S.PENDING_REVIEW, "cancel"): S.CANCELLED,
    (S.APPROVED, "cancel"): S.CANCELLED,
    (S.APPROVED, "ship_part"): S.PARTIALLY_SHIPPED,
    (S.APPROVED, "ship_all"): S.SHIPPED,
    (S.PARTIALLY_SHIPPED, "ship_part"): S.PARTIALLY_SHIPPED,
    (S.PARTIALLY_SHIPPED, "ship_all"): S.SHIPPED,
    (S.SHIPPED, "complete"): S.COMPLETED,
}

STATUS_LABELS = {
    S.PENDING_REVIEW: "待审核",
    S.APPROVED: "已审核",
    S.PARTIALLY_SHIPPED: "部分发货",
    S.SHIPPED: "已发货",
    S.COMPLETED: "已完成",
    S.REJECTED: "已驳回",
    S.CANCELLED: "已取消",
}

ACTION_LABELS = {
    "submit": "提交",
    "approve": "审核",
    "reject": "驳回",
    "cancel": "取消",
    "ship_part": "发货",
    "ship_all": "发货",
    "complete": "确认收货",
    "pay": "微信支付",
    "refund": "退款",
}
# What a customer's account ledger lines are (AccountEntry.kind), as statements show them.
ENTRY_LABELS = {
    "shipment": "发货",
    "receipt": "收款",
    "return": "退货",
    "refund": "退款",
    "refund_void": "退款撤销",
    "receipt_void": "收款作废",
}


def paid_money_words(amount: Decimal, *, done: bool) -> str:
    """What becomes of the money paid for an order that will not ship (cancelled, rejected):
    receivables.free_order_receipts — it pays the dealer's open receivables, oldest first, and
    the rest is prepaid balance. `done`: said after the fact, else before (the confirm box)."""
    verb = "已转入" if done else "将转入"
    return (
        f"已付的 {written(amount)} {verb}预付款，先抵扣您未付的货款（如有，最早的先抵），"
        "余下的留在预付款余额，用于以后的订单；如需退回微信请联系客服"
    )


def rep_title(name: str) -> str:
    """ "业务员 郑华东": a rep as a dealer knows them (unless the name already says 业务员)."""
    return name if name.startswith("业务员") else f"业务员 {name}"


def next_status(current: str, action: str) -> OrderStatus:
    """The status an action leads to. Raises: InvalidState when the flow does not allow it."""
    try:
        return TRANSITIONS[(OrderStatus(current), action)]
    except (KeyError, ValueError):
        label = STATUS_LABELS.get(current, current)
        raise InvalidState(
            f"订单{label}，不能{ACTION_LABELS.get(action, action)}",
            status=str(current),
            action=action,
        ) from None


def resolve_price(
    list_price: Decimal,
    level_prices: Mapping[int, Decimal],
    level: int,
    book_price: Decimal | None = None,
) -> Decimal:
    """Customer price book → customer's level price → list price."""
    if book_price is not None:
        return money(book_price)
    level_price = level_prices.get(level)
    if level_price is not None:
        return money(level_price)
    return money(list_price)


def check_quantity(
    qty: int, min_qty: int, step: int, *, product_id: int, name: str, say=None
) -> None:
    """`qty` in base units. `say` words a base quantity in the unit the dealer picked (app.core.
    units.amount_words): the messages then give the minimum and multiple in it. Raises:
    BelowMinQty, BadStep."""
    if qty < min_qty:
        message = f"{name} 最少订 {say(min_qty)}" if say else f"{name} 最少订购 {min_qty}"
        raise BelowMinQty(message, product_id=product_id, qty=qty, min_qty=min_qty)
    if step > 1 and qty % step:
        message = (
            f"{name} 须按 {say(step)}的整数倍订购" if say else f"{name} 须按 {step} 的整数倍订购"
        )
        raise BadStep(message, product_id=product_id, qty=qty, step=step)


def line_amount(price: Decimal, qty: int) -> Decimal:
    return money(Decimal(price) * qty)


STATEMENT_DEFAULT_DAYS = 30
STATEMENT_MAX_DAYS = 366


def statement_period(
    date_from: dt.date | None, date_to: dt.date | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    """The one rule for a statement's dates, for dealers and staff alike: up to today, the last
    30 days by default, never backwards, at most a year. Raises: ValidationFailed."""
    date_to = date_to or today
    date_from = date_from or date_to - dt.timedelta(days=STATEMENT_DEFAULT_DAYS)
    if date_from > date_to:
        raise ValidationFailed("开始日期不能晚于结束日期", **{"from": ["不能晚于结束日期"]})
    if (date_to - date_from).days > STATEMENT_MAX_DAYS:
        raise ValidationFailed("查询区间不能超过一年", **{"from": ["区间不能超过一年"]})
    return date_from, date_to


AGING_BUCKETS = ("0-30", "31-60", "61-90", "90+")


def aging_bucket(posted: dt.date, as_of: dt.date) -> str:
    days = (as_of - posted).days
    if days <= 30:
        return "0-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "90+"


def age_items(items: Iterable[tuple[dt.date, Decimal]], as_of: dt.date) -> dict[str, Decimal]:
    """Sum open amounts into the aging buckets by days since posting."""
    buckets = {name: Decimal("0.00") for name in AGING_BUCKETS}
    for posted, amount in items:
        buckets[aging_bucket(posted, as_of)] += amount
    return {name: money(v) for name, v in buckets.items()}


def allocate_fifo(
    amount: Decimal, open_items: Iterable[tuple[int, Decimal]]
) -> tuple[list[tuple[int, Decimal]], Decimal]:
    """Split an amount over open items oldest first; returns the allocations and what is left."""
    left = money(amount)
    allocations = []
    for item_id, open_amount in open_items:
        if left <= 0:
            break
        take = min(left, open_amount)
        if take > 0:
            allocations.append((item_id, take))
            left -= take
    return allocations, left


# Roles that may approve an order past the customer's credit limit (recorded on the hold).
CREDIT_OVERRIDE_ROLES = frozenset({"admin", "hq_approver", "finance"})
