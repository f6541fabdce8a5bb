"""Online shops benchmark, against the sandbox over real HTTP (a sandbox process of its own).

1. Download: a shop with 10,000 paid orders (100 pages of 100) downloads them all; prints
   orders per second and the longest single page transaction (the checkpoint moves per page,
   so no transaction spans the download).
2. Stock sync: 5 shops (淘宝, 拼多多, 抖店, 有赞, 淘宝) × 2,000 mapped SKUs, listed on each
   platform as listings of --per-listing SKUs, the listings already known to the mapping (as
   after the first push); one receipt touching all 2,000 products queues 10,000 pushes in its
   transaction; the sink sends them as the worker does (the rows handed to the queue, sent by
   the sink's own number of threads, then the sweep); prints pushes per second, the HTTP calls
   the platforms answered, whether all finished within STOCK_SYNC_SECONDS, and the CPU time the
   sync took in this process and in the sandbox's (a shared machine's load stretches the wall
   time, much less the CPU time).
3. Cost next to plain HTTP: the same 10,000 stock updates sent straight to the sandbox as
   10,000 signed one-SKU calls (what each push cost before batch APIs), by as many threads —
   A-B-B-A, the ratio printed; and the same batched calls the sync made, with no database.

    .venv/bin/python -m bench.shops [--orders 10000] [--skus 2000] [--shops 5]
        [--per-listing 10] [--no-download]
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
from app.adapters.platforms import Credentials, Listing, StockLevel, client_for
from app.core import stock
from app.core.models import Product
from app.db import db, utcnow, with_database
from app.shops import download
from app.shops.models import Shop, ShopSku, StockPush
from app.shops.stock_sync import STOCK_PUSHES
from bench.common import migrated_app
from config.settings import TestingConfig
from devkit.factories import make_branch, make_warehouse
from devkit.servers import children_cpu_seconds, free_port

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
    calls_before = _calls(url, [("pdd", key)])
    started = time.perf_counter()
    result = download.sync(shop.id)
    took = time.perf_counter() - started
    calls = _calls(url, [("pdd", key)]) - calls_before
    pages = -(-orders // 100)
    print(
        f"download: {result.fetched} orders ({result.new} new, {pages} pages of orders, one "
        f"transaction each; {calls} listing calls with the windows narrowed) in {took:.1f} s = "
        f"{result.fetched / took:.0f} orders/s, {took / pages * 1000:.0f} ms per page"
    )


def _drain(handed: list[tuple[str, int]], threads: int) -> float:
    """Send as the worker does: each row handed to the queue by the sink's threads, then the
    sweep for whatever no send took along."""
    started = time.perf_counter()
    ids = [item_id for name, item_id in handed if name == STOCK_PUSHES.name]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda i: with_database(outbox.deliver, STOCK_PUSHES, i), ids))
    outbox.deliver_due(STOCK_PUSHES)
    return time.perf_counter() - started


def _calls(url: str, keys: list[tuple[str, str]]) -> int:
    return sum(
        requests.get(f"{url}/_sandbox/shops/{p}/{k}/calls", timeout=10).json()["calls"]
        for p, k in keys
    )


def make_push_shops(url: str, warehouse, products, shops: int, per_listing: int) -> list[Shop]:
    """Shops with every product mapped, listed on the platform `per_listing` SKUs a listing,
    and the mapping knowing each SKU's listing (as after the first push)."""
    created = []
    for n in range(shops):
        platform = PLATFORMS[n % len(PLATFORMS)]
        shop = make_shop(platform, warehouse, f"bench-push-{n}-{time.time_ns()}")
        skus = [f"P{p.id}" for p in products]
        groups = [skus[i : i + per_listing] for i in range(0, len(skus), per_listing)]
        listed = requests.post(
            f"{url}/_sandbox/shops/{platform}/{shop.app_key}/items",
            json={"items": [{"skus": g} for g in groups]},
            timeout=60,
        ).json()["items"]
        ids = {
            entry["sku"]: Listing(g["item_id"], entry["sku_id"])
            for g in listed
            for entry in g["skus"]
        }
        ShopSku.insert_many(
            [
                {
                    "shop": shop.id,
                    "platform_sku": f"P{p.id}",
                    "product": p.id,
                    "qty": 1,
                    "platform_item_id": ids[f"P{p.id}"].item_id,
                    "platform_sku_id": ids[f"P{p.id}"].sku_id,
                }
                for p in products
            ]
        ).execute()
        created.append(shop)
    return created


