"""Payment rules, pure: money in fen, numbers WeChat Pay accepts, statuses after refunds, what
a statement period is, which orders may be invoiced and what an order still owes. No I/O."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal

from app.core.rules import OrderStatus, SettlementMethod
from app.errors import ValidationFailed
from app.money import money
from app.numbering import document_number

ZERO = Decimal("0.00")
TOPUP_MIN = Decimal("0.01")
TOPUP_MAX = Decimal("1000000.00")
PAYMENT_LABELS = {
    "pending": "待支付",
    "paid": "已支付",
    "closed": "已关闭",
    "refunded": "已退款",
    "partially_refunded": "部分退款",
}
# As pages show a payment (Payment.shown_status): pending past its expiry is 已过期 until the
# worker closes it. Not a stored status: filters offer PAYMENT_LABELS.
SHOWN_PAYMENT_LABELS = {**PAYMENT_LABELS, "expired": "已过期"}
REFUND_LABELS = {
    "pending_approval": "待审批",
    "processing": "退款中",
    "succeeded": "已退款",
    "failed": "退款失败",
    "abnormal": "退款异常",
    "rejected": "已驳回",
}
PURPOSE_LABELS = {"topup": "充值", "order": "订单付款"}
INVOICE_LABELS = {"requested": "待开票", "issued": "已开票", "rejected": "已驳回"}
INVOICE_KINDS = {"normal": "增值税普通发票", "special": "增值税专用发票"}
CONFIRMATION_LABELS = {"confirmed": "已确认", "disputed": "有异议", "pending": "未确认"}
# Orders an invoice may cover: goods have gone out.
INVOICEABLE = (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.COMPLETED)
PAYABLE_STATUSES = (
    OrderStatus.PENDING_REVIEW,
    OrderStatus.APPROVED,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.COMPLETED,
)
TAX_NO = re.compile(r"^[0-9A-Z]{15,20}$")
INVOICE_NO = re.compile(r"^[0-9A-Za-z]{8,20}$")
PERIOD = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")


def out_number(prefix: str, at: dt.datetime, row_id: int) -> str:
    """An out_trade_no / out_refund_no: the numbering rule's document number and four random
    characters, so a number is never offered to WeChat Pay twice, even by a database that was
    emptied (ids start again) against the same merchant account. 20 characters."""
    return f"{document_number(prefix, at, row_id)}{secrets.token_hex(2).upper()}"


def topup_amount(amount: Decimal | None) -> Decimal:
    """Raises: ValidationFailed."""
    if amount is None:
        raise ValidationFailed("请填写充值金额", amount=["充值须填写金额"])
    amount = money(amount)
    if not TOPUP_MIN <= amount <= TOPUP_MAX:
        raise ValidationFailed(
            f"充值金额须在 {TOPUP_MIN} 到 {TOPUP_MAX} 元之间", amount=["金额超出范围"]
        )
    return amount


def status_after_refunds(amount: Decimal, refunded: Decimal) -> str:
    if refunded <= 0:
        return "paid"
    return "refunded" if refunded >= amount else "partially_refunded"


@dataclass(frozen=True)
class OrderDues:
    """What an order's ledgers say, for `unpaid`: see docs/payments.md, "What an order owes"."""

    status: str
    settlement_method: str
    total: Decimal
    held: Decimal  # what the order still holds (approved, not shipped)
    open_receivables: Decimal  # shipped and not yet paid
    waiting: Decimal  # paid for this order and not yet applied to its shipments
    # The dealer's prepaid money, not spoken for by their other orders, that pays this order
    # without anyone doing anything (`prepaid_cover`): at approval for a prepaid dealer (the
    # hold), at shipment for a credit dealer (FIFO from free receipts).
    prepaid: Decimal = ZERO

    @property
    def owed(self) -> Decimal:
        """What the order still owes, before the prepaid money that will pay it."""
        return owed(self)

    @property
    def unpaid(self) -> Decimal:
        return unpaid(self)

    @property
    def prepaid_covers(self) -> Decimal:
        """How much of what the order owes the prepaid money will pay."""
        return min(owed(self), self.prepaid)


def unpaid(d: OrderDues) -> Decimal:
    """What the dealer may still pay for an order with WeChat Pay: what it owes less what their
    prepaid money will pay of it anyway."""
    return max(money(owed(d) - d.prepaid), ZERO)


def prepaid_cover(free: Decimal, claims_before: Decimal) -> Decimal:
    """What is left of the dealer's free prepaid money for one order once the orders that take
    it first (approved ones, which hold or ship first, and older ones awaiting review) have their
    share: the model spends it on its own, so the pay page asks only for the rest."""
    return max(money(free - claims_before), ZERO)


def owed(d: OrderDues) -> Decimal:
    """What an order still owes.

    Shipped goods owe what their receivables still have open. Goods not shipped owe the order's
    total before approval; after it, what the order holds — except for prepaid customers, whose
    hold was taken from their prepaid balance at approval and so is paid already. Money paid for
    the order and waiting for its shipments counts as paid. A cancelled or rejected order owes
    nothing."""
    if d.status not in PAYABLE_STATUSES:
        return ZERO
    if d.status == OrderStatus.PENDING_REVIEW:
        unshipped = d.total
    elif d.settlement_method == SettlementMethod.PREPAID:
        unshipped = ZERO
    else:
        unshipped = d.held
    return max(money(d.open_receivables + unshipped - d.waiting), ZERO)


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a month written YYYY-MM. Raises: ValidationFailed."""
    found = PERIOD.match(period or "")
    if not found:
        raise ValidationFailed("月份格式应为 YYYY-MM", period=["格式应为 YYYY-MM"])
    year, month = int(found.group(1)), int(found.group(2))
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def tax_no(value: str) -> str:
    """A taxpayer number (统一社会信用代码 or an older registration): 15 to 20 letters and digits."""
    value = (value or "").strip().upper()
    if not TAX_NO.match(value):
        raise ValidationFailed("税号须为 15 到 20 位数字或大写字母", tax_no=["税号格式不正确"])
    return value
