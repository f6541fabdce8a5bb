"""Profit report benchmark: GET /reports/profit's service on 100,000 orders (the sales report
benchmark's data, with costs on every shipment and return and customer fees added), as a ratio to
the plain sales report on the same data and period, measured A-B-B-A in one run: the sales
report (A), the profit report (B) twice, the sales report again, each the median of `--repeat`
calls, so that a drift of the machine during the run weighs on both alike.

    .venv/bin/python -m bench.profit [--orders 100000] [--repeat 7]
        [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import datetime as dt
import random
import time

from app.backoffice import reports
from app.core.models import Customer, Order, Product
from app.db import db
from app.inventory.models import CustomerFee
from app.timeutil import local_today
from bench.common import percentile
from bench.reports import insert, parse_options, timed, year_of_orders

BRANDS = ("茗香", "金龙", "康师", "统一", "农夫", "百岁", "海天", "李锦", "鲁花", "福临")
FEES = 5000
GROUPS = ("branch", "rep", "customer", "brand")


def add_costs_and_fees(rng: random.Random) -> None:
    """Every product a brand; every shipped line a cost of about 60% of its amount (cost units
    are 0.0001 yuan, amounts fen); returns back at that cost; fees over the year."""
    for i, product in enumerate(Product.select(Product.id)):
        Product.update(brand=BRANDS[i % len(BRANDS)]).where(Product.id == product.id).execute()
    db.execute_sql("UPDATE shipment_line SET cost = amount * 60")
    db.execute_sql(
        "UPDATE shipment SET cost = (SELECT SUM(l.cost) FROM shipment_line l"
        " WHERE l.shipment_id = shipment.id)"
    )
    db.execute_sql(
        "UPDATE stock_movement SET value = (SELECT l.price * 60 FROM return_request r"
        " JOIN return_line l ON l.request_id = r.id WHERE r.number = stock_movement.ref"
        " AND l.product_id = stock_movement.product_id) WHERE kind = 'return'"
    )
    customers = [c.id for c in Customer.select(Customer.id)]
    today = local_today()
    insert(
        CustomerFee,
        [
            {
                "customer": rng.choice(customers),
                "kind": rng.choice(("listing", "promotion", "rebate", "display")),
                "amount": rng.randint(100, 5000),
                "date": today - dt.timedelta(days=rng.randrange(365)),
                "brand": rng.choice(("", *BRANDS)),
                "created_at": dt.datetime(2026, 1, 1),
            }
            for _ in range(FEES)
        ],
    )
    for table in ("shipment", "shipment_line", "stock_movement", "customer_fee", "product"):
        db.execute_sql(f"ANALYZE {table}")


def main() -> None:
    args = parse_options(__doc__)
    with year_of_orders(args, seed=25) as (admin, rng, started):
        add_costs_and_fees(rng)
        print(
            f"generated {Order.select().count()} orders with costs and {FEES} customer fees"
            f" in {time.perf_counter() - started:.1f} s"
        )
        today = local_today()
        first = today - dt.timedelta(days=365)
        worst = 0.0
        for group in GROUPS:

            def sales(g=group):
                return reports.sales_report(admin, first, today, g)

            def profit(g=group):
                return reports.profit_report(admin, first, today, g)

            a1 = percentile(timed(sales, args.repeat), 50)
            b1 = percentile(timed(profit, args.repeat), 50)
            b2 = percentile(timed(profit, args.repeat), 50)
            a2 = percentile(timed(sales, args.repeat), 50)
            ratio = (b1 + b2) / (a1 + a2)
            worst = max(worst, b1, b2)
            print(
                f"by {group:<9} sales p50 {a1 * 1000:>7.1f} / {a2 * 1000:>7.1f} ms"
                f"  profit p50 {b1 * 1000:>7.1f} / {b2 * 1000:>7.1f} ms"
                f"  profit / sales {ratio:.2f}x"
            )
        print(f"slowest profit report p50 {worst * 1000:.1f} ms on {args.orders} orders (a year)")


if __name__ == "__main__":
    main()
