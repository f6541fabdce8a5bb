"""Reconciliation (对账) with WeChat Pay's trade bill: the worker fetches the bill of the day
before (its SHA1 checked), and each day's payments and refunds are matched by out_trade_no /
out_refund_no, transaction id and amount. What WeChat Pay has and we do not is `missing_here`,
what we have and it does not `missing_there`; any of those, or an amount that differs, alerts
finance (ReconciliationMismatch).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from decimal import Decimal

from app.adapters.wechatpay import PayError, wechat_pay
from app.auth.scopes import require, require_all_scope
from app.core.models import Customer, Staff
from app.db import transaction, utcnow
from app.errors import ValidationFailed
from app.events import ReconciliationMismatch, emit
from app.payments.models import Payment, Refund, TradeBill
from app.timeutil import end_of_local_day_utc, local_today, start_of_local_day_utc

log = logging.getLogger(__name__)

PAID = ("paid", "partially_refunded", "refunded")
REFUNDS_AT_WECHAT = ("processing", "succeeded", "abnormal")


def fetch(day: dt.date) -> TradeBill:
    """Fetch (or fetch again) WeChat Pay's bill of `day` and keep it; when it disagrees with
    our payments, finance hears of it."""
    try:
        bill = wechat_pay.gateway.trade_bill(day)
    except PayError as exc:
        log.warning("trade bill of %s: %s", day, exc)
        status, lines, digest, error = "failed", [], "", exc.message[:255]
    else:
        status = "fetched" if bill is not None else "none"
        lines = [_line(line) for line in bill.lines] if bill else []
        digest, error = (bill.hash_value if bill else ""), ""
    fields = {
        "status": status,
        "hash_value": digest,
        "lines": json.dumps(lines, ensure_ascii=False),
        "error": error,
        "fetched_at": utcnow(),
    }
    with transaction():
        TradeBill.insert(day=day, **fields).on_conflict(
            conflict_target=[TradeBill.day], update=fields
        ).execute()
        found = TradeBill.get(TradeBill.day == day)
        if status != "failed":
            report = compare(found)
            counts = {
                k: len(report[k]) for k in ("missing_here", "missing_there", "amount_mismatch")
            }
            if any(counts.values()):
                emit(ReconciliationMismatch(day, counts))
        return found


def _line(line) -> dict:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in dataclasses.asdict(line).items()}


def fetch_yesterday() -> str:
    """The worker, once a day after WeChat Pay makes the bill (10:00 Beijing time): yesterday's
    bill unless it was fetched already; a failed fetch is tried again on the next run."""
    if not wechat_pay.gateway.configured:
        return "not configured"
    day = local_today() - dt.timedelta(days=1)
    found = TradeBill.get_or_none(TradeBill.day == day)
    if found is not None and found.status != "failed":
        return found.status
    return fetch(day).status


@dataclasses.dataclass(frozen=True)
class Entry:
    """One payment or refund, as we have it or as the bill lists it, keyed alike."""

    kind: str  # payment | refund
    out_trade_no: str
    out_refund_no: str | None
    transaction_id: str | None
    amount: Decimal
    customer_id: int | None = None
    customer_name: str | None = None
    payment_id: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.out_refund_no or self.out_trade_no


def _ours(day: dt.date) -> dict[tuple[str, str], Entry]:
    """Our payments paid on `day` and our refunds asked on it (that WeChat Pay took)."""
    start, end = start_of_local_day_utc(day), end_of_local_day_utc(day)
    paid = (
        Payment.select(Payment, Customer)
        .join(Customer)
        .where((Payment.paid_at >= start) & (Payment.paid_at < end) & Payment.status.in_(PAID))
    )
    refunded = (
        Refund.select(Refund, Payment, Customer)
        .join(Payment)
        .switch(Refund)
        .join(Customer)
        .where(
            (Refund.created_at >= start)
            & (Refund.created_at < end)
            & Refund.status.in_(REFUNDS_AT_WECHAT)
        )
    )
    entries = [
        Entry(
            "payment",
            p.out_trade_no,
            None,
            p.transaction_id,
            p.amount,
            p.customer_id,
            p.customer.name,
            p.id,
        )
        for p in paid
    ] + [
        Entry(
            "refund",
            r.payment.out_trade_no,
            r.out_refund_no,
            r.payment.transaction_id,
            r.amount,
            r.customer_id,
            r.customer.name,
            r.payment_id,
        )
        for r in refunded
    ]
    return {e.key: e for e in entries}


def _theirs(bill: TradeBill) -> list[Entry]:
    """The bill's payment (SUCCESS) and refund (REFUND, REVOKED) lines."""
    found = []
    for line in json.loads(bill.lines):
        if line["state"] == "SUCCESS":
            found.append(
                Entry(
                    "payment",
                    line["out_trade_no"],
                    None,
                    line["transaction_id"],
                    Decimal(line["amount"]),
                )
            )
        elif line["state"] in ("REFUND", "REVOKED"):
            found.append(
                Entry(
                    "refund",
                    line["out_trade_no"],
                    line["out_refund_no"],
                    line["transaction_id"],
                    Decimal(line["refund"]),
                )
            )
    return found


