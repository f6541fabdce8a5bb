"""Promotions through the services and the database, for any cart and any set of promotions: the
placed order's total is its lines' amounts less its discounts, never below zero, with nothing from
a promotion outside its window or its targets; a repeated submission is still one order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.backoffice import promotions as staff_promotions
from app.core.models import Order, Promotion
from app.core.orders import LineRequest
from app.core.promotion_book import offer_of
from app.core.promotions import Audience
from app.db import utcnow
from app.mall import ordering
from devkit.factories import make_product, put_stock

KINDS = ("special_price", "tiered_price", "full_reduction", "gift")
money_text = st.integers(1, 300_00).map(lambda c: f"{c / 100:.2f}")


def _rules(draw, kind, products):
    pick = st.sampled_from(products)
    if kind == "special_price":
        chosen = draw(st.lists(pick, min_size=1, max_size=2, unique=True))
        return {"items": [{"product_id": p, "price": draw(money_text)} for p in chosen]}
    if kind == "tiered_price":
        qtys = draw(st.lists(st.integers(1, 30), min_size=1, max_size=3, unique=True))
        return {
            "product_id": draw(pick),
            "tiers": [{"min_qty": q, "price": draw(money_text)} for q in qtys],
        }
    if kind == "full_reduction":
        threshold = draw(st.integers(1_00, 3000_00))
        return {
            "threshold": f"{threshold / 100:.2f}",
            "reduction": f"{draw(st.integers(1, threshold)) / 100:.2f}",
            "repeat": draw(st.booleans()),
        }
    gift = {"gift_product_id": draw(pick), "gift_qty": draw(st.integers(1, 30))}
    if draw(st.booleans()):
        gift |= {"product_id": draw(pick), "min_qty": draw(st.integers(1, 20))}
    else:
        gift["threshold"] = draw(money_text)
    return gift


@st.composite
def scenario(draw, products, branches, customers):
    promos = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(KINDS))
        start = draw(st.integers(-48, 24))
        promos.append(
            {
                "name": f"促销 {len(promos)}",
                "kind": kind,
                "rules": _rules(draw, kind, products),
                "starts_at": utcnow() + dt.timedelta(hours=start),
                "ends_at": utcnow() + dt.timedelta(hours=start + draw(st.integers(1, 72))),
                "active": draw(st.booleans()) or draw(st.booleans()),
                "branch_ids": draw(st.lists(st.sampled_from(branches), max_size=1)),
                "price_levels": draw(st.lists(st.integers(1, 3), max_size=2)),
                "customer_ids": draw(st.lists(st.sampled_from(customers), max_size=1)),
            }
        )
    lines = draw(st.lists(st.sampled_from(products), min_size=1, max_size=4, unique=True))
    cart = [(p, draw(st.integers(1, 40))) for p in lines]
    return promos, cart, draw(st.sampled_from(customers))


def test_any_cart_with_any_promotions_totals_right_and_is_placed_once(co):
    more = [make_product("30.00", name="矿泉水"), make_product("88.80", name="礼盒")]
    for product in more:
        put_stock(co.warehouse, product, 50)
    products = [co.tea.id, co.oil.id, *(p.id for p in more)]
    customers = {co.east_customer.id: co.east_customer, co.south_customer.id: co.south_customer}
    admin = co.staff["admin"]
    seen = {"n": 0}

    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(scenario(products, [co.east.id, co.south.id], list(customers)))
    def check(case):
        promos, cart, customer_id = case
        Promotion.update(active=False).execute()  # the last example's promotions end
        made = [staff_promotions.create_promotion(admin, dict(p)) for p in promos]
        customer = customers[customer_id]
        me = Audience(customer.id, customer.branch_id, customer.price_level)
        now = utcnow()
        allowed = {m.id for m in made if offer_of(m).open_at(now) and offer_of(m).targets(me)}
        seen["n"] += 1
        key = f"prop-{seen['n']}"
        lines = [LineRequest(p, q) for p, q in cart]
        before = Order.select().count()
        order, created = ordering.submit_order(customer.id, lines, idempotency_key=key)
        again, created_again = ordering.submit_order(customer.id, lines, idempotency_key=key)
        assert created and not created_again and again.id == order.id
        assert Order.select().count() == before + 1

        stored = ordering.customer_order(customer.id, order.id)
        amounts = sum((ln.amount for ln in stored.lines), Decimal(0))
        discounts = sum((d.amount for d in stored.discounts), Decimal(0))
        assert stored.total == amounts - discounts >= 0
        assert stored.discount_total == discounts
        assert sum((ln.discount for ln in stored.lines), Decimal(0)) == discounts
        assert {d.promotion_id for d in stored.discounts} <= allowed
        assert {ln.promotion_id for ln in stored.lines if ln.promotion_id} <= allowed
        assert all(ln.price == 0 for ln in stored.lines if ln.gift)

    check()
