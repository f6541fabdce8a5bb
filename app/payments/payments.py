"""Payments with WeChat Pay (JSAPI): a dealer tops up the prepaid balance or pays an order's
unpaid amount from the H5 pages or the mini-program; WeChat Pay says it was paid (its
notification, or our query when no notification came); one guarded UPDATE moves the payment to
`paid` and one receipt holds the money, in the same transaction (invariant 10).

The browser's "paid" is never believed: the result page asks us, and we ask WeChat Pay.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal

from peewee import JOIN, Case, IntegrityError, fn

from app.adapters.wechatpay import PayError, wechat_pay
from app.auth.scopes import require, scoped
from app.core import credit, receivables
from app.core.models import Customer, Order, Receipt, Receivable, Staff
from app.core.orders import record_event
from app.core.rules import OrderStatus
from app.db import db, or_not_found, transaction, utcnow, where_given, within_local_days
from app.errors import AppError, Forbidden, InvalidState, NotFound
from app.events import OrderChanged, PaymentPaid, emit
from app.mall.models import WechatUser
from app.money import ZERO, money, money_from_fen, to_fen, written
from app.payments import rules
from app.payments.models import Payment
from app.payments.settings import current

log = logging.getLogger(__name__)

PAID_STATES = ("SUCCESS", "REFUND")  # WeChat Pay's trade states of a transaction that was paid
CLOSED_STATES = ("CLOSED", "REVOKED", "PAYERROR")
REQUERY_EVERY = dt.timedelta(seconds=60)  # the worker's pace for a payment still pending
PAGE_QUERY_EVERY = dt.timedelta(seconds=3)  # the result page's, while the dealer waits


class PaymentUnavailable(AppError):
    status, code, default_message = 502, "payment_unavailable", "微信支付暂时不可用，请稍后再试"


@dataclass(frozen=True)
class Payer:
    """Who pays, through which of our WeChat apps: the official account (H5 pages, their OA
    openid) or the mini-program (its openid)."""

    customer_id: int
    wechat_user_id: int
    channel: str  # h5 | mp
    openid: str

    @classmethod
    def of(cls, user: WechatUser, channel: str) -> Payer:
        """Raises: Forbidden (not a bound dealer, or not signed in through that app)."""
        openid = user.oa_openid if channel == "h5" else user.openid
        if user.role != "dealer" or user.customer_id is None:
            raise Forbidden("只有已绑定的经销商可以付款")
        if not openid:
            raise Forbidden("请在微信中打开后付款")
        return cls(user.customer_id, user.id, channel, openid)

    @property
    def appid(self) -> str:
        settings = current()
        return settings.oa_appid if self.channel == "h5" else settings.mp_appid


@dataclass(frozen=True)
class Started:
    """A payment ready to pay: `jsapi` is what the page hands to WeixinJSBridge (None once it is
    no longer pending); `created` is False for one an Idempotency-Key or the same order found."""

    payment: Payment
    jsapi: dict | None
    created: bool


# --- what an order owes -------------------------------------------------------------------------


def order_dues(order: Order) -> rules.OrderDues:
    customer = Customer.get_by_id(order.customer_id)
    open_receivables = (
        Receivable.select(fn.SUM(Receivable.open_amount))
        .where(Receivable.order == order.id)
        .scalar()
    )
    # One read: what was paid for this order, and the customer's free prepaid money (receipts
    # for no order, or for one that can ship no more: credit.oldest_open's "free").
    free_receipt = Receipt.order.is_null() | Order.status.in_([s.value for s in credit.FINISHED])
    waiting, free = (
        Receipt.select(
            fn.SUM(Case(None, [(Receipt.order == order.id, Receipt.unapplied)], 0)),
            fn.SUM(Case(None, [(free_receipt, Receipt.unapplied)], 0)),
        )
        .join(Order, JOIN.LEFT_OUTER, on=(Receipt.order == Order.id))
        .where((Receipt.customer == order.customer_id) & (Receipt.unapplied > 0))
        .tuples()
        .first()
    )
    dues = rules.OrderDues(
        status=order.status,
        settlement_method=customer.settlement_method,
        total=order.total,
        held=order.held_amount,
        open_receivables=money_from_fen(open_receivables),
        waiting=money_from_fen(waiting),
    )
    free = money_from_fen(free)
    if free <= 0 or dues.owed <= 0:
        return dues
    return replace(dues, prepaid=rules.prepaid_cover(free, _claims_before(order)))


def _claims_before(order: Order) -> Decimal:
    """What the customer's other orders will take of their free prepaid money before `order`:
    every approved order's hold (it ships, or for a prepaid dealer is held, first) and the total
    of each older order awaiting review, less what was paid for each and waits for it."""
    approved = (OrderStatus.APPROVED.value, OrderStatus.PARTIALLY_SHIPPED.value)
    others = (
        Order.select(
            Order.status,
            Order.total,
            Order.held_amount,
            fn.COALESCE(fn.SUM(Receipt.unapplied), 0).alias("waiting"),
        )
        .join(Receipt, JOIN.LEFT_OUTER, on=(Receipt.order == Order.id))
        .where(
            (Order.customer == order.customer_id)
            & (Order.id != order.id)
            & (
                Order.status.in_(approved)
                | ((Order.status == OrderStatus.PENDING_REVIEW.value) & (Order.id < order.id))
            )
        )
        .group_by(Order.id, Order.status, Order.total, Order.held_amount)
        .tuples()
    )
    claims = ZERO
    for status, total, held, waiting in others:
        wants = held if status in approved else total
        claims += max(money(wants) - money_from_fen(waiting), ZERO)
    return claims


def order_unpaid(order: Order) -> Decimal:
    """What the dealer may still pay for this order (docs/payments.md, "What an order owes"):
    what it owes less what the dealer's prepaid money will pay of it anyway."""
    return rules.unpaid(order_dues(order))


