"""Pure field rules: distance on the earth, and the three replenishment methods of the
distribution model. No I/O."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Decimal

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)

METHODS = ("sell_one", "stock_gap", "turnover")
METHOD_LABELS = {"sell_one": "销一补一", "stock_gap": "销存差", "turnover": "周转补货"}


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def within_radius(distance_m: float, radius_m: int) -> bool:
    """The boundary counts as inside: exactly `radius_m` away may check in."""
    return distance_m <= radius_m


def distance_text(metres: float) -> str:
    """A distance as a rep reads it: metres up to a kilometre (never "500 m away, beyond 500 m":
    rounded up), then kilometres to one place (172.3 公里, not 172348 米)."""
    if metres < 1000:
        return f"{math.ceil(metres)} 米"
    return f"{metres / 1000:.1f} 公里"


def visit_minutes(seconds: int) -> int:
    """How long a visit took, in whole minutes, as the phone and the console both say it: to the
    nearest minute, and a visit that happened took at least one."""
    return max(1, round(seconds / 60))


def round_up_to_step(qty: Decimal | int, step: int) -> int:
    """Never negative; a positive need rounds up to the order multiple."""
    qty = Decimal(qty)
    if qty <= 0:
        return 0
    units = (qty / step).to_integral_value(rounding=ROUND_CEILING)
    return int(units) * step


def sell_one(sold_since_last_report: int, step: int) -> int:
    """销一补一: replace exactly what was sold since the last report."""
    return round_up_to_step(sold_since_last_report, step)


def average_daily_sales(sales_in_window: int, window_days: int) -> Decimal:
    return Decimal(sales_in_window) / Decimal(window_days)


def stock_gap(
    sales_in_window: int, window_days: int, turnover_days: int, stock: int, step: int
) -> int:
    """销存差: average daily sales × turnover days − reported stock."""
    need = average_daily_sales(sales_in_window, window_days) * turnover_days - stock
    return round_up_to_step(need, step)


def turnover(
    sales_in_window: int,
    window_days: int,
    turnover_days: int,
    lead_days: int,
    stock: int,
    step: int,
) -> int:
    """周转补货: average daily sales × (turnover days + lead days) − reported stock."""
    need = average_daily_sales(sales_in_window, window_days) * (turnover_days + lead_days) - stock
    return round_up_to_step(need, step)
