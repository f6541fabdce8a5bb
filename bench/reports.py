"""Sales report benchmark: generates a year of orders (100,000 by default) with their lines,
shipments, receipts and returns on PostgreSQL, then times every report the console shows.

For each grouping and period it prints p50/p99 over repeated calls of the report service (what the
API and the console page call), and its ratio to a floor measured in the same run, which no report
can beat: one bare aggregate over the period's orders (`SELECT count(*), sum(total)`), or for
products and categories over their lines joined to the orders. The target is a report under 300 ms
on 100,000 orders.

    .venv/bin/python -m bench.reports [--orders 100000] [--repeat 7]
        [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from contextlib import contextmanager

from app.auth.services import create_staff
from app.backoffice import reports
from app.core.catalog import create_category
from app.core.models import (
    Customer,
    Order,
    OrderLine,
    Receipt,
    ReturnLine,
    ReturnRequest,
    Shipment,
    ShipmentLine,
    StockMovement,
)
from app.db import db, utcnow
from app.timeutil import end_of_local_day_utc, local_today, start_of_local_day_utc
from bench.common import migrated_app, percentile
from devkit.factories import make_branch, make_customer, make_product, make_warehouse

BRANCHES, REPS_PER_BRANCH, CUSTOMERS, PRODUCTS, LINES_PER_ORDER = 8, 6, 2000, 200, 3
CHUNK = 5000
GROUPS = ("branch", "rep", "customer", "product", "category", "day")


def seed_master_data(rng: random.Random):
    branches = [make_branch(f"分公司{i}") for i in range(BRANCHES)]
    warehouses = [make_warehouse(b) for b in branches]
    reps = [
        create_staff(f"bench-rep-{b.id}-{i}", "correct-horse-1", "rep", branch_id=b.id)
        for b in branches
        for i in range(REPS_PER_BRANCH)
    ]
    categories = [create_category(f"分类{i}") for i in range(12)]
    products = [
        make_product(f"{rng.randint(20, 300)}.00", category_id=rng.choice(categories).id)
        for _ in range(PRODUCTS)
    ]
    customers = []
    for i in range(CUSTOMERS):
        k = i % BRANCHES
        customer = make_customer(branches[k], warehouses[k], limit="100000000")
        rep = reps[k * REPS_PER_BRANCH + rng.randrange(REPS_PER_BRANCH)]
        Customer.update(rep=rep.id).where(Customer.id == customer.id).execute()
        customers.append((customer.id, warehouses[k].id))
    return customers, [(p.id, p.list_price) for p in products]


def insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        model.insert_many(rows[start : start + CHUNK]).execute()


def generate(count: int, customers, products, rng: random.Random) -> None:
    """Orders spread over the last 365 days; 60% shipped in full a day later, a receipt for a
    third of those, a return of one unit on every fiftieth shipped order; the rest pending,
    approved, rejected or cancelled."""
    now = utcnow()
    first_id = (Order.select(Order.id).order_by(Order.id.desc()).scalar() or 0) + 1
    first_line = (OrderLine.select(OrderLine.id).order_by(OrderLine.id.desc()).scalar() or 0) + 1
    orders, lines, shipments, shipment_lines, receipts = [], [], [], [], []
    returns, return_lines, movements = [], [], []
    line_id = first_line
    for n in range(count):
        order_id = first_id + n
        customer_id, warehouse_id = rng.choice(customers)
        created = now - dt.timedelta(seconds=rng.randrange(365 * 86400))
        chosen = rng.sample(products, LINES_PER_ORDER)
        qtys = [rng.randint(1, 20) for _ in chosen]
        amounts = [price * q for (_, price), q in zip(chosen, qtys, strict=True)]
        roll = rng.random()
        status = (
            "completed"
            if roll < 0.6
            else "approved"
            if roll < 0.75
            else "pending_review"
            if roll < 0.9
            else "rejected"
            if roll < 0.95
            else "cancelled"
        )
        shipped = status == "completed"
        orders.append(
            {
                "id": order_id,
                "number": f"BR{order_id:09d}",
                "customer": customer_id,
                "warehouse": warehouse_id,
                "status": status,
                "total": sum(amounts),
                "created_at": created,
                "approved_at": created + dt.timedelta(hours=2) if roll < 0.75 else None,
                "updated_at": created,
            }
        )
        ids = []
        for (product_id, price), qty, amount in zip(chosen, qtys, amounts, strict=True):
            lines.append(
                {
                    "id": line_id,
                    "order": order_id,
                    "product": product_id,
                    "qty": qty,
                    "price": price,
                    "list_price": price,
                    "amount": amount,
                    "shipped_qty": qty if shipped else 0,
                    "returned_qty": 1 if shipped and n % 50 == 0 else 0,
                }
            )
            ids.append((line_id, product_id, price, qty, amount))
            line_id += 1
        if not shipped:
            continue
        shipped_at = created + dt.timedelta(days=1)
        shipments.append(
            {
                "id": order_id,
                "order": order_id,
                "number": f"SH{order_id:09d}",
                "carrier": "顺丰",
                "tracking_no": f"SF{order_id}",
                "amount": sum(amounts),
                "shipped_at": shipped_at,
            }
        )
        shipment_lines += [
            {"shipment": order_id, "order_line": i, "qty": q, "amount": a} for i, _, _, q, a in ids
        ]
        if n % 3 == 0:
            receipts.append(
                {
                    "customer": customer_id,
                    "number": f"RC{order_id:09d}",
                    "amount": sum(amounts),
                    "unapplied": sum(amounts),
                    "method": "bank",
                    "received_at": shipped_at + dt.timedelta(days=5),
                }
            )
        if n % 50 == 0:
            number = f"RT{order_id:09d}"
            returned_at = shipped_at + dt.timedelta(days=3)
            line, product_id, price = ids[0][0], ids[0][1], ids[0][2]
            returns.append(
                {
                    "id": order_id,
                    "number": number,
                    "order": order_id,
                    "customer": customer_id,
                    "status": "received",
                    "reason": "破损",
                    "amount": price,
                    "received_amount": price,
                    "created_at": returned_at,
                    "updated_at": returned_at,
                }
            )
            return_lines.append(
                {
                    "request": order_id,
                    "order_line": line,
                    "product": product_id,
                    "qty": 1,
                    "received_qty": 1,
                    "price": price,
                    "amount": price,
                }
            )
            movements.append(
                {
                    "warehouse": warehouse_id,
                    "product": product_id,
                    "kind": "return",
                    "on_hand_delta": 1,
                    "ref": number,
                    "created_at": returned_at,
                }
            )
    with db.atomic():
        for model, rows in (
            (Order, orders),
            (OrderLine, lines),
            (Shipment, shipments),
            (ShipmentLine, shipment_lines),
            (Receipt, receipts),
            (ReturnRequest, returns),
            (ReturnLine, return_lines),
            (StockMovement, movements),
        ):
            insert(model, rows)
    for table in ("sales_order", "sales_order_line", "shipment", "shipment_line", "receipt"):
        db.execute_sql(f"ANALYZE {table}")


def timed(call, repeat: int) -> list[float]:
    call()  # warm the plan and page caches once, as a console user's second view would be
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def parse_options(doc: str) -> argparse.Namespace:
    """--orders, --repeat and --database-url: this benchmark's and those on its data."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    return parser.parse_args()


