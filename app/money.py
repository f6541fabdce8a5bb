"""Money helpers, pure: Decimal with 2 places, ROUND_HALF_UP (invariant 5), and integer fen."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Unit costs and stock values carry 4 places (API.md: "12.3456"); stored as integers of 0.0001 yuan.
COST_PLACE = Decimal("0.0001")


def money(value) -> Decimal:
    """Quantize to 2 places, ROUND_HALF_UP: the only rounding money ever gets (invariant 5)."""
    if type(value) is Decimal:  # the common case, an order prices some fifty: no copy first
        return value.quantize(CENT, ROUND_HALF_UP)
    if isinstance(value, float):
        # A float has already lost precision; go through its shortest repr, never its binary value.
        value = repr(value)
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def written(value) -> str:
    """An amount as a person reads it: ¥3,348.00, -¥47.58 (the pages' `yuan` filter too)."""
    amount = money(value)
    return f"-¥{-amount:,.2f}" if amount < 0 else f"¥{abs(amount):,.2f}"  # abs: no ¥-0.00


def to_fen(value) -> int:
    return int(money(value) * 100)


def money_from_fen(value) -> Decimal:
    """A SUM() over a MoneyField comes back in raw fen (int, or Decimal on PostgreSQL)."""
    return (Decimal(int(value or 0)) / 100).quantize(CENT)


def cost(value) -> Decimal:
    """A unit cost or a stock value, quantized to 4 places, ROUND_HALF_UP."""
    if type(value) is Decimal:
        return value.quantize(COST_PLACE, ROUND_HALF_UP)
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(COST_PLACE, ROUND_HALF_UP)


def to_cost_units(value) -> int:
    """A cost as an integer of 0.0001 yuan: how the database keeps it, exactly."""
    return int(cost(value) * 10000)


def cost_from_units(value) -> Decimal:
    """A SUM() over a CostField comes back in raw units (int, or Decimal on PostgreSQL)."""
    return (Decimal(int(value or 0)) / 10000).quantize(COST_PLACE)
