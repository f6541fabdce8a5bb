"""The console's blueprint and its template filters, complete when imported (no set-up at register)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from app.core import units
from app.field.rules import distance_text, visit_minutes
from app.money import written
from app.pages import page_blueprint
from app.timeutil import to_local

HERE = Path(__file__).resolve().parent.parent

bp = page_blueprint("console", __name__, "/admin", HERE)


@bp.app_template_filter("local")
def local_time(value, fmt="%Y-%m-%d %H:%M"):
    """Stored UTC → the business time zone, as staff read times."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return to_local(value).strftime(fmt)
    return str(value)


@bp.app_template_filter("yuan")
def yuan(value):
    return "" if value is None else written(value)


@bp.app_template_filter("owed")
def owed(value):
    """A customer's balance as staff read it: what they owe (¥3,348.00), or below zero what they
    paid ahead, 预付 ¥23,646.38 (not "-¥23,646.38" under 应收)."""
    if value is None:
        return ""
    return f"预付 {written(-value)}" if value < 0 else written(value)


# An order line's quantity in the unit it was ordered in: "2 箱（24 件）".
bp.add_app_template_filter(units.line_words, "in_units")
bp.add_app_template_filter(units.dumped, "unit_rows")  # a product's named units, as set
# A unit picker's rows and the price in each unit ("¥12.00/件 · ¥144.00/箱").
bp.add_app_template_global(units.choices, "unit_choices")
bp.add_app_template_global(units.price_words, "unit_prices")

# A rep's distances and visit lengths, worded as the phone words them.
bp.add_app_template_filter(distance_text, "distance")
bp.add_app_template_filter(visit_minutes, "minutes")