# --- starting a payment -------------------------------------------------------------------------


def _by_key(customer_id: int, key: str) -> Payment | None:
    return Payment.get_or_none((Payment.customer == customer_id) & (Payment.idempotency_key == key))


def start(
    payer: Payer,
    purpose: str,
    *,
    order_id: int | None = None,
    amount: Decimal | None = None,
    idempotency_key: str | None = None,
) -> Started:
    """A payment for a top-up (`amount`) or for an order (its unpaid amount), placed with WeChat
    Pay, with the block the page needs to pay it. The same Idempotency-Key gives the same payment;
    an order with a payment still pending for the same amount gets that one again (the dealer
    came back to the page), never a second one to pay.

    Raises: NotFound (not this dealer's order), InvalidState (nothing to pay), ValidationFailed
    (amount), PaymentUnavailable (WeChat Pay not configured or not answering)."""
    if not wechat_pay.gateway.configured:
        raise PaymentUnavailable("暂未开通微信支付，请联系客服")
    if idempotency_key and (found := _by_key(payer.customer_id, idempotency_key)):
        return _ready(found, created=False)
    order = None
    if purpose == "order":
        order = Order.get_or_none((Order.id == order_id) & (Order.customer == payer.customer_id))
        if order is None:
            raise NotFound("订单不存在", order_id=order_id)
        amount = order_unpaid(order)
        if amount <= 0:
            raise InvalidState(f"订单 {order.number} 无需付款", order_id=order.id)
        waiting = _pending_for(order, amount, payer)
        if waiting is not None:
            return _ready(waiting, created=False)
    else:
        amount = rules.topup_amount(amount)
    now = utcnow()
    try:
        with db.atomic():
            payment = Payment.create(
                customer=payer.customer_id,
                wechat_user=payer.wechat_user_id,
                purpose=purpose,
                order=order.id if order else None,
                out_trade_no=uuid.uuid4().hex[:32],
                amount=amount,
                status="pending",
                channel=payer.channel,
                appid=payer.appid,
                openid=payer.openid,
                idempotency_key=idempotency_key,
                created_at=now,
                updated_at=now,
                expires_at=now + dt.timedelta(minutes=current().expire_minutes),
                next_query_at=now + dt.timedelta(seconds=current().query_after_seconds),
            )
            payment.out_trade_no = rules.out_number("WP", now, payment.id)
            Payment.update(out_trade_no=payment.out_trade_no).where(
                Payment.id == payment.id
            ).execute()
    except IntegrityError:  # the same key from a request racing this one
        found = idempotency_key and _by_key(payer.customer_id, idempotency_key)
        if not found:
            raise
        return _ready(found, created=False)
    return _ready(payment, created=True)


