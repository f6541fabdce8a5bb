"""Moving-average costing, pure: what a stock movement is worth and what the average becomes.

A stock row keeps its `value` exactly (4 places) and its `unit_cost` as value / on_hand. Goods
coming in add their own value (qty × the cost they come at); goods going out take their share of
the row's value, value × qty / on_hand, so the last unit out takes exactly what is left and the
row's value is always the sum of its movements' values (invariant 9), never negative. The average
is recomputed from value and on hand after every movement; with nothing on hand it keeps the last
average, at which stock found later (a count, an adjustment) comes in.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.money import COST_PLACE, cost

ZERO = Decimal("0.0000")


def average(value: Decimal, on_hand: int, last: Decimal) -> Decimal:
    """The moving-average unit cost: value / on_hand to 4 places, or `last` with nothing on hand."""
    if on_hand <= 0:
        return last
    return (value / on_hand).quantize(COST_PLACE, rounding=ROUND_HALF_UP)


def share(value: Decimal, on_hand: int, qty: int) -> Decimal:
    """What `qty` of `on_hand` units worth `value` take with them: all of it for the last ones."""
    if qty >= on_hand:
        return value
    return cost(value * qty / on_hand)


@dataclass(frozen=True)
class Row:
    """A stock row as costing sees it."""

    on_hand: int
    value: Decimal
    unit_cost: Decimal


@dataclass(frozen=True)
class Moved:
    """One on-hand movement at cost: `qty` signed, `value` signed (exact), `unit_cost` the cost
    per unit it moved at (4 places), and the row after it."""

    qty: int
    value: Decimal
    unit_cost: Decimal
    on_hand_after: int
    value_after: Decimal
    unit_cost_after: Decimal


def move(row: Row, qty: int, value: Decimal | None = None) -> Moved:
    """Move `qty` (signed) on hand. Goods coming in bring `value` when they have a cost of their own
    (a receipt's, a transfer's, the cost a return left with), else the row's average; goods going
    out take their share of the row's value."""
    if qty > 0:
        moved = cost(value) if value is not None else cost(row.unit_cost * qty)
    elif qty < 0:
        moved = -share(row.value, row.on_hand, -qty)
    else:
        moved = ZERO
    on_hand = row.on_hand + qty
    value_after = row.value + moved
    return Moved(
        qty=qty,
        value=moved,
        unit_cost=cost(moved / qty) if qty else row.unit_cost,
        on_hand_after=on_hand,
        value_after=value_after,
        unit_cost_after=average(value_after, on_hand, row.unit_cost),
    )


def received_value(unit_cost: Decimal, qty: int) -> Decimal:
    """Goods received at a unit cost (4 places): exactly qty × unit_cost."""
    return cost(cost(unit_cost) * qty)


def part_of(value: Decimal, qty: int, part: int) -> Decimal:
    """The value of `part` of `qty` units worth `value` together (what a partial receipt of a
    transfer, or a partial return, brings): all of it for the last part."""
    return share(value, qty, part)
