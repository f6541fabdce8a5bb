"""Online shops benchmark, against the sandbox over real HTTP (a sandbox process of its own).

1. Download: a shop with 10,000 paid orders (100 pages of 100) downloads them all; prints
   orders per second and the longest single page transaction (the checkpoint moves per page,
   so no transaction spans the download).
2. Stock sync: 5 shops × 2,000 mapped SKUs; one receipt touching all 2,000 products queues
   10,000 pushes in its transaction; the sink sends them as the worker does (the sink's own
   number of threads); prints pushes per second and whether all finished within
   STOCK_SYNC_SECONDS.
3. Cost next to plain HTTP: the same number of stock updates sent straight through the
   platform clients (signed HTTP calls, no database) — A-B-B-A, the ratio printed.

    .venv/bin/python -m bench.shops [--orders 10000] [--skus 2000] [--shops 5]
        [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import requests

from app import outbox
from app.adapters.platforms import Credentials, client_for
from app.core import stock
from app.core.models import Product
from app.db import db, transaction, utcnow, with_database
from app.shops import download
from app.shops.models import Shop, ShopSku, StockPush
from app.shops.stock_sync import STOCK_PUSHES
from bench.common import migrated_app
from config.settings import TestingConfig
from devkit.factories import make_branch, make_warehouse
from devkit.servers import free_port

PLATFORMS = ("taobao", "pdd", "doudian", "youzan", "taobao")


def start_sandbox() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own sandbox, on loopback
        [sys.executable, "-m", "devkit.sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(f"{url}/_sandbox/stats", timeout=1)
            return process, url
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("sandbox did not start")


def make_shop(platform: str, warehouse, key: str) -> Shop:
    return Shop.create(
        name=f"bench {key}",
        platform=platform,
        app_key=key,
        app_secret=f"secret-{key}",
        access_token="t",  # noqa: S106 - the sandbox takes any token
        warehouse=warehouse.id,
        sync_cursor=utcnow() - dt.timedelta(hours=1),
    )


def bench_download(url: str, warehouse, product, orders: int) -> None:
    key = f"bench-dl-{time.time_ns()}"
    shop = make_shop("pdd", warehouse, key)
    body = {
        "buyer": "",
        "receiver": {"name": "压测", "phone": "13800000000"},
        "lines": [{"sku": product.sku, "qty": 1, "price": "9.90"}],
    }
    for start in range(0, orders, 5000):
        requests.post(
            f"{url}/_sandbox/shops/pdd/{key}/orders",
            json={**body, "repeat": min(5000, orders - start), "buyer": f"b{start}"},
            timeout=120,
        ).raise_for_status()
    time.sleep(1.02 - time.time() % 1)
    started = time.perf_counter()
    result = download.sync(shop.id)
    took = time.perf_counter() - started
    pages = -(-orders // 100)
    print(
        f"download: {result.fetched} orders ({result.new} new, {pages} pages, one transaction "
        f"each) in {took:.1f} s = {result.fetched / took:.0f} orders/s, "
        f"{took / pages * 1000:.0f} ms per page"
    )


def _drain(threads: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        while True:
            due = outbox.due_ids(STOCK_PUSHES, 10000)
            if not due:
                break
            list(pool.map(lambda i: with_database(outbox.deliver, STOCK_PUSHES, i), due))
    return time.perf_counter() - started


def bench_pushes(url: str, warehouse, products, shops: int, limit: int) -> tuple[float, int]:
    created = []
    for n in range(shops):
        shop = make_shop(
            PLATFORMS[n % len(PLATFORMS)], warehouse, f"bench-push-{n}-{time.time_ns()}"
        )
        ShopSku.insert_many(
            [
                {"shop": shop.id, "platform_sku": f"P{p.id}", "product": p.id, "qty": 1}
                for p in products
            ]
        ).execute()
        created.append(shop)
    started = time.perf_counter()
    with transaction():  # one receipt: every product's stock goes up
        for product in products:
            stock.adjust(warehouse.id, product.id, 5, "入库", actor="bench")
    queued = StockPush.select().where(StockPush.status == "pending").count()
    sending = _drain(STOCK_PUSHES.concurrency)
    total = time.perf_counter() - started
    delivered = StockPush.select().where(StockPush.status == "delivered").count()
    print(
        f"stock sync: {queued} pushes queued by one receipt, {delivered} delivered in {total:.1f} s "
        f"({sending:.1f} s sending) = {delivered / total:.0f} pushes/s; within "
        f"STOCK_SYNC_SECONDS={limit}: {'yes' if total <= limit else 'NO'}"
    )
    return total, delivered


def plain_calls(url: str, count: int, threads: int) -> float:
    """The floor: the same number of stock updates, signed, straight to the sandbox."""
    per_platform = {}
    for n, platform in enumerate(PLATFORMS):
        key = f"plain-{n}"
        per_platform[n] = client_for(platform, Credentials(key, f"secret-{key}", "t"), url)
    jobs = [(n, [(f"P{i}", 1)]) for i in range(count // len(PLATFORMS)) for n in per_platform]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda job: per_platform[job[0]].push_stock(job[1]), jobs))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10000)
    parser.add_argument("--skus", type=int, default=2000)
    parser.add_argument("--shops", type=int, default=5)
    parser.add_argument("--database-url", default=TestingConfig.DATABASE_URL)
    args = parser.parse_args()
    sandbox, url = start_sandbox()
    try:
        with (
            migrated_app(args.database_url, SHOP_API_BASE_URL=url) as (app, _),
            app.app_context(),
            db.connection_context(),
        ):
            warehouse = make_warehouse(make_branch())
            products = [
                Product.create(sku=f"B{i:05d}", name=f"压测商品{i}", list_price=Decimal("9.90"))
                for i in range(args.skus)
            ]
            stock.adjust(warehouse.id, products[0].id, args.orders + 10, "入库", actor="bench")
            bench_download(url, warehouse, products[0], args.orders)
            limit = app.config["STOCK_SYNC_SECONDS"]
            sync_a, count = bench_pushes(url, warehouse, products, args.shops, limit)
            plain_b1 = plain_calls(url, count, STOCK_PUSHES.concurrency)
            plain_b2 = plain_calls(url, count, STOCK_PUSHES.concurrency)
            StockPush.delete().execute()
            Shop.delete().where(Shop.name.startswith("bench bench-push")).execute()
            sync_a2, _ = bench_pushes(url, warehouse, products, args.shops, limit)
            ratio = (sync_a + sync_a2) / (plain_b1 + plain_b2)
            print(
                f"A-B-B-A: sync {sync_a:.1f} s, plain {plain_b1:.1f} s, plain {plain_b2:.1f} s, "
                f"sync {sync_a2:.1f} s: the sync costs {ratio:.2f}× the plain HTTP calls"
            )
    finally:
        sandbox.terminate()


if __name__ == "__main__":
    main()