def _pending_for(order: Order, amount: Decimal, payer: Payer) -> Payment | None:
    return (
        Payment.select()
        .where(
            (Payment.order == order.id)
            & (Payment.status == "pending")
            & (Payment.amount == amount)
            & (Payment.openid == payer.openid)
            & (Payment.appid == payer.appid)
            & Payment.prepay_id.is_null(False)
            & (Payment.expires_at > utcnow() + dt.timedelta(minutes=2))
        )
        .order_by(Payment.id.desc())
        .first()
    )


def _description(payment: Payment) -> str:
    if payment.order_id is None:
        return "订货商城-预付款充值"
    return f"订货商城-订单{Order.get_by_id(payment.order_id).number}"


def _ready(payment: Payment, created: bool) -> Started:
    """Place the payment with WeChat Pay if that has not happened yet (placing the same
    out_trade_no again gives the same prepay_id), and sign the page's block."""
    gateway = wechat_pay.gateway
    if payment.status != "pending" or _expired(payment):
        return Started(payment, None, created)
    if payment.prepay_id is None:
        try:
            prepay_id = gateway.jsapi_order(
                appid=payment.appid,
                out_trade_no=payment.out_trade_no,
                description=_description(payment),
                amount_fen=to_fen(payment.amount),
                openid=payment.openid,
                expire_at=payment.expires_at,
                attach=f"customer:{payment.customer_id}",
            )
        except PayError as exc:
            log.warning("placing %s with WeChat Pay failed: %s", payment.out_trade_no, exc)
            raise PaymentUnavailable(detail=exc.message) from None
        Payment.update(prepay_id=prepay_id, updated_at=utcnow()).where(
            (Payment.id == payment.id) & Payment.prepay_id.is_null()
        ).execute()
        payment = Payment.get_by_id(payment.id)
    return Started(payment, gateway.jsapi_params(payment.appid, payment.prepay_id), created)


def _expired(payment: Payment) -> bool:
    """Past its expiry (WeChat Pay's order expires then too), or its order stopped: not to be
    paid any more; the worker closes it — or records it paid, if WeChat Pay says it was."""
    return payment.expires_at <= utcnow()


def order_stopped(change: OrderChanged) -> None:
    """An order cancelled or rejected: its payments still waiting expire now, so no one pays for
    an order that will not ship, and the worker closes them at its next turn."""
    if change.event.action not in ("cancel", "reject"):
        return
    now = utcnow()
    Payment.update(expires_at=now, next_query_at=now, updated_at=now).where(
        (Payment.order == change.order.id)
        & (Payment.status == "pending")
        & (Payment.expires_at > now)
    ).execute()


# --- WeChat Pay says it was paid ------------------------------------------------------------------


def _moment(text: str | None) -> dt.datetime:
    """WeChat Pay's RFC 3339 time as naive UTC (now when it gave none)."""
    if not text:
        return utcnow()
    try:
        return dt.datetime.fromisoformat(text).astimezone(dt.UTC).replace(tzinfo=None)
    except ValueError:
        return utcnow()


