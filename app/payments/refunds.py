"""Refunds through WeChat Pay, from the console and the admin API: never more than was paid, in
total, under concurrency (invariant 10), and the receipt is reversed by what is refunded.

Asking reserves the amount on the payment with one guarded UPDATE (`refunded_amount + amount <=
amount`), so two refunds at the same moment cannot both pass. When an approval rule for
refunds matches, the refund waits for its signatures (the approval engine); otherwise, or once
approved, the receipt is reversed (guarded: a refund never spends prepaid money an approved order
holds) and WeChat Pay is asked. A refund WeChat Pay refuses or closes gives the money back to the
dealer's account and the reservation back to the payment.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from decimal import Decimal

from peewee import Case

from app.adapters.wechatpay import PayError, wechat_pay
from app.approval import services as approvals
from app.approval.rules import Document, Facts, allowed_actions, next_role, steps_for
from app.auth.scopes import actor, require, scoped
from app.core import receivables
from app.core.models import Customer, Order, Staff
from app.core.orders import record_event
from app.db import guarded_add, or_not_found, transaction, utcnow
from app.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from app.events import ApprovalAwaited, RefundSettled, emit
from app.money import money, to_fen, written
from app.payments import rules
from app.payments.models import Payment, Refund
from app.payments.payments import payment_in_scope

log = logging.getLogger(__name__)

REFUNDABLE = ("paid", "partially_refunded", "refunded")
RETRY_EVERY = dt.timedelta(seconds=60)


def _set_payment_status(payment_id: int) -> None:
    """paid / partially_refunded / refunded, from what is refunded, in one statement."""
    Payment.update(
        status=Case(
            None,
            [
                (Payment.refunded_amount >= Payment.amount, "refunded"),
                (Payment.refunded_amount > 0, "partially_refunded"),
            ],
            "paid",
        ),
        updated_at=utcnow(),
    ).where((Payment.id == payment_id) & Payment.status.in_(list(REFUNDABLE))).execute()


def _facts(amount: Decimal, customer: Customer) -> Facts:
    return Facts(
        total=amount, list_total=amount, branch_id=customer.branch_id, customer_id=customer.id
    )


def _needs_approval(amount: Decimal, customer: Customer) -> bool:
    _, roles = steps_for(approvals.active_rules("refund"), _facts(amount, customer))
    return bool(roles)


def request(staff: Staff, payment_id: int, amount: Decimal, reason: str) -> Refund:
    """Ask for a refund of (part of) a paid payment in the caller's scope.

    Raises: Forbidden, NotFound, ValidationFailed, InvalidState (not paid, or more than is left
    to refund), CreditExceeded (the dealer's balance is held by approved orders)."""
    require(staff, "payments.refund")
    amount = money(amount)
    if amount <= 0:
        raise ValidationFailed("退款金额必须大于 0", amount=["退款金额必须大于 0"])
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写退款原因", reason=["必填"])
    with transaction():
        payment = payment_in_scope(staff, payment_id)
        if payment.status not in REFUNDABLE:
            label = rules.PAYMENT_LABELS.get(payment.status, payment.status)
            raise InvalidState(f"支付单{label}，不能退款", status=payment.status)
        refused = guarded_add(Payment.refunded_amount, payment.id, amount, Payment.amount)
        if refused is not None:
            left = refused.amount - refused.refunded_amount
            raise InvalidState(
                f"退款金额超过可退金额：还可退 {written(left)}",
                refundable=str(left),
                requested=str(amount),
            )
        _set_payment_status(payment.id)
        customer = Customer.get_by_id(payment.customer_id)
        now = utcnow()
        waits = _needs_approval(amount, customer)
        refund = Refund.create(
            payment=payment.id,
            customer=payment.customer_id,
            out_refund_no=uuid.uuid4().hex,
            amount=amount,
            reason=reason[:200],
            status="pending_approval" if waits else "processing",
            requested_by=staff.id,
            created_at=now,
            updated_at=now,
            next_query_at=None if waits else now + RETRY_EVERY,
        )
        refund.out_refund_no = rules.out_number("RF", now, refund.id)
        Refund.update(out_refund_no=refund.out_refund_no).where(Refund.id == refund.id).execute()
        if waits:
            emit(ApprovalAwaited("refund", refund.id, None, "customer_service", 0))
        else:
            _reverse(refund, payment)
    if not waits:
        submit(refund.id)
    return Refund.get_by_id(refund.id)


def _reverse(refund: Refund, payment: Payment) -> None:
    receivables.reverse_receipt(
        payment.receipt_id,
        refund.amount,
        ref=refund.out_refund_no,
        note=f"微信支付退款 {refund.out_refund_no}",
    )


def submit(refund_id: int) -> Refund:
    """Ask WeChat Pay for a refund that is `processing` (again, when the last try did not get
    through: the same out_refund_no is one refund there)."""
    refund = Refund.get_by_id(refund_id)
    if refund.status != "processing":
        return refund
    payment = Payment.get_by_id(refund.payment_id)
    try:
        answer = wechat_pay.gateway.refund(
            out_refund_no=refund.out_refund_no,
            out_trade_no=payment.out_trade_no,
            refund_fen=to_fen(refund.amount),
            total_fen=to_fen(payment.amount),
            reason=refund.reason,
        )
    except PayError as exc:
        if exc.retryable:
            log.warning("refund %s not through yet: %s", refund.out_refund_no, exc)
            Refund.update(error=exc.message[:255], next_query_at=utcnow() + RETRY_EVERY).where(
                Refund.id == refund.id
            ).execute()
        else:
            _finish(refund, "failed", error=f"微信支付拒绝退款：{exc.message}"[:255])
        return Refund.get_by_id(refund.id)
    _apply(refund, answer)
    return Refund.get_by_id(refund.id)


def _apply(refund: Refund, answer: dict) -> None:
    """WeChat Pay's word on a refund (its answer, a query, a notification)."""
    status = answer.get("status") or answer.get("refund_status")
    refund_id = str(answer.get("refund_id") or "") or None
    if status == "SUCCESS":
        _finish(refund, "succeeded", refund_id=refund_id)
    elif status == "CLOSED":
        _finish(refund, "failed", refund_id=refund_id, error="微信支付关闭了这笔退款")
    elif status == "ABNORMAL":
        _finish(
            refund, "abnormal", refund_id=refund_id, error="退款到用户账户失败，请在商户平台处理"
        )
    else:
        Refund.update(
            refund_id=refund_id, error="", next_query_at=utcnow() + RETRY_EVERY, updated_at=utcnow()
        ).where((Refund.id == refund.id) & (Refund.status == "processing")).execute()


def _finish(refund: Refund, to: str, refund_id: str | None = None, error: str = "") -> None:
    """Move a refund to where WeChat Pay says it ended, once: a failed one gives the money back
    to the dealer's account and the reservation back to the payment."""
    with transaction():
        now = utcnow()
        moved = (
            Refund.update(
                status=to,
                refund_id=refund_id or Refund.refund_id,
                error=error,
                succeeded_at=now if to == "succeeded" else None,
                next_query_at=None,
                updated_at=now,
            )
            .where((Refund.id == refund.id) & Refund.status.in_(["processing", "abnormal"]))
            .execute()
        )
        if not moved:
            return
        refund = Refund.get_by_id(refund.id)
        payment = Payment.get_by_id(refund.payment_id)
        if to == "failed":
            _release(refund, payment)
            receivables.restore_receipt(
                payment.receipt_id,
                refund.amount,
                ref=refund.out_refund_no,
                note=f"微信支付退款未成功 {refund.out_refund_no}，款项退回账户",
            )
        elif to == "succeeded" and payment.order_id:
            order = Order.get_by_id(payment.order_id)
            note = written(refund.amount)
            record_event(order, "refund", order.status, order.status, "wechatpay", note)
        emit(RefundSettled(refund))


def _release(refund: Refund, payment: Payment) -> None:
    Payment.update(refunded_amount=Payment.refunded_amount - refund.amount).where(
        (Payment.id == payment.id) & (Payment.refunded_amount >= refund.amount)
    ).execute()
    _set_payment_status(payment.id)


def settle(resource: dict) -> Refund:
    """A refund notification's resource: the refund ended (SUCCESS, CLOSED, ABNORMAL).
    Raises: NotFound, InvalidState (not the refund we asked for)."""
    refund = Refund.get_or_none(Refund.out_refund_no == str(resource.get("out_refund_no", "")))
    if refund is None:
        raise NotFound("退款单不存在", out_refund_no=resource.get("out_refund_no"))
    payment = Payment.get_by_id(refund.payment_id)
    amount = resource.get("amount") or {}
    expected = (wechat_pay.gateway.settings.mchid, payment.out_trade_no, to_fen(refund.amount))
    given = (resource.get("mchid"), resource.get("out_trade_no"), amount.get("refund"))
    if given != expected:
        raise InvalidState("退款通知与退款单不符", out_refund_no=refund.out_refund_no)
    _apply(refund, resource)
    return Refund.get_by_id(refund.id)


def settle_processing(limit: int = 100) -> dict[str, int]:
    """The worker: refunds not through to WeChat Pay yet are asked again; those asked and not
    finished are queried (WeChat Pay's notification may not come)."""
    now = utcnow()
    due = (
        Refund.select()
        .where((Refund.status == "processing") & (Refund.next_query_at <= now))
        .order_by(Refund.next_query_at)
        .limit(limit)
    )
    counts: dict[str, int] = {}
    for refund in due:
        claimed = (
            Refund.update(next_query_at=now + RETRY_EVERY)
            .where((Refund.id == refund.id) & (Refund.next_query_at <= now))
            .execute()
        )
        if not claimed:
            continue
        if refund.refund_id is None:
            outcome = submit(refund.id).status
        else:
            try:
                answer = wechat_pay.gateway.query_refund(refund.out_refund_no)
            except PayError as exc:
                log.warning("querying refund %s failed: %s", refund.out_refund_no, exc)
                answer = None
            if answer is not None:
                _apply(refund, answer)
            outcome = Refund.get_by_id(refund.id).status
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# --- approval -------------------------------------------------------------------------------


def refunds_query(staff: Staff, status: str | None = None, payment_id: int | None = None):
    require(staff, "payments.view")
    query = scoped(
        Refund.select(Refund, Customer, Payment).join(Customer).switch(Refund).join(Payment), staff
    )
    if status:
        query = query.where(Refund.status == status)
    if payment_id:
        query = query.where(Refund.payment == payment_id)
    return query.order_by(Refund.id.desc())


def refund_in_scope(staff: Staff, refund_id: int) -> Refund:
    found = refunds_query(staff).where(Refund.id == refund_id).first()
    return or_not_found(found, "退款单不存在", refund_id=refund_id)


def document(refund: Refund) -> Document:
    return Document("refund", refund.status, approvals.steps_of("refund", refund.id))


def waiting_for(refund: Refund) -> str | None:
    return next_role(document(refund))


def actions_for(staff: Staff, refund: Refund) -> frozenset[str]:
    return allowed_actions(document(refund), staff)


def _locked(staff: Staff, refund_id: int) -> Refund:
    """The refund in the caller's scope, its row taken first by a guarded UPDATE (writers
    queue here). Raises: NotFound, InvalidState (not awaiting approval)."""
    refund = refund_in_scope(staff, refund_id)
    locked = (
        Refund.update(updated_at=utcnow())
        .where((Refund.id == refund.id) & (Refund.status == "pending_approval"))
        .execute()
    )
    if not locked:
        label = rules.REFUND_LABELS.get(refund.status, refund.status)
        raise InvalidState(f"退款单{label}，不能审批", status=refund.status)
    return refund


def approve(staff: Staff, refund_id: int, comment: str = "") -> Refund:
    """Sign the refund's next step; the last signature sends it to WeChat Pay.
    Raises: Forbidden (not this role's step), InvalidState, NotFound, CreditExceeded."""
    require(staff, "orders.approve")
    with transaction():
        refund = _locked(staff, refund_id)
        customer = Customer.get_by_id(refund.customer_id)
        signature = approvals.sign(
            "refund", refund.id, None, _facts(refund.amount, customer), staff, comment
        )
        if signature.approved:
            Refund.update(status="processing", next_query_at=utcnow() + RETRY_EVERY).where(
                Refund.id == refund.id
            ).execute()
            _reverse(refund, Payment.get_by_id(refund.payment_id))
    if signature.approved:
        submit(refund.id)
    return Refund.get_by_id(refund.id)


def reject(staff: Staff, refund_id: int, reason: str) -> Refund:
    """Turn a refund down: what it reserved on the payment may be refunded again."""
    require(staff, "orders.approve")
    if not (reason or "").strip():
        raise ValidationFailed("驳回须填写原因", reason=["必填"])
    with transaction():
        refund = _locked(staff, refund_id)
        if "reject" not in actions_for(staff, refund):
            raise Forbidden("当前角色不能驳回该退款单")
        Refund.update(status="rejected", error=reason.strip()[:255], updated_at=utcnow()).where(
            Refund.id == refund.id
        ).execute()
        _release(refund, Payment.get_by_id(refund.payment_id))
    log.info("refund %s rejected by %s", refund.out_refund_no, actor(staff))
    return Refund.get_by_id(refund.id)
