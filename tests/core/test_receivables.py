"""Receipts applied FIFO, prepayments, statement with running balance, AR aging as of any date."""

import datetime as dt
from decimal import Decimal

import pytest

from app.core import orders, receivables
from app.core.models import AccountEntry, Receipt, ReceiptAllocation, Receivable, Shipment
from app.db import db
from app.errors import NotFound, ValidationFailed
from app.timeutil import local_today
from devkit.factories import place

D = Decimal


def ship_all(world, *lines, days_ago=0):
    """Approve and fully ship an order; optionally as if it had shipped days ago."""
    order = place(world.customer, *lines)
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


def test_receipt_pays_the_oldest_receivables_first(world):
    old = ship_all(world, (world.oil, 5), days_ago=50)  # 900.00
    new = ship_all(world, (world.tea, 10))  # 450.00
    receipt = receivables.record_receipt(world.customer.id, D("1000.00"), "bank", "网银 0001")
    assert Receivable.get_by_id(old.id).open_amount == D("0.00")
    assert Receivable.get_by_id(new.id).open_amount == D("350.00")
    assert receipt.unapplied == D("0.00")
    assert receipt.number.startswith("RC")
    allocations = ReceiptAllocation.select().order_by(ReceiptAllocation.id)
    assert [(a.receivable_id, a.amount) for a in allocations] == [
        (old.id, D("900.00")),
        (new.id, D("100.00")),
    ]


def test_overpayment_stays_as_prepayment_and_pays_the_next_shipment(world):
    receivables.record_receipt(world.customer.id, D("1000.00"), "bank")
    position = receivables.account_position(world.customer.id)
    assert position.balance == D("1000.00") and position.receivable == D("0.00")
    receivable = ship_all(world, (world.tea, 10))  # 450.00
    assert Receivable.get_by_id(receivable.id).open_amount == D("0.00")
    assert Receipt.get().unapplied == D("550.00")
    assert receivables.account_position(world.customer.id).available_credit == D("5550.00")


def test_receipt_must_be_positive_and_for_a_known_customer(world):
    with pytest.raises(ValidationFailed):
        receivables.record_receipt(world.customer.id, D("0"), "bank")
    with pytest.raises(NotFound):
        receivables.record_receipt(999999, D("10"), "bank")


def test_statement_has_opening_balance_and_running_balance(world):
    ship_all(world, (world.oil, 5), days_ago=40)  # 900.00
    ship_all(world, (world.tea, 10))  # 450.00
    receivables.record_receipt(world.customer.id, D("300.00"), "cash", "现金")
    today = local_today()
    opening, lines = receivables.statement(world.customer.id, today - dt.timedelta(days=10), today)
    assert opening == D("900.00")
    assert [(ln.kind, ln.amount, ln.balance) for ln in lines] == [
        ("shipment", D("450.00"), D("1350.00")),
        ("receipt", D("-300.00"), D("1050.00")),
    ]


def test_aging_buckets_by_days_since_shipping(world):
    ship_all(world, (world.tea, 2), days_ago=95)  # 90.00 → 90+
    ship_all(world, (world.tea, 4), days_ago=75)  # 180.00 → 61-90
    ship_all(world, (world.tea, 6), days_ago=45)  # 270.00 → 31-60
    ship_all(world, (world.tea, 8))  # 360.00 → 0-30
    receivables.record_receipt(world.customer.id, D("100.00"), "bank")  # pays 90+ and 10 of 61-90
    (row,) = receivables.ar_aging(local_today())
    assert row.buckets == {
        "0-30": D("360.00"),
        "31-60": D("270.00"),
        "61-90": D("170.00"),
        "90+": D("0.00"),
    }
    assert row.total == D("800.00")


def test_aging_as_of_an_earlier_date_ignores_later_receipts_and_shipments(world):
    ship_all(world, (world.tea, 2), days_ago=20)  # 90.00
    ship_all(world, (world.tea, 4))  # 180.00, today
    receivables.record_receipt(world.customer.id, D("90.00"), "bank")  # today
    (row,) = receivables.ar_aging(local_today() - dt.timedelta(days=5))
    assert row.total == D("90.00")
    assert row.buckets["0-30"] == D("90.00")


def test_aging_filters_by_branch(world):
    ship_all(world, (world.tea, 2))
    assert receivables.ar_aging(local_today(), branch_id=world.branch.id)
    assert receivables.ar_aging(local_today(), branch_id=world.branch.id + 1000) == []
