"""Invariants 1 and 9 under concurrency, with real concurrent clients against gunicorn (several
worker processes; PostgreSQL when TEST_DATABASE_URL names one): receipts, transfers both ways,
transfer receipts, counts, shipments and returns all racing on the same stock rows keep
0 ≤ reserved ≤ on_hand, on_hand = Σ movements and value = Σ movement values (to the fen, and
exactly), and in-transit quantities and values equal what the transfers say is on its way."""

import random
from decimal import Decimal

import pytest
import requests
from peewee import fn

from app.core import orders, returns
from app.core.models import Stock, StockMovement
from app.db import utcnow
from app.inventory import services as inventory
from app.inventory.models import Transfer, TransferLine
from app.money import cost_from_units
from devkit.testing.clients import ADMIN
from devkit.testing.concurrency import all_at_once
from devkit.testing.inventory import assert_ledger_explains_every_row

pytestmark = pytest.mark.slow
D = Decimal


def post(url, path, headers, body):
    def call():
        r = requests.post(f"{url}{ADMIN}{path}", json=body, headers=headers, timeout=60)
        return r.status_code, r.json()

    return call


def assert_in_transit_matches_the_transfers():
    open_lines = (
        TransferLine.select(
            Transfer.to_warehouse,
            TransferLine.product,
            fn.SUM(TransferLine.qty - TransferLine.received_qty),
            fn.SUM(TransferLine.value - TransferLine.received_value),
        )
        .join(Transfer)
        .where(Transfer.status << ["in_transit", "partially_received"])
        .group_by(Transfer.to_warehouse, TransferLine.product)
        .tuples()
    )
    on_the_way = {(w, p): (int(q), cost_from_units(v)) for w, p, q, v in open_lines}
    for row in Stock.select():
        qty, _ = on_the_way.get((row.warehouse_id, row.product_id), (0, D(0)))
        assert row.in_transit == qty, (row.warehouse_id, row.product_id)


def total_value() -> Decimal:
    """Value on hand everywhere plus value on its way: only receipts, shipments and counts
    change it (transfers move it, never make or lose it)."""
    on_hand = sum((s.value for s in Stock.select()), D(0))
    moving = sum(
        (
            ln.value - ln.received_value
            for ln in TransferLine.select()
            .join(Transfer)
            .where(Transfer.status << ["in_transit", "partially_received"])
        ),
        D(0),
    )
    return on_hand + moving


def test_stock_documents_shipments_and_returns_racing_keep_every_ledger_exact(gunicorn, co):
    rng = random.Random(25)
    keeper, url = co.staff["wh"], gunicorn.url
    headers = co.headers("wh")
    for warehouse in (co.sh, co.gz):
        inventory.create_receipt(
            keeper,
            {
                "warehouse_id": warehouse.id,
                "reference": f"OPEN-{warehouse.id}",
                "lines": [{"product_id": co.oil.id, "qty": 190, "unit_cost": D("10.0000")}],
            },
        )
    # Orders approved (oil reserved in sh), to ship at once; shipped ones with returns to receive.
    to_ship = []
    for _ in range(6):
        order = co.order(co.east_customer, (co.oil, 5))
        orders.approve_order(order.id, "staff:1")
        to_ship.append(order)
    to_receive_back = []
    for _ in range(3):
        order = co.order(co.east_customer, (co.oil, 4))
        orders.approve_order(order.id, "staff:1")
        orders.ship_order(order.id, [(order.lines[0].id, 4)], "顺丰", "SF", "wh")
        ret = returns.request_return(
            co.east_customer.id, order.id, [(order.lines[0].id, 3)], "破损", "dealer"
        )
        returns.approve(ret.id, co.staff["cs"], "staff:cs")
        to_receive_back.append(ret)
    in_transit = [
        inventory.create_transfer(
            keeper,
            {
                "from_warehouse_id": co.sh.id,
                "to_warehouse_id": co.gz.id,
                "lines": [{"product_id": co.oil.id, "qty": 12}],
            },
        )
        for _ in range(3)
    ]
    started = utcnow()

    calls, received_in = [], D(0)
    for i in range(8):
        qty, cost = rng.randint(1, 30), D(rng.randint(50000, 150000)) / 10000
        received_in += qty * cost
        warehouse = (co.sh, co.gz)[i % 2]
        body = {
            "warehouse_id": warehouse.id,
            "reference": f"RACE-{i}",
            "lines": [{"product_id": co.oil.id, "qty": qty, "unit_cost": str(cost)}],
        }
        calls.append(post(url, "/stock/receipts", headers, body))
    for i in range(8):
        src, dst = (co.sh, co.gz) if i % 2 else (co.gz, co.sh)
        body = {
            "from_warehouse_id": src.id,
            "to_warehouse_id": dst.id,
            "lines": [{"product_id": co.oil.id, "qty": rng.randint(1, 25)}],
        }
        calls.append(post(url, "/stock/transfers", headers, body))
    for transfer in in_transit:
        for qty in (5, 7):  # partly, then the rest: both at once
            body = {"lines": [{"product_id": co.oil.id, "qty": qty}]}
            calls.append(post(url, f"/stock/transfers/{transfer.id}/receive", headers, body))
    for order in to_ship:
        body = {
            "lines": [{"order_line_id": order.lines[0].id, "qty": 5}],
            "carrier": "顺丰",
            "tracking_no": "SF",
        }
        calls.append(post(url, f"/orders/{order.id}/shipments", headers, body))
    for ret in to_receive_back:
        body = {"lines": [{"return_line_id": ret.lines[0].id, "qty": 3}]}
        calls.append(post(url, f"/returns/{ret.id}/receive", headers, body))
    for warehouse, counted in ((co.gz, 150), (co.sh, 40), (co.gz, 210)):
        body = {
            "warehouse_id": warehouse.id,
            "lines": [{"product_id": co.oil.id, "counted_qty": counted}],
        }
        calls.append(post(url, "/stock/counts", headers, body))
    rng.shuffle(calls)

    results = all_at_once(calls)
    statuses = [status for status, _ in results]
    assert set(statuses) <= {200, 201, 409}, [r for r in results if r[0] not in (200, 201, 409)]
    refused = {body["error"]["code"] for status, body in results if status == 409}
    assert refused <= {"insufficient_stock", "invalid_state"}, refused
    assert statuses.count(201) >= 8  # every receipt at least
    assert_ledger_explains_every_row()
    assert_in_transit_matches_the_transfers()
    # Transfers move value, never make or lose it: what is on hand and on its way is exactly what
    # receipts, shipments, returns, counts and adjustments brought in and took out.
    from_outside = StockMovement.select(fn.SUM(StockMovement.value)).where(
        ~(StockMovement.kind << ["transfer_out", "transfer_in"])
    )
    assert total_value() == cost_from_units(from_outside.scalar())
    racing_receipts = StockMovement.select(fn.SUM(StockMovement.value)).where(
        (StockMovement.kind == "receipt") & (StockMovement.created_at > started)
    )
    assert cost_from_units(racing_receipts.scalar()) == received_in