def bench_pushes(url: str, sandbox_pid: int, created: list[Shop], warehouse, products, limit: int):
    keys = [(s.platform, s.app_key) for s in created]
    calls_before = _calls(url, keys)
    handed: list[tuple[str, int]] = []
    outbox.configure(handed.append)
    try:
        cpu_before = time.process_time(), children_cpu_seconds(sandbox_pid)
        started = time.perf_counter()
        # One receipt (入库) of every product, as the receipts service posts it.
        lines = [(product.id, 5, Decimal("4.00")) for product in products]
        stock.receive(warehouse.id, lines, f"bench-{time.time_ns()}", actor="bench")
        queued = StockPush.select().where(StockPush.status == "pending").count()
        sending = _drain(handed, STOCK_PUSHES.concurrency)
        total = time.perf_counter() - started
        ours = time.process_time() - cpu_before[0]
        theirs = children_cpu_seconds(sandbox_pid) - cpu_before[1]
    finally:
        outbox.configure(None)
    calls = _calls(url, keys) - calls_before
    delivered = StockPush.select().where(StockPush.status == "delivered").count()
    pushed = {
        (s.platform, s.app_key): requests.get(
            f"{url}/_sandbox/shops/{s.platform}/{s.app_key}/stock", timeout=30
        ).json()["items"]
        for s in created
    }
    assert all(len(items) == len(products) for items in pushed.values()), "not every SKU pushed"
    print(
        f"stock sync: {queued} pushes queued by one receipt, {delivered} delivered in {total:.1f} s "
        f"({sending:.1f} s sending, {calls} HTTP calls answered by the platforms) = "
        f"{delivered / total:.0f} pushes/s; within STOCK_SYNC_SECONDS={limit}: "
        f"{'yes' if total <= limit else 'NO'}; CPU {ours:.1f} s in this process (the sync's "
        f"database work and the platform clients, {ours / calls * 1000:.2f} ms a call) and "
        f"{theirs:.1f} s in the sandbox ({theirs / calls * 1000:.2f} ms a call)"
    )
    StockPush.delete().execute()
    return total, delivered


def plain_calls(url: str, created: list[Shop], count: int, threads: int) -> float:
    """The old floor: `count` stock updates as one-SKU signed calls straight to the sandbox."""
    jobs = []
    for shop in created:
        where = client_for(shop.platform, Credentials(shop.app_key, shop.app_secret, "t"), url)
        for m in ShopSku.select().where(ShopSku.shop == shop.id).limit(count // len(created)):
            level = StockLevel(m.platform_sku, 1, Listing(m.platform_item_id, m.platform_sku_id))
            jobs.append((where, level))
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(lambda job: job[0].push_stock([job[1]]), jobs))
    assert not any(answers), "a plain call was refused"
    return time.perf_counter() - started


def batched_calls(url: str, created: list[Shop], products) -> float:
    """The new floor: the same batched calls the sync makes, no database, shops in parallel."""

    def one(shop):
        where = client_for(shop.platform, Credentials(shop.app_key, shop.app_secret, "t"), url)
        levels = [
            StockLevel(m.platform_sku, 2, Listing(m.platform_item_id, m.platform_sku_id))
            for m in ShopSku.select().where(ShopSku.shop == shop.id)
        ]
        return where.push_stock(levels)

    started = time.perf_counter()
    with ThreadPoolExecutor(len(created)) as pool:
        answers = list(pool.map(one, created))
    assert not any(answers), "a batched call was refused"
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10000)
    parser.add_argument("--skus", type=int, default=2000)
    parser.add_argument("--shops", type=int, default=5)
    parser.add_argument("--per-listing", type=int, default=10, help="SKUs of one listing")
    parser.add_argument("--no-download", action="store_true", help="only the stock sync")
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
            if not args.no_download:
                bench_download(url, warehouse, products[0], args.orders)
            limit = app.config["STOCK_SYNC_SECONDS"]
            created = make_push_shops(url, warehouse, products, args.shops, args.per_listing)
            threads = STOCK_PUSHES.concurrency
            sync_a, count = bench_pushes(url, sandbox.pid, created, warehouse, products, limit)
            plain_b1 = plain_calls(url, created, count, threads)
            plain_b2 = plain_calls(url, created, count, threads)
            sync_a2, _ = bench_pushes(url, sandbox.pid, created, warehouse, products, limit)
            batched = batched_calls(url, created, products)
            ratio = (sync_a + sync_a2) / (plain_b1 + plain_b2)
            print(
                f"A-B-B-A: sync {sync_a:.1f} s, plain {plain_b1:.1f} s, plain {plain_b2:.1f} s, "
                f"sync {sync_a2:.1f} s: the sync costs {ratio:.2f}× the same {count} updates as "
                f"one-SKU signed HTTP calls ({count / plain_b1:.0f} and {count / plain_b2:.0f} "
                f"calls/s); the batched calls alone, with no database, took {batched:.1f} s "
                f"(the sync {(sync_a + sync_a2) / 2 / batched:.2f}× that)"
            )
    finally:
        sandbox.terminate()


if __name__ == "__main__":
    main()
