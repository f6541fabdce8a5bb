"""The demo company tells one story in its dates: every shipped demo order, as staff see it in the
console at 1366 px, was placed, then approved, then shipped, and its number carries the day it was
placed."""

from __future__ import annotations

import datetime as dt
import re

from app.core.models import Order
from devkit.factories import make_staff


def test_demo_orders_are_placed_before_they_are_shipped(app, desk):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    admin = desk(make_staff("admin", username="demo-viewer").username)
    shipped = Order.select().where(Order.status == "shipped").order_by(Order.id)
    assert shipped.count() >= 4
    for order in shipped:
        admin.go(f"/admin/orders/{order.id}")
        head = admin.page.locator("hgroup").inner_text()
        placed = dt.datetime.strptime(re.search(r"下单 (\S+ \S+)", head).group(1), "%Y-%m-%d %H:%M")
        shipment = admin.page.locator("h3:has-text('发货记录') + table tbody tr").first
        shipped_at = dt.datetime.strptime(
            shipment.locator("td").nth(1).inner_text(), "%Y-%m-%d %H:%M"
        )
        assert placed <= shipped_at, (order.number, placed, shipped_at)
        assert f"SO{placed:%Y%m%d}" in head  # the number carries the day it was placed
        assert shipment.locator("td").first.inner_text().startswith(f"SH{shipped_at:%Y%m%d}")
        times = [
            dt.datetime.strptime(t, "%Y-%m-%d %H:%M")
            for t in re.findall(
                r"\d{4}-\d\d-\d\d \d\d:\d\d", admin.page.locator(".timeline").first.inner_text()
            )
        ]
        assert times == sorted(times) and times[0] == placed and times[-1] == shipped_at
    admin.shot("demo-shipped-order")
    assert admin.errors == []