def _check(payment: Payment, t: dict) -> None:
    """The transaction is the one we placed: our merchant and app, our payer, our amount.
    Raises: InvalidState (naming what differs)."""
    amount = t.get("amount") or {}
    payer = t.get("payer") or {}
    expected = {
        "mchid": wechat_pay.gateway.settings.mchid,
        "appid": payment.appid,
        "openid": payment.openid,
        "total": to_fen(payment.amount),
        "currency": "CNY",
        "attach": f"customer:{payment.customer_id}",
    }
    given = {
        "mchid": t.get("mchid"),
        "appid": t.get("appid"),
        "openid": payer.get("openid"),
        "total": amount.get("total"),
        "currency": amount.get("currency", "CNY"),
        "attach": t.get("attach") or expected["attach"],
    }
    wrong = sorted(key for key in expected if given[key] != expected[key])
    if wrong:
        raise InvalidState(
            "微信支付交易与支付单不符：" + "、".join(wrong),
            out_trade_no=payment.out_trade_no,
            fields=wrong,
        )


def settle(t: dict) -> Payment:
    """Apply WeChat Pay's word on a transaction (a notification's resource, or a query's
    answer). When it was paid: one guarded UPDATE pending → paid, and one receipt (method
    `wechat_pay`, reference the transaction id) — a top-up raises the prepaid balance, an order's
    payment pays that order's receivables or waits for its shipments — all in one transaction.
    Repeats (15 notifications, a query racing one) find the payment paid and change nothing.

    Raises: NotFound (not our out_trade_no), InvalidState (not the transaction we placed)."""
    with transaction():
        payment = Payment.get_or_none(Payment.out_trade_no == str(t.get("out_trade_no", "")))
        if payment is None:
            raise NotFound("支付单不存在", out_trade_no=t.get("out_trade_no"))
        _check(payment, t)
        if t.get("trade_state") not in PAID_STATES:
            return payment
        transaction_id = str(t.get("transaction_id") or "")
        if not transaction_id:
            raise InvalidState("微信支付交易缺少交易单号", out_trade_no=payment.out_trade_no)
        now = utcnow()
        try:
            with db.atomic():
                moved = (
                    Payment.update(
                        status="paid",
                        transaction_id=transaction_id,
                        paid_at=_moment(t.get("success_time")),
                        updated_at=now,
                    )
                    .where((Payment.id == payment.id) & Payment.status.in_(["pending", "closed"]))
                    .execute()
                )
        except IntegrityError:
            raise InvalidState("该微信支付交易单号已属于另一笔付款") from None
        payment = Payment.get_by_id(payment.id)
        if not moved:
            if payment.transaction_id != transaction_id:
                raise InvalidState("支付单已由另一笔微信支付交易付款")
            return payment  # told again: credited once already
        order = Order.get_by_id(payment.order_id) if payment.order_id else None
        what = f"订单 {order.number} 付款" if order else "预付款充值"
        receipt = receivables.record_receipt(
            payment.customer_id,
            payment.amount,
            "wechat_pay",
            transaction_id,
            recorded_by="wechatpay",
            note=f"微信支付{what} {transaction_id}",
            order_id=payment.order_id,
        )
        Payment.update(receipt=receipt.id).where(Payment.id == payment.id).execute()
        payment.receipt = receipt
        if order is not None:
            note = written(payment.amount)
            record_event(order, "pay", order.status, order.status, "wechatpay", note)
        emit(PaymentPaid(payment))
        return payment


def _mark_closed(payment: Payment) -> None:
    Payment.update(status="closed", updated_at=utcnow()).where(
        (Payment.id == payment.id) & (Payment.status == "pending")
    ).execute()


def _claim_query(payment: Payment, wait: dt.timedelta) -> bool:
    """Take the next query of a pending payment: one asker at a time, at most once per `wait`."""
    now = utcnow()
    return bool(
        Payment.update(next_query_at=now + wait)
        .where(
            (Payment.id == payment.id)
            & (Payment.status == "pending")
            & (Payment.next_query_at <= now)
        )
        .execute()
    )


