"""Core benchmark: concurrent order approvals (reserve stock + hold credit) on hot products.

Measures `orders.approve_order` from N threads against the same products and customer, then the
same guarded UPDATEs as raw SQL (the floor: no ORM, no events, no ledger rows) in the same run,
and prints the ratio. Checks invariants 1 and 2 afterwards.

    .venv/bin/python -m bench.core_approvals [--database-url URL] [--threads 32] [--orders 2000]
"""

from __future__ import annotations

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from app.core import orders
from app.core.models import Customer, Stock
from app.db import db
from app.errors import AppError
from app.money import to_fen
from bench.common import migrated_app, report
from config.settings import TestingConfig
from devkit import factories


def build(n_orders: int):
    branch = factories.make_branch()
    warehouse = factories.make_warehouse(branch)
    hot = [factories.make_product("10.00", name=f"爆款{i}") for i in range(4)]
    for product in hot:
        factories.put_stock(warehouse, product, n_orders * 4)
    customer = factories.make_customer(branch, warehouse, limit=str(n_orders * 100))
    pending = [
        factories.place(customer, (hot[i % 4], 2), (hot[(i + 1) % 4], 2)) for i in range(n_orders)
    ]
    return warehouse, hot, customer, pending


def timed_parallel(fn, items, threads):
    latencies = []
    lock = threading.Lock()

    def one(item):
        start = time.perf_counter()
        try:
            fn(item)
        except AppError:
            pass
        finally:
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)

    def worker(chunk):
        try:
            for item in chunk:
                one(item)
        finally:
            if not db.is_closed():
                db.close()

    chunks = [items[i::threads] for i in range(threads)]
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(worker, chunks))
    return time.perf_counter() - start, latencies


def raw_floor(warehouse_id, customer_id, lines_by_order):
    """The same two guarded UPDATEs per line and one per customer, in one transaction, raw SQL."""
    param = "%s" if "Postgres" in type(db.obj).__name__ else "?"
    reserve = (
        f"UPDATE stock SET reserved = reserved + {param} WHERE warehouse_id = {param} "
        f"AND product_id = {param} AND on_hand - reserved >= {param}"
    )
    hold = (
        f"UPDATE customer SET held = held + {param} WHERE id = {param} "
        f"AND ar_balance + held + {param} <= credit_limit"
    )

    def run(lines):
        with db.atomic():
            for product_id, qty in sorted(lines):
                db.execute_sql(reserve, (qty, warehouse_id, product_id, qty))
            amount = to_fen(Decimal(sum(q for _, q in lines) * 10))
            db.execute_sql(hold, (amount, customer_id, amount))

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=TestingConfig.DATABASE_URL)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--orders", type=int, default=2000)
    args = parser.parse_args()
    pool = args.threads + 4
    with migrated_app(args.database_url, DATABASE_POOL_SIZE=pool) as (app, url), app.app_context():
        warehouse, _, customer, pending = build(args.orders)
        engine = "PostgreSQL" if "postgres" in url else "SQLite"
        print(f"engine {engine}, {args.threads} threads, {args.orders} orders on 4 hot products")

        seconds, lat = timed_parallel(
            lambda o: orders.approve_order(o.id, "bench"), pending, args.threads
        )
        ours = report("approve_order (service)", len(pending), seconds, lat)

        lines = [[(ln.product_id, ln.qty) for ln in o.lines] for o in pending]
        floor_fn = raw_floor(warehouse.id, customer.id, lines)
        seconds, lat = timed_parallel(floor_fn, lines, args.threads)
        floor = report("raw guarded UPDATEs (floor)", len(lines), seconds, lat)
        print(f"service / floor throughput: {ours / floor:.2f}")

        for row in Stock.select():
            assert 0 <= row.reserved <= row.on_hand, "oversold"
        c = Customer.get_by_id(customer.id)
        assert c.ar_balance + c.held <= c.credit_limit, "credit exceeded"
        print("invariants hold: no oversell, no credit overrun")


if __name__ == "__main__":
    main()
