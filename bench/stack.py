"""The two hot paths of an ordering fair, Dealer Mall against the same jobs hand-written.

Both apps run under gunicorn with the same flags (`-w 2 -k gthread --threads 4` by default) on
one PostgreSQL database + Redis, and wrk loads each over 32 connections:

* `GET /api/mp/v1/catalog/products?per_page=20` on a catalogue of 5,000 products in 50
  categories: pages 1-5, a search (`q`, by name or SKU) and a category filter, by dealers of three
  price levels, some with price books;
* `POST /api/mp/v1/orders` with 3 lines and a fresh Idempotency-Key each time;
* the same with a replayed Idempotency-Key: every key of the measured run made its order in the
  warm-up, as a client retrying after a timeout does.

and Dealer Mall once more under its own `gunicorn.conf.py`. The three servers run side by side;
each path is loaded on each in turn (2 s warm-up, then the measured run) in A-B-B-A order (the
order reversed every other round), for `--rounds` rounds, after a VACUUM ANALYZE and CHECKPOINT
before every run, keeping each server's best run. Prints every run as it ends, then requests/s,
p50 and p99 for each, the CPU the servers' workers spent per request (steadier than rates on a
shared machine), Dealer Mall / hand-written ratios, any error answers, and each worker's
resident memory after the runs.

    .venv/bin/python -m bench.stack [--seconds 15] [--connections 32]
        [--database-url postgresql://postgres@127.0.0.1:5432/test] [--redis-url redis://...]
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import psycopg2

from app.auth import tokens
from app.core import catalog
from app.core.models import CustomerAddress
from app.db import db
from app.mall.models import WechatUser
from bench.common import add_service_options, close_connections, migrated_app, wrk
from devkit.factories import make_branch, make_customer, make_product, make_warehouse, put_stock
from devkit.servers import ROOT, Gunicorn, SandboxServer

PRODUCTS = 5000
CATEGORIES = 50
LINES_PER_ORDER = 3
CATALOGUE_PAGES = 5
ORDERED_PRODUCTS = 200
START_TIMEOUT = 180  # seconds for a server to answer /healthz: a shared machine starts slowly  # orders pick among the first products
# Product names: a word and a number, so that a search finds a tenth of the catalogue.
WORDS = ["可乐", "雪碧", "矿泉水", "果汁", "绿茶", "咖啡", "牛奶", "啤酒", "饼干", "薯片"]
SEARCHES = ["果汁", "牛奶", "SKU-1"]


def seed(dealers: int) -> dict:
    """A catalogue of 5,000 products in 50 categories with 3 price levels and stock, and
    `dealers` bound dealers (openid `sandbox-d{i}`: the sandbox's login code `d{i}`) with an
    address. Returns the users, the products orders pick among, and the categories."""
    branch = make_branch()
    warehouse = make_warehouse(branch)
    categories = [catalog.create_category(f"品类{i}") for i in range(CATEGORIES)]
    products = []
    with db.atomic():
        for i in range(PRODUCTS):
            product = make_product(
                f"{20 + i % 50}.00",
                prices={1: f"{18 + i % 50}.50", 2: f"{17 + i % 50}.00", 3: f"{16 + i % 50}.80"},
                category_id=categories[i % CATEGORIES].id,
                name=f"{WORDS[i % len(WORDS)]}{i}号",
            )
            put_stock(warehouse, product, 5 if i % 17 == 0 else 1_000_000)
            products.append(product.id)
    users = []
    for i in range(dealers):
        customer = make_customer(branch, warehouse, limit="100000000", level=1 + i % 3)
        CustomerAddress.create(
            customer=customer.id,
            contact="王经理",
            phone="13800000000",
            address="上海市",
            is_default=True,
        )
        if i % 16 == 0:  # some dealers have a price book of their own
            for product_id in products[:10]:
                catalog.set_customer_price(customer.id, product_id, Decimal("9.90"))
        user = WechatUser.create(openid=f"sandbox-d{i}", role="dealer", customer=customer.id)
        users.append(user.id)
    return {
        "users": users,
        "products": products[:ORDERED_PRODUCTS],
        "categories": [c.id for c in categories],
    }


def app_env(url: str, redis_url: str, secret: str, sandbox_url: str) -> dict:
    return {
        "APP_ENV": "production",
        "SECRET_KEY": secret,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "WECHAT_APPID": "wxbench",
        "WECHAT_SECRET": "bench",
        "WECHAT_OA_APPID": "wxbenchoa",
        "WECHAT_OA_SECRET": "bench",
        "WECHAT_OA_TOKEN": "bench",
        "WECHAT_API_BASE_URL": sandbox_url,
        "PUBLIC_BASE_URL": "https://mall.example.com",
        "SESSION_COOKIE_SECURE": "1",
        # A fair is many dealers, each ordering a few times: the per-dealer limit stays on (its
        # cost is measured) but high enough that a load generator reusing 32 dealers never hits it.
        "RATELIMIT_ORDERS": "1000000 per minute",
        "RATELIMIT_LOGIN": "1000000 per minute",
    }


@contextmanager
def fair_database(database_url: str, redis_url: str, dealers: int):
    """A scratch PostgreSQL database seeded for a fair, the sandbox, and the apps' environment."""
    secret = secrets.token_urlsafe(32)
    sandbox = SandboxServer().start()
    with migrated_app(database_url, SECRET_KEY=secret) as (app, url):
        with app.app_context():
            seeded = seed(dealers)
        close_connections()
        try:
            yield app_env(url, redis_url, secret, sandbox.url), seeded, app
        finally:
            sandbox.stop()


def servers(env: dict, workers: int, threads: int) -> dict[str, Gunicorn]:
    """The hand-written floor and Dealer Mall under the same flags, and Dealer Mall under its own
    gunicorn.conf.py; each has a database pool as large as its threads. Each server logs (a line
    per request, as in production) to a file of its own in a new folder, named on the way in,
    rather than among the figures."""
    pool = {"DATABASE_POOL_SIZE": str(threads + 1)}
    logs = Path(tempfile.mkdtemp(prefix="bench-servers-"))
    print(f"server logs: {logs}")
    made = {
        "hand-written": Gunicorn(
            {**env, **pool}, workers, threads, target="bench.handwritten:create_app()"
        ),
        "Dealer Mall": Gunicorn({**env, **pool}, workers, threads),
        "Dealer Mall (gunicorn.conf.py)": Gunicorn(env, config=str(ROOT / "gunicorn.conf.py")),
    }
    for name, server in made.items():
        server.log_file = logs / (name.replace(" ", "-").replace("(", "").replace(")", "") + ".log")
    return made


def settle(database_url: str) -> None:
    """Leave no vacuum or checkpoint debt from one run to fall on the next server's run."""
    conn = psycopg2.connect(database_url)
    conn.autocommit = True  # VACUUM runs outside a transaction
    with conn.cursor() as cur:
        for table in ("sales_order", "sales_order_line", "order_event", "notification"):
            cur.execute(f"VACUUM ANALYZE {table}")
        cur.execute("CHECKPOINT")
    conn.close()


def _lua_list(values) -> str:
    return "{" + ",".join(f'"{v}"' for v in values) + "}"


_LUA_COMMON = """
local tokens = %s
local n = 0
local thread_no = 0
function setup(thread)
  thread_no = thread_no + 1
  thread:set("tid", thread_no)
end
"""

# Pages 1-5 of the whole catalogue, of a search and of a category, in turn.
CATALOGUE_LUA = (
    _LUA_COMMON
    + """
local searches = %s
local categories = %s
function request()
  n = n + 1
  local page = (n %% %d) + 1
  local kind = math.floor(n / 7) %% 3
  local filter = ""
  if kind == 1 then
    filter = "&q=" .. searches[(n %% #searches) + 1]
  elseif kind == 2 then
    filter = "&category_id=" .. categories[(n %% #categories) + 1]
  end
  return wrk.format("GET", "/api/mp/v1/catalog/products?per_page=20&page=" .. page .. filter,
    {["Authorization"] = "Bearer " .. tokens[(n %% #tokens) + 1]})
end
"""
)

# An order of 3 lines among the products, for one dealer's token, with one Idempotency-Key.
_ORDER_LUA = (
    _LUA_COMMON
    + """
local products = %s
local function order(k, token, key)
  local body = string.format(
    '{"lines":[{"product_id":%%s,"qty":1},{"product_id":%%s,"qty":2},{"product_id":%%s,"qty":3}]}',
    products[k + 1], products[((k + 7) %% #products) + 1], products[((k + 13) %% #products) + 1])
  return wrk.format("POST", "/api/mp/v1/orders", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, body)
end
"""
)

ORDERS_LUA = (
    _ORDER_LUA
    + """
function request()
  n = n + 1
  return order(n %% #products, tokens[(n %% #tokens) + 1], "%%s-" .. tid .. "-" .. n)
end
"""
)

# Replays: the measured run sends again keys its warm-up (same label) already sent, each with
# the dealer that sent it: every answer is an order found, none made.
REPLAY_KEYS = 4  # per dealer
REPLAY_LUA = (
    _ORDER_LUA
    + """
function request()
  n = n + 1
  local slot = n %% (#tokens * %d)
  return order(slot %% #products, tokens[(slot %% #tokens) + 1], "%%s-" .. slot)
end
"""
)


def _line(name: str, figures: dict) -> str:
    errors = f"  {figures['errors']} errors" if figures["errors"] else ""
    return (
        f"  {name:<32} {figures['rate']:>8.1f} req/s  p50 {figures['p50']:>7.1f} ms"
        f"  p99 {figures['p99']:>7.1f} ms  app CPU {figures['cpu_ms']:.2f} ms/req{errors}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="runs per server and path; best kept")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--paths", nargs="*", choices=["catalogue", "orders", "replays"], help="default: all"
    )
    parser.add_argument(
        "--only",
        nargs="*",
        choices=["Dealer Mall", "Dealer Mall (gunicorn.conf.py)"],
        help="besides the floor (default: both)",
    )
    add_service_options(parser)
    args = parser.parse_args()
    with fair_database(args.database_url, args.redis_url, args.connections) as (env, seeded, app):
        with app.app_context():
            user_tokens = [tokens.issue("mp", u, role="dealer") for u in seeded["users"]]
        print(
            f"{PRODUCTS} products in {CATEGORIES} categories, {len(user_tokens)} dealers; wrk {args.connections} connections,"
            f" {args.seconds:.0f} s per run; floor and Dealer Mall: gunicorn -w {args.workers}"
            f" -k gthread --threads {args.threads}; PostgreSQL + Redis"
        )
        catalogue = CATALOGUE_LUA % (
            _lua_list(user_tokens),
            _lua_list(quote(q) for q in SEARCHES),
            _lua_list(seeded["categories"]),
            CATALOGUE_PAGES,
        )
        orders = ORDERS_LUA % (_lua_list(user_tokens), _lua_list(seeded["products"]))
        replays = REPLAY_LUA % (_lua_list(user_tokens), _lua_list(seeded["products"]), REPLAY_KEYS)
        scripts = {"catalogue": catalogue, "orders": orders, "replays": replays}
        if args.paths:
            scripts = {k: v for k, v in scripts.items() if k in args.paths}
        running = servers(env, args.workers, args.threads)
        if args.only:
            running = {k: v for k, v in running.items() if k in ("hand-written", *args.only)}
        for server in running.values():
            server.start(timeout=START_TIMEOUT)
        results: dict[str, dict[str, dict]] = {name: {} for name in running}
        try:
            names = list(running)
            for path, script in scripts.items():
                for round_no in range(args.rounds):
                    # A-B-B-A: the order reversed every other round, so that what one run leaves
                    # behind (vacuum, checkpoints, a neighbour's load) falls on every server alike.
                    order = names if round_no % 2 == 0 else names[::-1]
                    for name in order:
                        server = running[name]
                        label = f"{name.split(' ')[0].replace('-', '')}{len(name)}r{round_no}"
                        if path == "replays":
                            # The warm-up makes the orders; the measured run sends their keys
                            # again: every answer is a replay.
                            warm_up = lua = script.replace('"%s-"', f'"{label}-"')
                        else:
                            # Warm-up and measured run each with keys of their own: every order
                            # measured is a new one, none a replay of a warm-up key.
                            warm_up = script.replace('"%s-"', f'"{label}w-"')
                            lua = script.replace('"%s-"', f'"{label}-"')
                        settle(env["DATABASE_URL"])
                        wrk(server.url, warm_up, connections=args.connections, seconds=2)
                        cpu = server.worker_cpu_seconds()
                        figures = wrk(
                            server.url, lua, connections=args.connections, seconds=args.seconds
                        )
                        cpu = server.worker_cpu_seconds() - cpu
                        figures["cpu_ms"] = cpu * 1000 / max(figures["requests"], 1)
                        print(f"{path} round {round_no}: " + _line(name, figures).strip())
                        best = results[name].get(path)
                        if best is None or figures["rate"] > best["rate"]:
                            results[name][path] = figures
            memory = {name: server.worker_rss_mib() for name, server in running.items()}
        finally:
            for server in running.values():
                server.stop()
        floor = results["hand-written"]
        titles = {
            "catalogue": "GET /catalog/products?per_page=20 (pages, search, category)",
            "orders": f"POST /orders, {LINES_PER_ORDER} lines, new keys",
            "replays": f"POST /orders, {LINES_PER_ORDER} lines, replayed keys",
        }
        for path in scripts:
            print(titles[path])
            for name, figures in results.items():
                print(_line(name, figures[path]))
            for name, figures in results.items():
                if name != "hand-written":
                    mine, base = figures[path], floor[path]
                    print(
                        f"  {name}: throughput {mine['rate'] / base['rate']:.2f} of the floor,"
                        f" p99 {mine['p99'] / base['p99']:.2f}x the floor's,"
                        f" CPU {mine['cpu_ms'] / base['cpu_ms']:.2f}x the floor's"
                    )
        print("resident memory per worker after the runs")
        for name, sizes in memory.items():
            print(f"  {name:<32} " + ", ".join(f"{s:.0f} MiB" for s in sizes))


if __name__ == "__main__":
    main()