def query_and_settle(payment: Payment) -> str:
    """Ask WeChat Pay about a pending payment (WeChat advises it when no notification came):
    paid → settled; closed there, or expired here → closed (WeChat Pay's order too). Returns
    what became of it."""
    gateway = wechat_pay.gateway
    try:
        t = gateway.query(payment.out_trade_no)
        if t is not None and t.get("trade_state") in PAID_STATES:
            settle(t)
            return "paid"
        if t is not None and t.get("trade_state") in CLOSED_STATES:
            _mark_closed(payment)
            return "closed"
        if payment.expires_at > utcnow():
            return "pending"
        if t is not None and not gateway.close(payment.out_trade_no):
            settle(gateway.query(payment.out_trade_no) or {})  # paid as we closed it
            return "paid"
        _mark_closed(payment)
        return "closed"
    except PayError as exc:
        log.warning("querying %s failed: %s", payment.out_trade_no, exc)
        return "unknown"
    except AppError as exc:  # WeChat Pay's answer does not match the payment we placed
        log.error("payment %s: %s %s", payment.out_trade_no, exc.message, exc.details)
        return "mismatch"


def settle_pending(limit: int = 100) -> dict[str, int]:
    """The worker: every pending payment due a query (no notification came within
    PAYMENT_QUERY_AFTER_SECONDS, then once a minute until it expires, then closed)."""
    due = (
        Payment.select()
        .where((Payment.status == "pending") & (Payment.next_query_at <= utcnow()))
        .order_by(Payment.next_query_at)
        .limit(limit)
    )
    counts: dict[str, int] = {}
    for payment in due:
        if _claim_query(payment, REQUERY_EVERY):
            outcome = query_and_settle(payment)
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# --- reading ------------------------------------------------------------------------------------


def dealer_payments(customer_id: int, page: int, per_page: int) -> tuple[list[Payment], int]:
    query = Payment.select().where(Payment.customer == customer_id)
    total = query.count()
    items = list(query.order_by(Payment.id.desc()).paginate(page, per_page))
    return items, total


def dealer_payment(customer_id: int, payment_id: int, *, ask: bool = False) -> Payment:
    """One of the dealer's payments. With `ask`, a payment still pending is asked about at
    WeChat Pay first (at most every few seconds): the result page's answer never waits for the
    notification, and never comes from the browser. Raises: NotFound."""
    payment = Payment.get_or_none((Payment.id == payment_id) & (Payment.customer == customer_id))
    if payment is None:
        raise NotFound("支付单不存在", payment_id=payment_id)
    if (
        ask
        and payment.status == "pending"
        and payment.prepay_id
        and _claim_query(payment, PAGE_QUERY_EVERY)
    ):
        query_and_settle(payment)
        payment = Payment.get_by_id(payment.id)
    return payment


def resume(customer_id: int, payment_id: int) -> Started:
    """One of the dealer's payments with a freshly signed block to pay it, while it is pending
    (the H5 pay page, opened again later). Raises: NotFound, PaymentUnavailable."""
    return _ready(dealer_payment(customer_id, payment_id), created=False)


def payments_query(staff: Staff, filters: dict):
    """Payments in the caller's scope, newest first: `status`, `customer_id`, `from`/`to`
    (business dates the payment was paid — made, for one not paid: the time lists show)."""
    require(staff, "payments.view")
    query = scoped(
        Payment.select(Payment, Customer, Order)
        .join(Customer)
        .switch(Payment)
        .join(Order, JOIN.LEFT_OUTER),
        staff,
    )
    query = where_given(query, filters, status=Payment.status, customer_id=Payment.customer)
    query = within_local_days(
        query,
        fn.COALESCE(Payment.paid_at, Payment.created_at),
        filters.get("date_from"),
        filters.get("date_to"),
    )
    return query.order_by(Payment.id.desc())


def payment_in_scope(staff: Staff, payment_id: int) -> Payment:
    """Raises: NotFound, also for another scope's payment."""
    found = payments_query(staff, {}).where(Payment.id == payment_id).first()
    return or_not_found(found, "支付单不存在", payment_id=payment_id)
