"""Statement confirmation (对账确认): each month's statement (opening balance, lines, closing
balance) on the dealer's phone; once the month is over the dealer confirms it, or disputes it
with a note (and may confirm later). Finance sees per customer who confirmed, disputed or has
not answered, and hears of each dispute (StatementAnswered)."""

from __future__ import annotations

from peewee import JOIN, IntegrityError

from app.auth.scopes import require, scoped
from app.core import receivables
from app.core.models import Customer, Staff
from app.db import db, transaction, utcnow
from app.errors import InvalidState, ValidationFailed
from app.events import StatementAnswered, emit
from app.mall.models import WechatUser
from app.payments import rules
from app.payments.models import StatementConfirmation
from app.timeutil import local_today


def statement(customer_id: int, period: str) -> dict:
    """The month's statement (up to today for the month under way) and the dealer's answer.
    Raises: ValidationFailed (a bad or future month)."""
    first, last = rules.period_bounds(period)
    today = local_today()
    if first > today:
        raise ValidationFailed("该月份尚未开始", period=["不能是未来的月份"])
    opening, lines = receivables.statement(customer_id, first, min(last, today))
    answer = (
        StatementConfirmation.select(StatementConfirmation, WechatUser)
        .join(
            WechatUser,
            on=(StatementConfirmation.answered_by == WechatUser.id),
            join_type=JOIN.LEFT_OUTER,
        )
        .where(
            (StatementConfirmation.customer == customer_id)
            & (StatementConfirmation.period == period)
        )
        .first()
    )
    closing = lines[-1].balance if lines else opening
    return {
        "period": period,
        "date_from": first,
        "date_to": last,
        "ended": last < today,
        "opening": opening,
        "lines": lines,
        "closing": closing,
        "opening_balance": opening,  # as the account statement names them
        "closing_balance": closing,
        "items": lines,
        "status": answer.status if answer else "pending",
        "confirmation": answer,
    }


def confirmed_month(customer_id: int, day) -> str | None:
    """The month (YYYY-MM) holding `day` when the customer has confirmed its statement: money
    dated into it would change the balances they confirmed. None otherwise."""
    period = f"{day:%Y-%m}"
    confirmed = (
        StatementConfirmation.select()
        .where(
            (StatementConfirmation.customer == customer_id)
            & (StatementConfirmation.period == period)
            & (StatementConfirmation.status == "confirmed")
        )
        .exists()
    )
    return period if confirmed else None


def answer(user: WechatUser, period: str, agree: bool, note: str = "") -> dict:
    """The dealer confirms the month's statement (`agree`) or disputes it with a note. A month
    is answered once it is over; a confirmed month stays confirmed.

    Raises: ValidationFailed (bad month, a dispute without a note), InvalidState (the month is
    not over, or already confirmed)."""
    customer_id = user.customer_id
    first, last = rules.period_bounds(period)
    if last >= local_today():
        raise InvalidState("本月尚未结束，月末后才能确认对账单", period=period)
    note = (note or "").strip()
    if not agree and not note:
        raise ValidationFailed("请写明有异议的地方", note=["有异议时必填"])
    fields = {
        "status": "confirmed" if agree else "disputed",
        "note": note[:500],
        "answered_by": user.id,
        "answered_at": utcnow(),
    }
    with transaction():
        opening, lines = receivables.statement(customer_id, first, last)
        fields["opening"] = opening
        fields["closing"] = lines[-1].balance if lines else opening
        try:
            with db.atomic():
                row = StatementConfirmation.create(customer=customer_id, period=period, **fields)
        except IntegrityError:  # answered before (or by another phone this moment)
            changed = (
                StatementConfirmation.update(**fields)
                .where(
                    (StatementConfirmation.customer == customer_id)
                    & (StatementConfirmation.period == period)
                    & (StatementConfirmation.status == "disputed")
                )
                .execute()
            )
            if not changed:
                raise InvalidState(f"{period} 的对账单已确认", period=period) from None
            row = StatementConfirmation.get(
                (StatementConfirmation.customer == customer_id)
                & (StatementConfirmation.period == period)
            )
        emit(StatementAnswered(row))
    return statement(customer_id, period)


def confirmations(staff: Staff, period: str) -> dict:
    """Every active customer in the caller's scope with their answer for the month:
    `confirmed`, `disputed` (with the note) or `pending`, and how many of each."""
    require(staff, "payments.view")
    rules.period_bounds(period)
    customers = scoped(Customer.select().where(Customer.active), staff).order_by(Customer.code)
    answers = {
        a.customer_id: a
        for a in StatementConfirmation.select(StatementConfirmation, WechatUser)
        .join(
            WechatUser,
            on=(StatementConfirmation.answered_by == WechatUser.id),
            join_type=JOIN.LEFT_OUTER,
        )
        .where(StatementConfirmation.period == period)
    }
    rows = []
    for customer in customers:
        found = answers.get(customer.id)
        rows.append(
            {
                "customer_id": customer.id,
                "customer_code": customer.code,
                "customer_name": customer.name,
                "status": found.status if found else "pending",
                "note": found.note if found else "",
                "closing": found.closing if found else None,
                "answered_at": found.answered_at if found else None,
                "answered_by": _who(found) if found else None,
            }
        )
    counts = {status: 0 for status in rules.CONFIRMATION_LABELS}
    for row in rows:
        counts[row["status"]] += 1
    return {"period": period, "items": rows, "counts": counts}


def _who(found: StatementConfirmation) -> str:
    """Who answered, as finance reads it: the WeChat name, else that it was the dealer."""
    user = found.answered_by if found.answered_by_id else None
    return (user.nickname or "经销商（微信）") if user else "经销商（微信已解绑）"