@contextmanager
def year_of_orders(args: argparse.Namespace, seed: int):
    """The app on a scratch database, its context pushed, an admin, and `args.orders` orders of a
    year generated from random.Random(seed). Yields (admin, that generator to go on with, when the
    generation started)."""
    rng = random.Random(seed)
    with migrated_app(args.database_url) as (app, _), app.app_context():
        admin = create_staff("bench-admin", "correct-horse-1", "admin")
        started = time.perf_counter()
        customers, products = seed_master_data(rng)
        generate(args.orders, customers, products, rng)
        yield admin, rng, started


def main() -> None:
    args = parse_options(__doc__)
    with year_of_orders(args, seed=17) as (admin, _, started):
        print(
            f"generated {Order.select().count()} orders, {OrderLine.select().count()} lines, "
            f"{Shipment.select().count()} shipments, {Receipt.select().count()} receipts, "
            f"{ReturnRequest.select().count()} returns in {time.perf_counter() - started:.1f} s"
        )
        today = local_today()
        periods = {
            "month": (today.replace(day=1), today),
            "quarter": (today - dt.timedelta(days=90), today),
            "year": (today - dt.timedelta(days=365), today),
        }
        worst = 0.0
        for name, (first, last) in periods.items():
            start, end = start_of_local_day_utc(first), end_of_local_day_utc(last)

            def floor(start=start, end=end):
                db.execute_sql(
                    "SELECT count(*), sum(total) FROM sales_order"
                    " WHERE created_at >= %s AND created_at < %s",
                    (start, end),
                ).fetchall()

            def line_floor(start=start, end=end):
                db.execute_sql(
                    "SELECT sum(l.amount) FROM sales_order_line l JOIN sales_order o"
                    " ON o.id = l.order_id WHERE o.created_at >= %s AND o.created_at < %s",
                    (start, end),
                ).fetchall()

            base = percentile(timed(floor, args.repeat), 50)
            line_base = percentile(timed(line_floor, args.repeat), 50)
            print(
                f"-- {name}: {first} .. {last}; floors: one bare aggregate over orders"
                f" p50 {base * 1000:.1f} ms, over their lines p50 {line_base * 1000:.1f} ms"
            )
            for group in GROUPS:
                samples = timed(
                    lambda g=group, f=first, t=last: reports.sales_report(admin, f, t, g),
                    args.repeat,
                )
                p50, p99 = percentile(samples, 50), percentile(samples, 99)
                worst = max(worst, p99)
                floor_for = line_base if group in ("product", "category") else base
                print(
                    f"   by {group:<9} p50 {p50 * 1000:>7.1f} ms  p99 {p99 * 1000:>7.1f} ms"
                    f"  {p50 / floor_for:>5.1f}x its floor"
                )
        samples = timed(lambda: reports.targets_report(admin, today.strftime("%Y-%m")), args.repeat)
        print(
            f"-- targets this month  p50 {percentile(samples, 50) * 1000:.1f} ms"
            f"  p99 {percentile(samples, 99) * 1000:.1f} ms"
        )
        worst = max(worst, percentile(samples, 99))
        print(
            f"slowest report p99 {worst * 1000:.1f} ms on {args.orders} orders "
            f"(target < 300 ms): {'met' if worst < 0.3 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
