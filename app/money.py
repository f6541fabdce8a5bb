"""Money helpers, pure: Decimal with 2 places, ROUND_HALF_UP (invariant 5), and integer fen."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value) -> Decimal:
    """Quantize to 2 places, ROUND_HALF_UP: the only rounding money ever gets (invariant 5)."""
    if isinstance(value, float):
        # A float has already lost precision; go through its shortest repr, never its binary value.
        value = repr(value)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_fen(value) -> int:
    return int(money(value) * 100)


def money_from_fen(value) -> Decimal:
    """A SUM() over a MoneyField comes back in raw fen (int, or Decimal on PostgreSQL)."""
    return (Decimal(int(value or 0)) / 100).quantize(CENT)
