"""Receipts dated as the money arrived, and voided (作废) when recorded by mistake: what each does
to the customer's balance, their receivables, the statement and AR aging, and what is refused."""

import datetime as dt
from decimal import Decimal

import pytest

from app.core import credit, orders, receivables
from app.core.models import (
    AccountEntry,
    Customer,
    Receipt,
    ReceiptAllocation,
    Receivable,
    Shipment,
)
from app.db import db
from app.errors import CreditExceeded, InvalidState, NotFound, ValidationFailed
from app.timeutil import end_of_local_day_utc, local_date, local_today
from devkit.factories import make_customer, place

D = Decimal


def ship_all(world, *lines, days_ago=0, customer=None):
    """Approve and fully ship an order; optionally as if it had shipped days ago."""
    order = place(customer or world.customer, *lines)
    orders.approve_order(order.id, "staff:1")
    shipment = orders.ship_order(
        order.id, [(ln.id, ln.qty) for ln in order.lines], "顺丰", "SF", "staff:2"
    )
    if days_ago:
        when = shipment.shipped_at - dt.timedelta(days=days_ago)
        with db.atomic():
            Receivable.update(posted_at=when).where(Receivable.shipment == shipment.id).execute()
            AccountEntry.update(created_at=when).where(
                AccountEntry.ref == shipment.number
            ).execute()
            Shipment.update(shipped_at=when).where(Shipment.id == shipment.id).execute()
    return Receivable.get(Receivable.shipment == shipment.id)


def days_ago(n: int) -> dt.date:
    return local_today() - dt.timedelta(days=n)


# --- dating ---------------------------------------------------------------------------------


def test_a_receipt_dated_yesterday_is_on_yesterday_in_statement_aging_and_number(world):
    old = ship_all(world, (world.oil, 5), days_ago=10)  # 900.00
    yesterday = days_ago(1)
    receipt = receivables.record_receipt(
        world.customer.id, D("900.00"), "cheque", "支票 001", received_on=yesterday
    )
    assert local_date(receipt.received_at) == yesterday
    assert receipt.received_at < end_of_local_day_utc(yesterday)
    assert receipt.number.startswith(f"RC{yesterday:%Y%m%d}")
    # The statement: the receipt's line on yesterday, not today.
    _, lines = receivables.statement(world.customer.id, yesterday, yesterday)
    assert [(ln.kind, ln.amount) for ln in lines] == [("receipt", D("-900.00"))]
    assert receivables.statement(world.customer.id, local_today(), local_today())[1] == []
    # Aging as of yesterday sees the receivable paid; as of two days ago, still open.
    assert receivables.ar_aging(yesterday) == []
    (row,) = receivables.ar_aging(days_ago(2))
    assert row.total == D("900.00")
    assert Receivable.get_by_id(old.id).open_amount == D("0.00")


def test_a_dated_receipt_pays_a_later_shipment_as_of_that_shipment(world):
    """Money that arrived five days ago pays a shipment posted three days ago: aging sees that
    receivable paid from its posting, never before it existed."""
    receivable = ship_all(world, (world.tea, 10), days_ago=3)  # 450.00
    receivables.record_receipt(world.customer.id, D("450.00"), "bank", received_on=days_ago(5))
    allocation = ReceiptAllocation.get()
    assert allocation.created_at == Receivable.get_by_id(receivable.id).posted_at
    assert receivables.ar_aging(days_ago(3)) == []
    assert receivables.ar_aging(days_ago(4)) == []  # not posted yet then


def test_today_or_no_day_is_now_and_a_future_day_is_refused(world):
    before = Receipt.select().count()
    today = receivables.record_receipt(
        world.customer.id, D("10"), "cash", received_on=local_today()
    )
    plain = receivables.record_receipt(world.customer.id, D("10"), "cash")
    for receipt in (today, plain):
        assert local_date(receipt.received_at) == local_today()
        assert receipt.received_at < end_of_local_day_utc(local_today()) - dt.timedelta(seconds=1)
    with pytest.raises(ValidationFailed) as refused:
        receivables.record_receipt(
            world.customer.id, D("10"), "cash", received_on=local_today() + dt.timedelta(days=1)
        )
    assert refused.value.message == "收款日期不能晚于今天"
    assert Receipt.select().count() == before + 2


# --- voiding ---------------------------------------------------------------------------------


