"""Invariant 9, checked against the database: every stock row is explained by its ledger; and
the stock at cost and sales that margin and profit tests start from."""

from __future__ import annotations

from decimal import Decimal

from peewee import fn

from app.core import orders
from app.core.models import Product, Stock, StockMovement
from app.core.stock import ON_HAND_KINDS
from app.inventory import services as inventory
from app.money import cost_from_units

HALF_UNIT = Decimal("0.00005")


def assert_ledger_explains_every_row() -> None:
    """For every stock row: 0 ≤ reserved ≤ on_hand; on_hand and reserved equal the sums of its
    movements' deltas; its value equals the sum of their values exactly (so to the fen), each
    movement's value is its qty × the unit cost it records (that cost being the value per unit to
    4 places), reservations move no goods at no cost; nothing is negative."""
    sums = {
        (w, p): (int(q or 0), int(r or 0), cost_from_units(v))
        for w, p, q, r, v in StockMovement.select(
            StockMovement.warehouse,
            StockMovement.product,
            fn.SUM(StockMovement.on_hand_delta),
            fn.SUM(StockMovement.reserved_delta),
            fn.SUM(StockMovement.value),
        )
        .group_by(StockMovement.warehouse, StockMovement.product)
        .tuples()
    }
    for row in Stock.select():
        key = (row.warehouse_id, row.product_id)
        assert 0 <= row.reserved <= row.on_hand, (key, row.on_hand, row.reserved)
        assert row.in_transit >= 0 and row.value >= 0, (key, row.in_transit, row.value)
        on_hand, reserved, value = sums.get(key, (0, 0, Decimal("0")))
        assert (on_hand, reserved) == (row.on_hand, row.reserved), key
        assert value == row.value, (key, value, row.value)
    for m in StockMovement.select():
        if m.kind in ON_HAND_KINDS:
            assert abs(m.value - m.on_hand_delta * m.unit_cost) <= abs(m.on_hand_delta) * HALF_UNIT
        else:
            assert (m.on_hand_delta, m.value, m.on_hand_after) == (0, 0, None), m.kind


def sell(co, customer, product, qty, ship=None):
    """An approved order of `qty`, `ship` of it shipped."""
    order = co.order(customer, (product, qty))
    orders.approve_order(order.id, "staff:1")
    if ship:
        orders.ship_order(order.id, [(order.lines[0].id, ship)], "顺丰", "SF", "wh")
    return order


def stocked_at_cost(co):
    """Tea at cost 20 in both warehouses (1000 already there at 0 are counted out first), brand
    茗香; oil brand 金龙."""
    Product.update(brand="茗香").where(Product.id == co.tea.id).execute()
    Product.update(brand="金龙").where(Product.id == co.oil.id).execute()
    wh = co.staff["wh"]
    for warehouse in (co.sh, co.gz):
        inventory.create_count(
            wh,
            {"warehouse_id": warehouse.id, "lines": [{"product_id": co.tea.id, "counted_qty": 0}]},
        )
        inventory.create_receipt(
            wh,
            {
                "warehouse_id": warehouse.id,
                "reference": f"DN-{warehouse.id}",
                "lines": [{"product_id": co.tea.id, "qty": 500, "unit_cost": Decimal("20.0000")}],
            },
        )
