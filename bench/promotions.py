"""Promotions benchmark: order submission and a catalogue page with 50 promotions active on a
catalogue of 5,000 SKUs, as a ratio to the same without promotions, measured in one run.

Blocks of 20 calls alternate between none active (A) and all 50 active (B), A-B then B-A, with the
same inputs in both phases of a block (the same baskets, the same pages; a fresh Idempotency-Key
for every order), `--repeat` calls a phase; B / A of the p50 and of the p99: a drift of the
machine during the run weighs on both alike. Service level (what the endpoints call): the HTTP
and JSON around it are the same in both phases. `--mix` says what the promotions do to the
orders (see add_promotions); the basket is 5 lines, 2 of them from products with a line price.

    .venv/bin/python -m bench.promotions [--skus 5000] [--promotions 50] [--repeat 200]
        [--mix typical|gift-heavy|idle] [--database-url postgresql://...|sqlite://]
        [--orders-via service|endpoint]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
from decimal import Decimal

from peewee import fn

from app.auth import tokens
from app.auth.services import create_staff
from app.backoffice import promotions
from app.core import catalog, organisation
from app.core.models import Order, OrderDiscount, OrderLine, Product, Promotion, Stock
from app.core.orders import LineRequest
from app.db import db, is_postgres, utcnow
from app.mall import catalog as mall_catalog
from app.mall import ordering
from app.mall.models import WechatUser
from bench.common import migrated_app, percentile


def seed(rng: random.Random, skus: int):
    branch = organisation.create_branch("B1", "华东分公司")
    warehouse = organisation.create_warehouse("W1", "上海仓", branch.id)
    category = catalog.create_category("饮料")
    now = utcnow()
    Product.insert_many(
        [
            {
                "sku": f"SKU-{i:05d}",
                "name": f"商品 {i}",
                "category": category.id,
                "list_price": Decimal(rng.randint(500, 50000)) / 100,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(skus)
        ]
    ).execute()
    ids = [p.id for p in Product.select(Product.id)]
    Stock.insert_many(
        [{"warehouse": warehouse.id, "product": pid, "on_hand": 100_000} for pid in ids]
    ).execute()
    customer = organisation.create_customer(
        code="C0001",
        name="基准经销商",
        branch_id=branch.id,
        warehouse_id=warehouse.id,
        price_level=3,
        settlement_method="cod",
        credit_limit=Decimal("0"),
    )
    db.execute_sql("ANALYZE")
    return branch, customer, ids


MIXES = ("typical", "gift-heavy", "idle")


def add_promotions(rng, admin, branch, ids, count: int, mix: str = "typical") -> set[int]:
    """50 promotions as a busy fair has them, a quarter of each kind: 特价 over 20 SKUs each,
    阶梯价 (5 or more at a lower price), 满减 (some narrowed to 30 products), 满赠/买赠; for
    everyone, the branch or level 3 in turn, all open. Returns the products with a line price
    (特价 or 阶梯价), from which a typical basket takes some lines.

    typical: an order gets a line price on some lines, a 满减, and at most one gift (one 满赠 that
    a bigger order reaches; 买赠 on single products, 买10赠1). gift-heavy: six 满赠 every order
    reaches, so six gift lines an order (a stress figure). idle: thresholds out of reach and
    products never ordered (the cost of looking at promotions alone)."""
    window = {
        "starts_at": utcnow() - dt.timedelta(days=1),
        "ends_at": utcnow() + dt.timedelta(days=30),
    }
    far = 1000 if mix == "idle" else 1
    line_priced: set[int] = set()
    threshold_gifts = 0
    for i in range(count):
        kind = ("special_price", "tiered_price", "full_reduction", "gift")[i % 4]
        if kind == "special_price":
            chosen = rng.sample(ids, 20)
            line_priced.update(chosen)
            rules = {"items": [{"product_id": p, "price": "4.00"} for p in chosen]}
        elif kind == "tiered_price":
            chosen = rng.choice(ids)
            line_priced.add(chosen)
            rules = {"product_id": chosen, "tiers": [{"min_qty": 5, "price": "3.00"}]}
        elif kind == "full_reduction":
            rules = {
                "threshold": str(rng.randint(200, 2000) * far),
                "reduction": "20",
                "repeat": i % 8 == 2,
            }
            if i % 3 == 0:
                rules["product_ids"] = rng.sample(ids, 30)
        elif (mix == "gift-heavy" and i % 8 == 3) or (mix != "gift-heavy" and i == 3):
            # 满赠: a gift for a big order; typical: one, which about half the orders reach
            threshold = rng.randint(1000, 5000) if mix == "gift-heavy" else 6000
            threshold_gifts += 1
            rules = {
                "threshold": str(threshold * far),
                "gift_product_id": rng.choice(ids),
                "gift_qty": 1,
            }
        else:  # 买赠 on one product: 买10赠1
            rules = {
                "product_id": rng.choice(ids),
                "min_qty": 10,
                "gift_product_id": rng.choice(ids),
                "gift_qty": 1,
            }
        targets = [{}, {"branch_ids": [branch.id]}, {"price_levels": [3]}][i % 3]
        promotions.create_promotion(
            admin, {"name": f"促销 {i}", "kind": kind, "rules": rules, **window, **targets}
        )
    return line_priced


BLOCK = 20  # calls per block; blocks alternate between none and all promotions active


def _made() -> tuple[int, int, int, int]:
    """Orders, discounts, gift lines and the most gift lines on one order, so far."""
    most = (
        OrderLine.select(fn.COUNT(OrderLine.id))
        .where(OrderLine.gift)
        .group_by(OrderLine.order)
        .order_by(fn.COUNT(OrderLine.id).desc())
        .limit(1)
        .scalar()
    )
    return (
        Order.select().count(),
        OrderDiscount.select().count(),
        OrderLine.select().where(OrderLine.gift).count(),
        most or 0,
    )


# Each phase's own version of the promotions: switched on and off between blocks as staff would
# (a new updated_at with each change), but the same version each time a phase comes back, as
# promotions stand still between one order and the next; a change costs its parse once a process.
_VERSIONS = {False: dt.datetime(2026, 1, 1), True: dt.datetime(2026, 1, 2)}


def set_promotions(active: bool) -> None:
    Promotion.update(active=active, updated_at=_VERSIONS[active]).execute()


def _ratio(none: list[float], active: list[float], pct: int) -> tuple[float, float, float]:
    a, b = percentile(none, pct), percentile(active, pct)
    return a * 1000, b * 1000, b / a


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skus", type=int, default=5000)
    parser.add_argument("--promotions", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        help="PostgreSQL to make a scratch database next to, or sqlite:// for a SQLite file",
    )
    parser.add_argument(
        "--mix",
        choices=MIXES,
        default="typical",
        help="typical: line prices on some lines, a 满减, at most one gift; gift-heavy: six gift"
        " lines an order (stress); idle: promotions the orders never trigger",
    )
    parser.add_argument("--idle", action="store_true", help="the same as --mix idle")
    parser.add_argument(
        "--orders-via",
        choices=("service", "endpoint"),
        default="service",
        help="service: what the endpoint calls (the default); endpoint: POST /api/mp/v1/orders"
        " through the app in process (token, schema, JSON answer), as a client's submission",
    )
    args = parser.parse_args()
    mix = "idle" if args.idle else args.mix
    rng = random.Random(27)

    settings = {"RATELIMIT_ORDERS": "100000000 per minute"}
    with migrated_app(args.database_url, **settings) as (app, _), app.app_context():
        admin = create_staff("bench-admin", "correct-horse-1", "admin")
        branch, customer, ids = seed(rng, args.skus)
        idle = mix == "idle"
        promoted, ordered = (ids[: len(ids) // 10], ids[len(ids) // 10 :]) if idle else (ids, ids)
        line_priced = sorted(add_promotions(rng, admin, branch, promoted, args.promotions, mix))
        others = sorted(set(ordered) - set(line_priced))
        keys = iter(range(10**9))

        def basket(r: random.Random) -> list[LineRequest]:
            """5 lines, qty 1-10: 2 from the products with a line price, 3 from the others; idle:
            5 from the products no promotion names."""
            chosen = r.sample(others, 5) if idle else r.sample(line_priced, 2) + r.sample(others, 3)
            return [LineRequest(p, r.randint(1, 10)) for p in chosen]

        client = app.test_client()
        dealer = WechatUser.create(openid="bench-dealer", role="dealer", customer=customer.id)
        token = {"Authorization": f"Bearer {tokens.issue('mp', dealer.id, role='dealer')}"}

        def submit(lines: list[LineRequest]) -> None:
            key = f"k{next(keys)}"
            if args.orders_via == "service":
                ordering.submit_order(customer, lines, idempotency_key=key)
                return
            body = {"lines": [{"product_id": ln.product_id, "qty": ln.qty} for ln in lines]}
            answer = client.post(
                "/api/mp/v1/orders", json=body, headers={**token, "Idempotency-Key": key}
            )
            assert answer.status_code == 201, answer.get_json()

        def page(number: int) -> None:
            mall_catalog.list_products(
                customer, q=None, category_id=None, page=number, per_page=20, low_threshold=10
            )

        def timed(work, inputs: list) -> list[float]:
            samples = []
            for given in inputs:
                started = time.perf_counter()
                work(given)
                samples.append(time.perf_counter() - started)
            return samples

        pages = args.skus // 20
        made = {}
        results = []
        for name, work, draw in (
            ("order submission", submit, basket),
            ("catalogue page", page, lambda r: r.randint(1, pages)),
        ):
            for phase in (False, True):
                set_promotions(phase)
                for _ in range(10):
                    work(draw(rng))  # warm: connections, parsed promotions
            # Short blocks, alternating, so that a machine shared with other work drifts under
            # both alike; A-B then B-A in turn. Both phases of a block take the same inputs (the
            # same baskets, the same pages), each order a fresh Idempotency-Key.
            none, active = [], []
            counts = [0, 0, 0, 0]  # orders, discounts, gift lines, most gifts on one order (B)
            for block in range(max(1, args.repeat // BLOCK)):
                inputs = [draw(rng) for _ in range(BLOCK)]
                for phase in (False, True) if block % 2 == 0 else (True, False):
                    set_promotions(phase)
                    before = _made()
                    (active if phase else none).extend(timed(work, inputs))
                    if phase:
                        after = _made()
                        for i in range(3):
                            counts[i] += after[i] - before[i]
                        counts[3] = max(counts[3], after[3])
            made[name] = counts
            for pct in (50, 99):
                a, b, ratio = _ratio(none, active, pct)
                results.append((name, pct, a, b, ratio))
        for name, pct, a, b, ratio in results:
            print(
                f"{name:<17} p{pct}  none {a:6.2f} ms  {args.promotions} active {b:6.2f} ms"
                f"  B/A {ratio:.3f}"
            )
        orders, discounts, gifts, most = made["order submission"]
        print(
            f"{args.skus} SKUs, {args.promotions} promotions ({mix}), {args.repeat} calls per"
            f" phase, orders via the {args.orders_via},"
            f" {'PostgreSQL' if is_postgres() else 'SQLite'}; with promotions {discounts / orders:.0%} of"
            f" orders got a 满减, {gifts / orders:.2f} gift lines an order (at most {most})"
        )


if __name__ == "__main__":
    main()