def _item(entry: Entry, here: Entry | None, there: Entry | None) -> dict:
    return {
        "kind": entry.kind,
        "out_trade_no": entry.out_trade_no,
        "out_refund_no": entry.out_refund_no,
        "transaction_id": entry.transaction_id,
        "amount_here": str(here.amount) if here else None,
        "amount_there": str(there.amount) if there else None,
        "customer_id": entry.customer_id,
        "customer_name": entry.customer_name,
        "payment_id": entry.payment_id,
    }


def compare(bill: TradeBill) -> dict:
    """Our payments and refunds of the bill's day against its lines: a line matches when the
    number, the transaction id and the amount agree."""
    ours = _ours(bill.day)
    theirs = _theirs(bill)
    # Whose a payment we have not counted is (a lost notification): named where we know it.
    known = {
        p.out_trade_no: p
        for p in Payment.select(Payment, Customer)
        .join(Customer)
        .where(Payment.out_trade_no.in_([t.out_trade_no for t in theirs] or [""]))
    }
    report = {"matched_items": [], "missing_here": [], "missing_there": [], "amount_mismatch": []}
    for there in theirs:
        here = ours.pop(there.key, None)
        who = here or there
        if here is None and there.out_trade_no in known:
            p = known[there.out_trade_no]
            who = dataclasses.replace(
                there, customer_id=p.customer_id, customer_name=p.customer.name, payment_id=p.id
            )
        if here is None:
            report["missing_here"].append(_item(who, None, there))
        elif (here.amount, here.transaction_id) == (there.amount, there.transaction_id):
            report["matched_items"].append(_item(here, here, there))
        else:
            report["amount_mismatch"].append(_item(here, here, there))
    for here in ours.values():
        report["missing_there"].append(_item(here, here, None))
    report["matched"] = len(report["matched_items"])
    return report


def report(staff: Staff, day: dt.date) -> dict:
    """A day's reconciliation as finance reads it; the bill is fetched now when the worker has
    not yet (or could not). The bill covers the whole merchant account: scope `all` only.

    Raises: Forbidden, ValidationFailed (today or later: WeChat Pay has no bill yet)."""
    require(staff, "payments.view")
    require_all_scope(staff)
    if day >= local_today():
        raise ValidationFailed("只能对账今天以前的日期", date=["须早于今天"])
    bill = TradeBill.get_or_none(TradeBill.day == day)
    if bill is None or bill.status == "failed":
        bill = fetch(day)
    body = {
        "date": day,
        "status": bill.status,
        "hash": bill.hash_value,
        "fetched_at": bill.fetched_at,
        "error": bill.error,
    }
    if bill.status == "failed":
        empty = {"matched": 0, "matched_items": [], "missing_here": [], "missing_there": []}
        return {**body, **empty, "amount_mismatch": []}
    return {**body, **compare(bill)}


def refetch(staff: Staff, day: dt.date) -> dict:
    """Fetch a day's bill again (finance, after WeChat Pay corrected it), then report."""
    require(staff, "payments.view")
    require_all_scope(staff)
    if day >= local_today():
        raise ValidationFailed("只能对账今天以前的日期", date=["须早于今天"])
    fetch(day)
    return report(staff, day)
