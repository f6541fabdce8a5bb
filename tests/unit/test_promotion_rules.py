"""Promotions, pure (app.core.promotions): for any basket and any set of promotions, the total is
the lines' amounts less the discounts and never below zero, and nothing comes from a promotion
outside its window or its targets; discounts shared over lines and parts of a line sum exactly."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import promotions as P
from app.money import money

NOW = dt.datetime(2026, 12, 1, 12, 0)
PRODUCTS = range(1, 7)
CATEGORIES = range(1, 4)
ME = P.Audience(customer_id=7, branch_id=2, price_level=3)

cents_min = Decimal("0.01")
cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)
products = st.sampled_from(list(PRODUCTS))


@st.composite
def rules(draw, kind):
    if kind == "special_price":
        ids = draw(st.lists(products, min_size=1, max_size=3, unique=True))
        return {"items": [{"product_id": i, "price": str(draw(cents))} for i in ids]}
    if kind == "tiered_price":
        qtys = draw(st.lists(st.integers(1, 60), min_size=1, max_size=3, unique=True))
        return {
            "product_id": draw(products),
            "tiers": [{"min_qty": q, "price": str(draw(cents))} for q in qtys],
        }
    if kind == "full_reduction":
        threshold = draw(cents)
        out = {
            "threshold": str(threshold),
            "reduction": str(max(money(threshold * draw(st.integers(1, 100)) / 100), cents_min)),
            "repeat": draw(st.booleans()),
        }
        if draw(st.booleans()):
            out["product_ids"] = draw(st.lists(products, max_size=3, unique=True))
        if draw(st.booleans()):
            out["category_ids"] = draw(st.lists(st.sampled_from(list(CATEGORIES)), max_size=2))
        return out
    out = {"gift_product_id": draw(products), "gift_qty": draw(st.integers(1, 5))}
    if draw(st.booleans()):
        out["product_id"] = draw(products)
        out["min_qty"] = draw(st.integers(1, 20))
    if "product_id" not in out or draw(st.booleans()):
        out["threshold"] = str(draw(cents))
    out["repeat"] = draw(st.booleans())
    return out


@st.composite
def offers(draw, ident):
    kind = draw(st.sampled_from(list(P.KINDS)))
    checked, errors = P.check_rules(kind, draw(rules(kind)))
    assert not errors, errors
    start = NOW + dt.timedelta(hours=draw(st.integers(-48, 24)))
    return P.Offer(
        id=ident,
        name=f"促销{ident}",
        kind=kind,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=draw(st.integers(1, 72))),
        active=draw(st.booleans()) or draw(st.booleans()),
        rules=checked,
        branch_ids=frozenset(draw(st.lists(st.integers(1, 3), max_size=2))),
        price_levels=frozenset(draw(st.lists(st.integers(1, 5), max_size=2))),
        customer_ids=frozenset(draw(st.lists(st.integers(6, 8), max_size=2))),
    )


offer_sets = st.integers(0, 8).flatmap(
    lambda n: st.tuples(*(offers(i + 1) for i in range(n))) if n else st.just(())
)
baskets = st.lists(products, min_size=1, max_size=6, unique=True).flatmap(
    lambda ids: st.tuples(
        *(
            st.builds(
                P.Item,
                st.just(i),
                st.integers(1, 80),
                cents,
                st.sampled_from([None, *CATEGORIES]),
            )
            for i in ids
        )
    )
)


@settings(max_examples=300, deadline=None)
@given(all_offers=offer_sets, items=baskets)
def test_a_basket_totals_its_lines_less_its_discounts_from_open_targeted_promotions_only(
    all_offers, items
):
    eligible = P.open_offers(all_offers, ME, NOW)
    allowed = {o.id for o in all_offers if o.open_at(NOW) and o.targets(ME)}
    assert {o.id for o in eligible} == allowed
    pricing = P.price_basket(eligible, items)

    assert pricing.total == money(sum((ln.amount for ln in pricing.lines), Decimal(0))) - (
        pricing.discount_total
    )
    assert pricing.total >= 0 and pricing.discount_total >= 0
    for line in pricing.lines:
        assert line.price <= line.item.price  # a promotion only ever lowers a price
        assert line.offer is None or line.offer.id in allowed
    if pricing.discount:
        assert (
            pricing.discount.offer.id in allowed and pricing.discount.offer.kind == "full_reduction"
        )
        carrying = [
            ln for ln in pricing.lines if ln.item.product_id in pricing.discount.product_ids
        ]
        assert pricing.discount.amount <= sum((ln.amount for ln in carrying), Decimal(0))
        shares = P.allocate(pricing.discount.amount, [ln.amount for ln in carrying])
        assert sum(shares, Decimal(0)) == pricing.discount.amount
        assert all(0 <= s <= ln.amount for s, ln in zip(shares, carrying, strict=True))
    for gift in pricing.gifts:
        assert gift.offer.id in allowed and gift.qty > 0


def _open_to_all(offer: P.Offer) -> P.Offer:
    return dataclasses.replace(
        offer,
        starts_at=NOW - dt.timedelta(hours=1),
        ends_at=NOW + dt.timedelta(hours=1),
        active=True,
        branch_ids=frozenset(),
        price_levels=frozenset(),
        customer_ids=frozenset(),
    )


# Many promotions, all open to ME, so that several full reductions and gifts meet in a basket.
many_offers = st.integers(4, 20).flatmap(
    lambda n: st.tuples(*(offers(i + 1).map(_open_to_all) for i in range(n)))
)


@settings(max_examples=300, deadline=None)
@given(all_offers=many_offers, items=baskets, listed=st.booleans())
def test_an_order_is_priced_as_its_cart_and_its_gifts_are_among_those_read_with_its_products(
    all_offers, items, listed
):
    """An order's pricing (no words: the best reduction found without trying them all) gives
    the same lines, discount and gifts as the cart's (every promotion tried, in words), whether
    the offers come from open_offers or as a plain list; every gift is among `possible_gifts`."""
    eligible = P.open_offers(all_offers, ME, NOW)
    if listed:
        eligible = list(eligible)
    cart = P.price_basket(eligible, items, words=True)
    order = P.price_basket(eligible, items, words=False)

    assert [(ln.item, ln.price, ln.offer) for ln in order.lines] == [
        (ln.item, ln.price, ln.offer) for ln in cart.lines
    ]
    assert order.discount == cart.discount
    assert order.gifts == cart.gifts
    assert order.progress == []
    possible = P.possible_gifts(eligible, [i.product_id for i in items])
    assert {g.product_id for g in order.gifts} <= possible


@given(
    price=cents,
    qty=st.integers(1, 500),
    discount_pct=st.integers(0, 100),
    cuts=st.lists(st.integers(1, 500), max_size=6),
)
def test_parts_of_a_line_taken_one_after_another_sum_to_the_line_after_its_discount(
    price, qty, discount_pct, cuts
):
    discount = money(price * qty * discount_pct / 100)
    taken, value = 0, Decimal(0)
    for cut in [*cuts, qty]:
        step = min(cut, qty - taken)
        value += P.line_value(price, qty, discount, taken + step) - P.line_value(
            price, qty, discount, taken
        )
        taken += step
    assert taken == qty and value == money(price * qty) - discount


@given(amount=cents, weights=st.lists(cents, min_size=1, max_size=8))
def test_a_discount_shared_over_lines_sums_exactly_and_no_line_gets_more_than_its_amount(
    amount, weights
):
    shares = P.allocate(amount, weights)
    assert sum(shares, Decimal(0)) == min(amount, sum(weights, Decimal(0)))
    assert all(0 <= s <= w for s, w in zip(shares, weights, strict=True))


def test_labels_read_as_dealers_expect():
    def label(kind, rules):
        return P.label_of(kind, P.check_rules(kind, rules)[0])

    assert label("full_reduction", {"threshold": "1000", "reduction": "50"}) == "满1000减50"
    assert label("full_reduction", {"threshold": "99.5", "reduction": "5", "repeat": True}) == (
        "每满99.5减5"
    )
    assert label("gift", {"product_id": 1, "min_qty": 10, "gift_product_id": 2, "gift_qty": 1}) == (
        "买10赠1"
    )
    assert label("gift", {"threshold": "500", "gift_product_id": 2, "gift_qty": 2}) == "满500赠2"
    assert label("special_price", {"items": [{"product_id": 1, "price": "1"}]}) == "特价"


def test_money_in_rules_is_a_string_as_everywhere_in_the_api():
    _, errors = P.check_rules("special_price", {"items": [{"product_id": 1, "price": 8.5}]})
    assert errors == ['第 1 个商品的特价 须写成字符串形式的金额，如 "8.50"']
    _, errors = P.check_rules("full_reduction", {"threshold": 100, "reduction": "5"})
    assert errors == ['满减门槛 须写成字符串形式的金额，如 "8.50"']
    checked, errors = P.check_rules("full_reduction", {"threshold": "100", "reduction": "5"})
    assert not errors and checked["threshold"] == Decimal("100.00")


def test_a_window_is_half_open_and_a_switched_off_promotion_never_applies():
    rules, _ = P.check_rules("full_reduction", {"threshold": "10", "reduction": "1"})
    offer = P.Offer(1, "x", "full_reduction", NOW, NOW + dt.timedelta(hours=1), True, rules)
    assert offer.open_at(NOW) and not offer.open_at(NOW + dt.timedelta(hours=1))
    assert not offer.open_at(NOW - dt.timedelta(seconds=1))
    off = P.Offer(1, "x", "full_reduction", NOW, NOW + dt.timedelta(hours=1), False, rules)
    assert not off.open_at(NOW)
