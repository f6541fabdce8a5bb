"""Order submission benchmark: N concurrent dealers POST /api/mp/v1/orders to gunicorn on
PostgreSQL + Redis for a fixed time.

Prints orders/s and p50/p99 latency, then does the same work as raw SQL from the same number of
threads (the floor: the rows an order writes, no HTTP, no ORM, no validation) and prints the ratio.
Afterwards it checks the invariants: one order per successful answer, a retried key never makes a
second order, nothing was held.

    .venv/bin/python -m bench.orders [--dealers 32] [--seconds 20] [--workers 4] [--threads 8]
        [--database-url postgresql://postgres@127.0.0.1:5432/test] [--redis-url redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import secrets
import threading
import time
import uuid
from decimal import Decimal

import psycopg2
import requests

from app.auth import tokens
from app.core.models import Order, Stock
from app.mall.models import IdempotencyKey, WechatUser
from bench.common import add_service_options, close_connections, migrated_app, report, run_threads
from bench.stack import app_env
from devkit.factories import make_branch, make_customer, make_product, make_warehouse, put_stock
from devkit.servers import Gunicorn

LINES_PER_ORDER = 3


def seed(dealers: int) -> tuple[list[int], list[str], list[int]]:
    branch = make_branch()
    warehouse = make_warehouse(branch)
    products = [make_product(f"{10 + i}.00", prices={1: f"{9 + i}.50"}) for i in range(20)]
    for product in products:
        put_stock(warehouse, product, 1000)
    customer_ids, user_tokens = [], []
    for i in range(dealers):
        customer = make_customer(branch, warehouse, limit="100000000", level=1)
        user = WechatUser.create(openid=f"bench-{i}", role="dealer", customer=customer.id)
        customer_ids.append(customer.id)
        user_tokens.append(tokens.issue("mp", user.id, role="dealer"))
    return customer_ids, user_tokens, [p.id for p in products]


def run_clients(url, user_tokens, product_ids, seconds):
    latencies, statuses, lock = [], [], threading.Lock()
    stop_at = time.perf_counter() + seconds
    retried = []

    def dealer(token, index):
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        n = 0
        while time.perf_counter() < stop_at:
            key = f"{index}-{n}-{uuid.uuid4().hex[:8]}"
            lines = [
                {"product_id": product_ids[(index + n + k) % len(product_ids)], "qty": 1 + k}
                for k in range(LINES_PER_ORDER)
            ]
            start = time.perf_counter()
            r = session.post(
                f"{url}/api/mp/v1/orders",
                json={"lines": lines},
                headers={**headers, "Idempotency-Key": key},
                timeout=30,
            )
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                statuses.append(r.status_code)
            if n % 10 == 0:  # a client retry: must come back 200 with the same order
                again = session.post(
                    f"{url}/api/mp/v1/orders",
                    json={"lines": lines},
                    headers={**headers, "Idempotency-Key": key},
                    timeout=30,
                )
                with lock:
                    retried.append((r.json().get("id"), again.status_code, again.json().get("id")))
            n += 1

    seconds = run_threads(dealer, [(t, i) for i, t in enumerate(user_tokens)])
    return seconds, latencies, statuses, retried


def raw_floor(dsn, customer_ids, product_ids, warehouse_id, seconds):
    """What one order writes, as plain SQL: order, lines, event, idempotency key, in one transaction."""
    latencies, lock = [], threading.Lock()
    stop_at = time.perf_counter() + seconds

    def dealer(customer_id, index):
        conn = psycopg2.connect(dsn)
        n = 0
        with conn:
            pass
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            with conn, conn.cursor() as cur:
                cur.execute(
                    "INSERT INTO sales_order (number, customer_id, warehouse_id, status, source,"
                    " placed_by, total, held_amount, remark, address, reject_reason, created_at,"
                    " updated_at) VALUES (%s, %s, %s, 'pending_review', 'raw', 'raw', 6000, 0,"
                    " '', '', '', now(), now()) RETURNING id",
                    (f"RAW{uuid.uuid4().hex[:20]}", customer_id, warehouse_id),
                )
                (order_id,) = cur.fetchone()
                cur.executemany(
                    "INSERT INTO sales_order_line (order_id, product_id, qty, price, list_price,"
                    " amount, shipped_qty, reserved_qty, returned_qty)"
                    " VALUES (%s, %s, %s, 1000, 1000, 1000, 0, 0, 0)",
                    [
                        (order_id, product_ids[(index + n + k) % len(product_ids)], 1 + k)
                        for k in range(LINES_PER_ORDER)
                    ],
                )
                cur.execute(
                    "INSERT INTO order_event (order_id, action, to_status, actor, note, created_at)"
                    " VALUES (%s, 'submit', 'pending_review', 'raw', '', now())",
                    (order_id,),
                )
                cur.execute(
                    "INSERT INTO idempotency_key (customer_id, key, order_id, created_at)"
                    " VALUES (%s, %s, %s, now())",
                    (customer_id, f"raw-{order_id}", order_id),
                )
            with lock:
                latencies.append(time.perf_counter() - start)
            n += 1
        conn.close()

    return run_threads(dealer, [(c, i) for i, c in enumerate(customer_ids)]), latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dealers", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    add_service_options(parser)
    args = parser.parse_args()
    secret = secrets.token_urlsafe(32)

    with migrated_app(args.database_url, SECRET_KEY=secret) as (app, url):
        with app.app_context():
            customer_ids, user_tokens, product_ids = seed(args.dealers)
            warehouse_id = Stock.get().warehouse_id
        close_connections()
        env = {
            **app_env(url, args.redis_url, secret, "http://127.0.0.1:9"),
            "DATABASE_POOL_SIZE": str(args.threads + 2),
        }
        server = Gunicorn(env, workers=args.workers, threads=args.threads).start()
        try:
            print(
                f"{args.dealers} dealers, {args.seconds:.0f}s, gunicorn {args.workers}x{args.threads}"
                f" gthread, PostgreSQL + Redis, {LINES_PER_ORDER} lines per order"
            )
            cpu_before = time.process_time()
            seconds, lat, statuses, retried = run_clients(
                server.url, user_tokens, product_ids, args.seconds
            )
            client_cpu = time.process_time() - cpu_before
        finally:
            server.stop()
        created = statuses.count(201)
        ours = report("POST /orders (HTTP)", created, seconds, lat)
        print(f"  (the load generator itself used {client_cpu / seconds:.0%} of one core)")
        seconds, floor_lat = raw_floor(url, customer_ids, product_ids, warehouse_id, args.seconds)
        floor = report("raw SQL inserts (floor)", len(floor_lat), seconds, floor_lat)
        print(f"HTTP / floor throughput: {ours / floor:.2f}")

        with app.app_context():
            non_201 = [s for s in statuses if s != 201]
            assert not non_201, f"unexpected answers: {sorted(set(non_201))}"
            mall_orders = Order.select().where(Order.source == "mall").count()
            assert mall_orders == created, (mall_orders, created)
            assert all(s == 200 and a == b for a, s, b in retried), "a retry made a second order"
            keys = IdempotencyKey.select().count()
            assert keys == created + len(floor_lat), "idempotency keys do not match orders"
            assert all(s.reserved == 0 for s in Stock.select()), "a submission held stock"
            assert Order.select().where(Order.total <= Decimal("0")).count() == 0
            print(
                f"invariants hold: {created} orders, {len(retried)} retries answered with the same order"
            )


if __name__ == "__main__":
    main()