def test_void_reopens_what_it_paid_takes_back_the_prepayment_and_has_a_line_of_its_own(world):
    old = ship_all(world, (world.oil, 5), days_ago=10)  # 900.00
    receipt = receivables.record_receipt(
        world.customer.id, D("1000.00"), "bank", "网银 7", received_on=days_ago(2)
    )
    assert Receivable.get_by_id(old.id).open_amount == D("0.00")
    position = receivables.account_position(world.customer.id)
    assert (position.receivable, position.balance) == (D("0.00"), D("100.00"))
    assert Customer.get_by_id(world.customer.id).ar_balance == D("-100.00")

    voided = receivables.void_receipt(receipt.id, "录错客户", "staff:9")

    assert voided.voided_at is not None and local_date(voided.voided_at) == local_today()
    assert (voided.voided_by, voided.void_reason) == ("staff:9", "录错客户")
    assert voided.unapplied == D("0.00") and voided.amount == D("1000.00")  # kept, not deleted
    assert Receipt.select().count() == 1
    assert ReceiptAllocation.select().count() == 0
    assert Receivable.get_by_id(old.id).open_amount == D("900.00")
    position = receivables.account_position(world.customer.id)
    assert (position.receivable, position.balance) == (D("900.00"), D("0.00"))
    assert Customer.get_by_id(world.customer.id).ar_balance == D("900.00")
    assert position.available_credit == D("4100.00")
    # The statement keeps the receipt on its day, and the void on today as a line of its own.
    _, lines = receivables.statement(world.customer.id, days_ago(2), local_today())
    assert [(ln.kind, ln.ref, ln.amount, ln.balance) for ln in lines] == [
        ("receipt", receipt.number, D("-1000.00"), D("-100.00")),
        ("receipt_void", receipt.number, D("1000.00"), D("900.00")),
    ]
    assert lines[1].note == f"收款作废 {receipt.number}：录错客户"
    assert local_date(lines[1].at) == local_today()
    # Aging today sees the receivable open again.
    (row,) = receivables.ar_aging(local_today())
    assert row.total == D("900.00")


def test_a_voided_prepayment_no_longer_pays_shipments(world):
    receipt = receivables.record_receipt(world.customer.id, D("500.00"), "cash")
    receivables.void_receipt(receipt.id, "重复登记", "staff:9")
    receivable = ship_all(world, (world.tea, 10))  # 450.00
    assert Receivable.get_by_id(receivable.id).open_amount == D("450.00")
    assert credit.oldest_open(Receipt, world.customer.id) == []


def test_a_second_void_is_refused_and_changes_nothing(world):
    receipt = receivables.record_receipt(world.customer.id, D("300.00"), "bank")
    receivables.void_receipt(receipt.id, "录错", "staff:9")
    with pytest.raises(InvalidState) as refused:
        receivables.void_receipt(receipt.id, "再来一次", "staff:8")
    assert refused.value.status == 409
    assert refused.value.message == f"收款 {receipt.number} 已作废，不能再次作废"
    assert Receipt.get_by_id(receipt.id).void_reason == "录错"
    assert AccountEntry.select().where(AccountEntry.kind == "receipt_void").count() == 1
    assert Customer.get_by_id(world.customer.id).ar_balance == D("0.00")


def test_wechat_pay_receipts_and_return_credits_are_not_voided(world):
    paid = receivables.record_receipt(
        world.customer.id, D("80.00"), "wechat_pay", "4200001", recorded_by="wechatpay"
    )
    credit_note = receivables.record_receipt(
        world.customer.id, D("20.00"), "return", "RT1", entry_kind="return", note="退货 RT1"
    )
    with pytest.raises(InvalidState) as refused:
        receivables.void_receipt(paid.id, "误收", "staff:9")
    assert refused.value.status == 409 and "请在“微信收款”中退款" in refused.value.message
    with pytest.raises(InvalidState):
        receivables.void_receipt(credit_note.id, "误收", "staff:9")
    assert Receipt.select().where(Receipt.voided_at.is_null(False)).count() == 0
    assert Customer.get_by_id(world.customer.id).ar_balance == D("-100.00")


def test_a_void_needs_a_reason_and_a_receipt(world):
    receipt = receivables.record_receipt(world.customer.id, D("30.00"), "bank")
    with pytest.raises(ValidationFailed):
        receivables.void_receipt(receipt.id, "  ", "staff:9")
    with pytest.raises(NotFound):
        receivables.void_receipt(999999, "录错", "staff:9")
    assert Receipt.get_by_id(receipt.id).voided_at is None


def test_a_void_that_would_spend_a_prepaid_balance_an_order_holds_is_refused(world):
    prepaid = make_customer(world.branch, world.warehouse, method="prepaid", level=3)
    receipt = receivables.record_receipt(prepaid.id, D("500.00"), "bank")
    orders.approve_order(place(prepaid, (world.tea, 10)).id, "staff:1")  # holds 450.00
    with pytest.raises(CreditExceeded) as refused:
        receivables.void_receipt(receipt.id, "录错", "staff:9")
    assert "不足以作废 ¥500.00" in refused.value.message
    receipt = Receipt.get_by_id(receipt.id)
    assert receipt.voided_at is None and receipt.unapplied == D("500.00")
    assert AccountEntry.select().where(AccountEntry.kind == "receipt_void").count() == 0
