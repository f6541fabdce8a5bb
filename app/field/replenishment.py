"""Replenishment suggestions per customer and product from the dealer's reported stock and sales.

Reports from the dealer and from reps feed the same data. Settings are per customer, else the
global row (customer NULL), else the defaults below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from app.core.models import Customer, Product
from app.db import transaction
from app.errors import NotFound, ValidationFailed
from app.field import rules
from app.field.models import ReplenishmentSetting, StockSalesLine, StockSalesReport
from app.field.rules import METHOD_LABELS
from app.mall import cart
from app.timeutil import local_today


@dataclass(frozen=True)
class Settings:
    method: str = "turnover"
    window_days: int = 30
    turnover_days: int = 14
    lead_days: int = 3


@dataclass(frozen=True)
class Suggestion:
    product: Product
    qty: int
    stock_qty: int
    sold_since_last: int
    sales_in_window: int
    avg_daily_sales: Decimal
    method: str


def settings_for(customer_id: int) -> Settings:
    rows = {
        r.customer_id: r
        for r in ReplenishmentSetting.select().where(
            (ReplenishmentSetting.customer == customer_id) | ReplenishmentSetting.customer.is_null()
        )
    }
    row = rows.get(customer_id) or rows.get(None)
    if row is None:
        return Settings()
    return Settings(row.method, row.window_days, row.turnover_days, row.lead_days)


def save_settings(customer_id: int | None, **values) -> ReplenishmentSetting:
    """Set the method and parameters for one customer, or globally (customer_id None)."""
    if values.get("method") not in rules.METHODS:
        raise ValidationFailed("补货方式无效", method=[f"须为 {', '.join(rules.METHODS)} 之一"])
    with transaction():
        if (
            customer_id is not None
            and not Customer.select().where(Customer.id == customer_id).exists()
        ):
            raise NotFound("客户不存在", customer_id=customer_id)
        row = ReplenishmentSetting.get_or_none(
            ReplenishmentSetting.customer.is_null()
            if customer_id is None
            else ReplenishmentSetting.customer == customer_id
        )
        if row is None:
            return ReplenishmentSetting.create(customer=customer_id, **values)
        for key, value in values.items():
            setattr(row, key, value)
        row.save()
        return row


def suggestions(
    customer_id: int, today: dt.date | None = None
) -> tuple[Settings, list[Suggestion]]:
    """What to order now, per product the dealer has reported, by the customer's method.

    Never negative; rounded up to the product's order multiple (and its minimum when positive).
    """
    today = today or local_today()
    s = settings_for(customer_id)
    window_start = today - dt.timedelta(days=s.window_days)
    lines = (
        StockSalesLine.select(StockSalesLine, StockSalesReport)
        .join(StockSalesReport)
        .where((StockSalesReport.customer == customer_id) & (StockSalesReport.period_end <= today))
        .order_by(StockSalesReport.period_end.desc(), StockSalesReport.id.desc())
    )
    latest: dict[int, StockSalesLine] = {}
    window_sales: dict[int, int] = {}
    for line in lines:
        latest.setdefault(line.product_id, line)
        if line.report.period_end > window_start:
            window_sales[line.product_id] = window_sales.get(line.product_id, 0) + line.sales_qty
    products = {
        p.id: p for p in Product.select().where((Product.id << list(latest)) & Product.active)
    }
    result = []
    for product_id, line in latest.items():
        product = products.get(product_id)
        if product is None:
            continue
        sold = window_sales.get(product_id, 0)
        if s.method == "sell_one":
            qty = rules.sell_one(line.sales_qty, product.step)
        elif s.method == "stock_gap":
            qty = rules.stock_gap(
                sold, s.window_days, s.turnover_days, line.stock_qty, product.step
            )
        else:
            qty = rules.turnover(
                sold, s.window_days, s.turnover_days, s.lead_days, line.stock_qty, product.step
            )
        if qty > 0:
            qty = cart.orderable_qty(qty, product.min_qty, product.step)
        result.append(
            Suggestion(
                product=product,
                qty=qty,
                stock_qty=line.stock_qty,
                sold_since_last=line.sales_qty,
                sales_in_window=sold,
                avg_daily_sales=rules.average_daily_sales(sold, s.window_days).quantize(
                    Decimal("0.01")
                ),
                method=s.method,
            )
        )
    result.sort(key=lambda sg: (-sg.qty, sg.product.id))
    return s, result


def fill_cart(user_id: int, customer_id: int, *, replace: bool = False) -> int:
    """Put every positive suggestion for the customer in a WeChat user's cart (a dealer's own, or
    a rep's cart for the store being visited); `replace` empties the cart first. Returns the
    number of products put in."""
    _, items = suggestions(customer_id)
    with transaction():
        if replace:
            cart.clear(user_id)
        wanted = [item for item in items if item.qty > 0]
        for item in wanted:
            cart.set_item(user_id, item.product.id, item.qty)
        return len(wanted)


def suggestions_view(customer_id: int) -> dict:
    """Suggestions with the settings that produced them, as every surface shows them."""
    settings, items = suggestions(customer_id)
    return {
        "method": settings.method,
        "method_label": METHOD_LABELS[settings.method],
        "window_days": settings.window_days,
        "turnover_days": settings.turnover_days,
        "lead_days": settings.lead_days,
        "items": items,
    }
