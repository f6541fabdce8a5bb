"""Invariants 1, 2 and 5 under concurrency: many writers at once on the same hot rows.

Each worker is a thread with its own database connection (SQLite file in WAL, or PostgreSQL when
TEST_DATABASE_URL names one): the guarded UPDATEs, not Python, must keep the numbers right.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from peewee import fn

from app.core import orders, receivables, stock
from app.core.models import (
    AccountEntry,
    Customer,
    HoldMovement,
    Order,
    OrderLine,
    Receipt,
    Receivable,
    Stock,
    StockMovement,
)
from app.db import db
from app.errors import AppError, CreditExceeded, InsufficientStock
from app.money import money_from_fen
from devkit.factories import (
    make_branch,
    make_customer,
    make_product,
    make_warehouse,
    place,
    put_stock,
)
from devkit.testing.inventory import assert_ledger_explains_every_row

WORKERS = 32
D = Decimal


def run_concurrently(calls):
    """Run every call at once (released together by a barrier); return ('ok'|AppError, value)."""
    barrier = threading.Barrier(min(len(calls), WORKERS))

    def worker(indexed_call):
        index, call = indexed_call
        if index < barrier.parties:  # the first wave starts together; the rest follow as slots free
            barrier.wait(timeout=30)
        try:
            return "ok", call()
        except AppError as exc:
            return type(exc).__name__, exc
        finally:
            if not db.is_closed():
                db.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(worker, enumerate(calls)))


def assert_stock_invariants():
    for row in Stock.select():
        assert 0 <= row.reserved <= row.on_hand, (row.product_id, row.on_hand, row.reserved)
        on_hand, reserved = (
            StockMovement.select(
                fn.SUM(StockMovement.on_hand_delta), fn.SUM(StockMovement.reserved_delta)
            )
            .where(
                (StockMovement.warehouse == row.warehouse_id)
                & (StockMovement.product == row.product_id)
            )
            .tuples()
            .get()
        )
        assert (int(on_hand or 0), int(reserved or 0)) == (row.on_hand, row.reserved)
        open_reserved = (
            OrderLine.select(fn.SUM(OrderLine.reserved_qty))
            .join(Order)
            .where((OrderLine.product == row.product_id) & (Order.warehouse == row.warehouse_id))
            .scalar()
        )
        assert int(open_reserved or 0) == row.reserved
    assert_ledger_explains_every_row()  # invariant 9: on hand and value are their movements'


def assert_credit_invariants(customer_id):
    customer = Customer.get_by_id(customer_id)
    overridden = HoldMovement.select().where(HoldMovement.override_by.is_null(False)).exists()
    if customer.settlement_method == "credit" and not overridden:
        assert customer.ar_balance + customer.held <= customer.credit_limit
    held = HoldMovement.select(fn.SUM(HoldMovement.amount)).where(
        HoldMovement.customer == customer_id
    )
    assert money_from_fen(held.scalar()) == customer.held
    open_orders = Order.select(fn.SUM(Order.held_amount)).where(Order.customer == customer_id)
    assert money_from_fen(open_orders.scalar()) == customer.held
    ledger = AccountEntry.select(fn.SUM(AccountEntry.amount)).where(
        AccountEntry.customer == customer_id
    )
    assert money_from_fen(ledger.scalar()) == customer.ar_balance
    open_receivables = Receivable.select(fn.SUM(Receivable.open_amount)).where(
        Receivable.customer == customer_id
    )
    unapplied = Receipt.select(fn.SUM(Receipt.unapplied)).where(Receipt.customer == customer_id)
    assert (
        money_from_fen(open_receivables.scalar()) - money_from_fen(unapplied.scalar())
        == customer.ar_balance
    )


def setup_hot_products(on_hand: int, limit: str):
    branch = make_branch()
    warehouse = make_warehouse(branch)
    hot = [make_product("10.00", name=f"爆款{i}") for i in range(3)]
    for product in hot:
        put_stock(warehouse, product, on_hand)
    customer = make_customer(branch, warehouse, limit=limit)
    return warehouse, hot, customer


def test_concurrent_approvals_never_oversell_hot_products(app):
    _, hot, customer = setup_hot_products(on_hand=20, limit="1000000")
    pending = [place(customer, (hot[0], 1), (hot[1 + i % 2], 1)) for i in range(48)]
    results = run_concurrently([lambda o=o: orders.approve_order(o.id, "staff:1") for o in pending])
    outcomes = [r[0] for r in results]
    # hot[0] is on every order, 20 in stock: exactly 20 approvals can win.
    assert outcomes.count("ok") == 20
    assert set(outcomes) == {"ok", "InsufficientStock"}
    assert Stock.get(Stock.product == hot[0].id).reserved == 20
    assert_stock_invariants()
    assert_credit_invariants(customer.id)


def test_concurrent_approvals_never_exceed_the_credit_limit(app):
    _, hot, customer = setup_hot_products(on_hand=10000, limit="1234.00")
    # Every order is worth 100.00: 12 fit under 1234.00, the 13th would not.
    pending = [place(customer, (hot[i % 3], 10)) for i in range(40)]
    results = run_concurrently([lambda o=o: orders.approve_order(o.id, "staff:1") for o in pending])
    outcomes = [r[0] for r in results]
    assert outcomes.count("ok") == 12
    assert set(outcomes) == {"ok", "CreditExceeded"}
    assert Customer.get_by_id(customer.id).held == D("1200.00")
    assert_stock_invariants()
    assert_credit_invariants(customer.id)


def test_mixed_workload_keeps_every_ledger_equal_to_its_balance(app):
    """Approvals, cancels, shipments, receipts and stock counts, all at once, for one customer."""
    warehouse, hot, customer = setup_hot_products(on_hand=60, limit="3000.00")
    rng = random.Random(7)
    approved = []
    for _ in range(8):
        order = place(customer, (hot[0], 5), (hot[1], 3))
        approved.append(orders.approve_order(order.id, "staff:1"))
    pending = [place(customer, (hot[rng.randrange(3)], rng.choice([5, 10, 20]))) for _ in range(20)]

    calls = []
    for order in pending:
        calls.append(lambda o=order: orders.approve_order(o.id, "staff:1"))
    for order in approved[:4]:
        lines = [(ln.id, 2) for ln in order.lines]
        calls.append(lambda o=order, ls=lines: orders.ship_order(o.id, ls, "顺丰", "SF", "wh"))
    for order in approved[4:6]:
        calls.append(lambda o=order: orders.cancel_order(o.id, "dealer:1"))
        calls.append(lambda o=order: orders.cancel_order(o.id, "dealer:2"))  # races itself
    for amount in ("50.00", "75.50", "120.25"):
        calls.append(lambda a=amount: receivables.record_receipt(customer.id, D(a), "bank"))
    for product in hot:
        calls.append(lambda p=product: stock.adjust(warehouse.id, p.id, -5, "报损"))
    rng.shuffle(calls)
    assert len(calls) >= WORKERS

    results = run_concurrently(calls)
    outcomes = [r[0] for r in results]
    assert set(outcomes) <= {"ok", "InsufficientStock", "CreditExceeded", "InvalidState"}
    assert outcomes.count("InvalidState") == 2  # each double cancel: exactly one wins
    assert_stock_invariants()
    assert_credit_invariants(customer.id)


def test_errors_from_contention_are_the_documented_ones(app):
    _, hot, customer = setup_hot_products(on_hand=1, limit="10.00")
    a = place(customer, (hot[0], 1))
    b = place(customer, (hot[0], 1))
    results = run_concurrently(
        [lambda: orders.approve_order(a.id, "staff:1"), lambda: orders.approve_order(b.id, "s:2")]
    )
    errors = [r[1] for r in results if r[0] != "ok"]
    assert len(errors) == 1
    assert isinstance(errors[0], InsufficientStock | CreditExceeded)
    assert errors[0].code in ("insufficient_stock", "credit_exceeded")


def test_voids_racing_each_other_and_shipments_take_a_receipt_back_once(app):
    """作废: the same receipts voided twice at once, while shipments apply prepayments: each
    receipt is taken back exactly once, whether a shipment took its money first or not."""
    _, hot, customer = setup_hot_products(on_hand=100, limit="10000.00")
    receipts = [receivables.record_receipt(customer.id, D("300.00"), "bank") for _ in range(4)]
    approved = [orders.approve_order(place(customer, (hot[0], 10)).id, "s:1") for _ in range(4)]
    calls = []
    for receipt in receipts:
        for clerk in ("staff:1", "staff:2"):
            calls.append(lambda r=receipt, c=clerk: receivables.void_receipt(r.id, "录错", c))
    for order in approved:  # 100.00 each, paid from whichever prepayment is still there
        lines = [(ln.id, ln.qty) for ln in order.lines]
        calls.append(lambda o=order, ls=lines: orders.ship_order(o.id, ls, "顺丰", "SF", "wh"))
    random.Random(11).shuffle(calls)

    outcomes = [r[0] for r in run_concurrently(calls)]

    assert outcomes.count("InvalidState") == 4  # each receipt's second void
    assert outcomes.count("ok") == 8
    voids = AccountEntry.select().where(AccountEntry.kind == "receipt_void")
    assert sorted(e.ref for e in voids) == sorted(r.number for r in receipts)
    assert all(e.amount == D("300.00") for e in voids)
    for receipt in Receipt.select():
        assert receipt.voided_at is not None and receipt.unapplied == D("0.00")
        assert not receipt.allocations.exists()
    customer = Customer.get_by_id(customer.id)
    assert customer.ar_balance == D("400.00")  # four shipments, nothing paid
    assert money_from_fen(Receivable.select(fn.SUM(Receivable.open_amount)).scalar()) == D("400.00")
    assert_credit_invariants(customer.id)
