"""The H5 pages' blueprint: templates and static files, complete when imported."""

from __future__ import annotations

from pathlib import Path

from app.auth.permissions import ROLE_LABELS
from app.core import units
from app.mall.cart import orderable_qty
from app.pages import page_blueprint

HERE = Path(__file__).resolve().parent

bp = page_blueprint("h5", __name__, "/h5", HERE)

STOCK_LABELS = {"in_stock": "有货", "low": "库存紧张", "out": "缺货"}


@bp.app_template_global("first_qty")
def first_qty(min_qty: int, step: int) -> int:
    """The smallest quantity that meets both the minimum and the order multiple."""
    return orderable_qty(min_qty, min_qty, step)


# Units (箱 = 12 件): a product's price in each of its units, the units a picker offers, and an
# order line's quantity as ordered ("2 箱（24 件）").
bp.add_app_template_global(units.price_words, "unit_prices")
bp.add_app_template_global(units.choices, "unit_choices")
bp.add_app_template_global(units.stepping, "unit_stepping")
bp.add_app_template_filter(units.line_words, "in_units")


@bp.app_template_filter("stock_label")
def stock_label(status: str) -> str:
    return STOCK_LABELS.get(status, status)


@bp.app_template_filter("role_label")
def role_label(role: str | None) -> str:
    """A staff role as people call it (a branch manager is 分公司经理, never 业务员)."""
    return ROLE_LABELS.get(role, "员工")
