"""Inbox messages about money that is not one order's status change (an order's payment and
refund are entries on its timeline, told through OrderChanged like any other): for the dealer, a
top-up that arrived or was refunded and an invoice answered; for staff, a refund awaiting their
signature or gone wrong, a disputed statement, a reconciliation that disagrees. Written in the
transaction of the event, by the handlers app.bootstrap.HANDLERS attaches."""

from __future__ import annotations

from app.core.models import Customer, Staff
from app.events import (
    ApprovalAwaited,
    InvoiceAnswered,
    PaymentPaid,
    ReconciliationMismatch,
    RefundSettled,
    StatementAnswered,
)
from app.notify.delivery import staff_in_role
from app.notify.models import InboxMessage
from app.payments.models import Payment, Refund


def _tell_dealer(customer_id: int, kind: str, title: str, body: str) -> None:
    InboxMessage.create(customer=customer_id, kind=kind, title=title, body=body[:500])


def _tell_staff(staff: list[Staff], kind: str, title: str, body: str) -> None:
    for member in staff:
        InboxMessage.create(staff=member.id, kind=kind, title=title, body=body[:500])


def payment_paid(event: PaymentPaid) -> None:
    payment = event.payment
    if payment.order_id is None:
        _tell_dealer(
            payment.customer_id,
            "topup",
            "充值已到账",
            f"微信支付充值 ¥{payment.amount} 已存入预付款余额（支付单 {payment.out_trade_no}）",
        )


def refund_settled(event: RefundSettled) -> None:
    refund = event.refund
    payment = Payment.get_by_id(refund.payment_id)
    customer = Customer.get_by_id(refund.customer_id)
    if refund.status == "succeeded" and payment.order_id is None:
        _tell_dealer(
            customer.id,
            "refund",
            "充值退款成功",
            f"¥{refund.amount} 已原路退回微信（退款单 {refund.out_refund_no}）",
        )
    elif refund.status in ("failed", "abnormal"):
        words = "退款失败，款项已退回客户账户" if refund.status == "failed" else "退款异常"
        _tell_staff(
            staff_in_role("finance", customer),
            "refund_problem",
            f"微信支付{words}",
            f"{customer.name} 退款 ¥{refund.amount}（{refund.out_refund_no}）：{refund.error}",
        )


def invoice_answered(event: InvoiceAnswered) -> None:
    invoice = event.invoice
    if invoice.status == "issued":
        title, body = "发票已开具", f"发票号码 {invoice.invoice_no}，金额 ¥{invoice.amount}"
    else:
        title, body = "发票申请未通过", f"原因：{invoice.reject_reason}"
    _tell_dealer(invoice.customer_id, "invoice", title, f"发票申请 {invoice.number}：{body}")


def statement_answered(event: StatementAnswered) -> None:
    answer = event.confirmation
    if answer.status != "disputed":
        return
    customer = Customer.get_by_id(answer.customer_id)
    _tell_staff(
        staff_in_role("finance", customer),
        "statement_disputed",
        "对账单有异议",
        f"{customer.name} 对 {answer.period} 对账单有异议：{answer.note}",
    )


def reconciliation_mismatch(event: ReconciliationMismatch) -> None:
    counts = event.counts
    finance = list(
        Staff.select().where((Staff.role == "finance") & Staff.active & (Staff.data_scope == "all"))
    )
    _tell_staff(
        finance,
        "reconciliation",
        "微信支付对账有差异",
        f"{event.day}：微信有、系统无 {counts['missing_here']} 笔，系统有、微信无 "
        f"{counts['missing_there']} 笔，金额不符 {counts['amount_mismatch']} 笔",
    )


def approval_awaited(awaited: ApprovalAwaited) -> None:
    """A refund waits for a role's signature: the staff in that role, in its customer's scope."""
    if awaited.document != "refund":
        return
    refund = Refund.get_by_id(awaited.document_id)
    customer = Customer.get_by_id(refund.customer_id)
    _tell_staff(
        staff_in_role(awaited.role, customer),
        "approval_step",
        "退款待您审批",
        f"{customer.name} 退款 ¥{refund.amount}（{refund.out_refund_no}）：{refund.reason}",
    )
