"""Promotions benchmark: order submission and a catalogue page with 50 promotions active on a
catalogue of 5,000 SKUs, as a ratio to the same without promotions, measured in one run,
alternating blocks of 20 calls with none active (A) and 50 active (B), `--repeat` calls each, the
ratio of the medians: a drift of the machine during the run weighs on both alike. Service level (what the endpoints call), on
PostgreSQL: the HTTP and JSON around it are the same in both phases.

    .venv/bin/python -m bench.promotions [--skus 5000] [--promotions 50] [--repeat 200]
        [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from decimal import Decimal

from app.auth.services import create_staff
from app.backoffice import promotions
from app.core import catalog, organisation
from app.core.models import Order, OrderDiscount, OrderLine, Product, Promotion, Stock
from app.core.orders import LineRequest
from app.db import db, utcnow
from app.mall import catalog as mall_catalog
from app.mall import ordering
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


def add_promotions(rng, admin, branch, ids, count: int, idle: bool = False) -> None:
    """A mix as a busy fair has it: special prices over 20 SKUs each, tiers, full reductions
    (some on a few products), gifts; some for the branch or level 3, all open."""
    window = {
        "starts_at": utcnow() - dt.timedelta(days=1),
        "ends_at": utcnow() + dt.timedelta(days=30),
    }
    for i in range(count):
        kind = ("special_price", "tiered_price", "full_reduction", "gift")[i % 4]
        if kind == "special_price":
            rules = {"items": [{"product_id": p, "price": "4.00"} for p in rng.sample(ids, 20)]}
        elif kind == "tiered_price":
            rules = {"product_id": rng.choice(ids), "tiers": [{"min_qty": 5, "price": "3.00"}]}
        elif kind == "full_reduction":
            rules = {
                "threshold": str(rng.randint(200, 2000) * (1000 if idle else 1)),
                "reduction": "20",
                "repeat": i % 8 == 2,
            }
            if i % 3 == 0:
                rules["product_ids"] = rng.sample(ids, 30)
        elif i % 8 == 3:  # 满赠: a gift for a big order
            rules = {
                "threshold": str(rng.randint(1000, 5000) * (1000 if idle else 1)),
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


BLOCK = 20  # calls per block; blocks alternate between none and all promotions active


def _made() -> tuple[int, int, int]:
    """Orders, discounts and gift lines so far."""
    return (
        Order.select().count(),
        OrderDiscount.select().count(),
        OrderLine.select().where(OrderLine.gift).count(),
    )


def set_promotions(active: bool) -> None:
    Promotion.update(active=active, updated_at=utcnow()).execute()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skus", type=int, default=5000)
    parser.add_argument("--promotions", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument(
        "--idle",
        action="store_true",
        help="promotions that the orders never trigger (thresholds out of reach, products not"
        " ordered): the cost of looking at them alone",
    )
    args = parser.parse_args()
    rng = random.Random(27)

    with migrated_app(args.database_url) as (app, _), app.app_context():
        admin = create_staff("bench-admin", "correct-horse-1", "admin")
        branch, customer, ids = seed(rng, args.skus)
        promoted, ordered = (
            (ids[: len(ids) // 10], ids[len(ids) // 10 :]) if args.idle else (ids, ids)
        )
        add_promotions(rng, admin, branch, promoted, args.promotions, args.idle)
        keys = iter(range(10**9))

        def submit():
            lines = [LineRequest(p, rng.randint(1, 10)) for p in rng.sample(ordered, 5)]
            ordering.submit_order(customer, lines, idempotency_key=f"k{next(keys)}")

        def page():
            mall_catalog.list_products(
                customer,
                q=None,
                category_id=None,
                page=rng.randint(1, 250),
                per_page=20,
                low_threshold=10,
            )

        def timed(work, n: int) -> list[float]:
            samples = []
            for _ in range(n):
                started = time.perf_counter()
                work()
                samples.append(time.perf_counter() - started)
            return samples

        done = {}
        for name, work in (("order submission", submit), ("catalogue page", page)):
            for _ in range(20):
                work()  # warm: connections, parsed promotions
            # Short blocks, alternating, so that a machine shared with other work drifts under
            # both alike; A-B then B-A in turn.
            none, active = [], []
            made = [0, 0, 0]  # orders, discounts, gift lines made with promotions active
            for block in range(max(1, args.repeat // BLOCK)):
                for phase in (False, True) if block % 2 == 0 else (True, False):
                    set_promotions(phase)
                    counts = _made()
                    (active if phase else none).extend(timed(work, BLOCK))
                    if phase:
                        made = [m + a - c for m, a, c in zip(made, _made(), counts, strict=True)]
            done[name] = made
            a, b = percentile(none, 50), percentile(active, 50)
            print(
                f"{name:<17} none p50 {a * 1000:6.2f} ms  {args.promotions} active p50"
                f" {b * 1000:6.2f} ms  ratio {b / a:.3f}"
                f"  (p90 {percentile(active, 90) / percentile(none, 90):.3f})"
            )
        orders, discounts, gifts = done["order submission"]
        print(
            f"{args.skus} SKUs, {args.promotions} promotions, {args.repeat} calls per phase;"
            f" with promotions {discounts / orders:.0%} of orders got a 满减"
            f" and {gifts / orders:.2f} gift lines each" + (" (--idle)" if args.idle else "")
        )


if __name__ == "__main__":
    main()
