"""Promotions through the API: each kind priced in the cart and the order as API.md fixes it,
targeting and windows, the order keeping what it was given, gifts reserving stock, discounts in
shipments, approvals and the catalogue's labels; the admin endpoints' permissions and checks."""

from __future__ import annotations

import datetime as dt
import re
import time
from decimal import Decimal

import pytest

from app.approval import services as approvals
from app.core.models import Customer, Stock
from app.mall import ordering
from app.runtime import redis
from app.schemas import OrderOut
from app.timeutil import local_today
from devkit.databases import statements
from devkit.factories import make_customer, make_product, make_staff, put_stock
from devkit.testing.clients import ADMIN, MP, bind_dealer, create_promotion, staff_headers

NOW = dt.datetime.now(dt.UTC)


def at(days: float = 0) -> str:
    return (NOW + dt.timedelta(days=days)).isoformat(timespec="seconds")


def promote(client, co, kind, rules, *, who="admin", expect=201, **fields):
    return create_promotion(client, co.headers(who), kind, rules, expect=expect, **fields)


def ten_teas_get_one(client, co, gift, **fields):
    """The gift promotion several tests take: 10 tea bought, one `gift` given."""
    rules = {"product_id": co.tea.id, "min_qty": 10, "gift_product_id": gift.id, "gift_qty": 1}
    return promote(client, co, "gift", rules, **fields)


@pytest.fixture
def dealer(client, co):
    """The east customer's dealer (level 3: tea 45.00, oil 200.00), its cart empty."""
    return bind_dealer(client, co.customer, "promo-east")


def put(client, dealer, product, qty):
    response = client.put(f"{MP}/cart/items/{product.id}", json={"qty": qty}, headers=dealer)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def cart(client, dealer):
    return client.get(f"{MP}/cart", headers=dealer).get_json()


def order(client, dealer, lines, key):
    response = client.post(
        f"{MP}/orders",
        json={"lines": [{"product_id": p.id, "qty": q} for p, q in lines]},
        headers={**dealer, "Idempotency-Key": key},
    )
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def line_of(body, product, gift=False):
    lines = body.get("items") or body.get("lines")
    return next(ln for ln in lines if ln["product_id"] == product.id and ln["gift"] == gift)


# --- the kinds ------------------------------------------------------------------------------


def test_a_special_price_lowers_the_line_and_the_order_keeps_it(client, co, dealer):
    made = promote(
        client, co, "special_price", {"items": [{"product_id": co.tea.id, "price": "40"}]}
    )
    assert made["label"] == "特价" and made["status"] == "open"
    assert made["rules"] == {"items": [{"product_id": co.tea.id, "price": "40.00"}]}
    line = line_of(put(client, dealer, co.tea, 10), co.tea)
    assert (line["price"], line["original_price"], line["promotion"]) == ("40.00", "45.00", "特价")
    placed = order(client, dealer, [(co.tea, 10)], "sp-1")
    placed_line = line_of(placed, co.tea)
    assert placed_line["price"] == "40.00" and placed_line["promotion"] == "特价"
    assert placed["total"] == placed["subtotal"] == "400.00" and placed["discounts"] == []
    # A later change to the promotion never changes the placed order.
    changed = client.patch(
        f"{ADMIN}/promotions/{made['id']}",
        json={"rules": {"items": [{"product_id": co.tea.id, "price": "30.00"}]}},
        headers=co.headers("admin"),
    )
    assert changed.status_code == 200, changed.get_json()
    again = client.get(f"{MP}/orders/{placed['id']}", headers=dealer).get_json()
    assert again["total"] == "400.00" and line_of(again, co.tea)["price"] == "40.00"
    assert line_of(put(client, dealer, co.tea, 10), co.tea)["price"] == "30.00"


def test_a_special_price_above_the_dealers_own_price_changes_nothing(client, co, dealer):
    promote(client, co, "special_price", {"items": [{"product_id": co.tea.id, "price": "48.00"}]})
    line = line_of(put(client, dealer, co.tea, 1), co.tea)
    assert line["price"] == "45.00" and line["promotion"] is None


def test_a_tier_applies_from_its_quantity_and_the_lowest_price_wins(client, co, dealer):
    tiers = [{"min_qty": 10, "price": "42.00"}, {"min_qty": 50, "price": "38.00"}]
    promote(client, co, "tiered_price", {"product_id": co.tea.id, "tiers": tiers})
    assert line_of(put(client, dealer, co.tea, 9), co.tea)["price"] == "45.00"
    assert line_of(put(client, dealer, co.tea, 10), co.tea)["price"] == "42.00"
    assert line_of(put(client, dealer, co.tea, 50), co.tea)["promotion"] == "阶梯价"
    promote(client, co, "special_price", {"items": [{"product_id": co.tea.id, "price": "40.00"}]})
    assert line_of(put(client, dealer, co.tea, 10), co.tea)["price"] == "40.00"  # 特价 < tier
    assert line_of(put(client, dealer, co.tea, 50), co.tea)["price"] == "38.00"  # tier < 特价
    assert order(client, dealer, [(co.tea, 50)], "tier-1")["total"] == "1900.00"


def test_a_full_reduction_says_what_is_short_then_takes_off_the_largest(client, co, dealer):
    promote(
        client, co, "full_reduction", {"threshold": "1000", "reduction": "50"}, name="满千减五十"
    )
    promote(client, co, "full_reduction", {"threshold": "2000", "reduction": "150"})
    body = put(client, dealer, co.oil, 4)  # 800.00
    assert body["discounts"] == [] and body["total"] == "800.00"
    assert "满千减五十（满1000减50）：再买 ¥200.00 可减 ¥50.00" in body["promotions"]
    body = put(client, dealer, co.oil, 5)  # 1000.00
    assert body["subtotal"] == "1000.00" and body["discount_total"] == "50.00"
    assert body["total"] == "950.00"
    assert (
        body["discounts"][0]["name"] == "满千减五十" and body["discounts"][0]["amount"] == "50.00"
    )
    assert "full_reduction 测试（满2000减150）：再买 ¥1,000.00 可减 ¥150.00" in body["promotions"]
    body = put(client, dealer, co.oil, 10)  # 2000.00: the larger one alone
    assert body["discount_total"] == "150.00" and len(body["discounts"]) == 1
    placed = order(client, dealer, [(co.oil, 10)], "fr-1")
    assert (placed["subtotal"], placed["discount_total"], placed["total"]) == (
        "2000.00",
        "150.00",
        "1850.00",
    )
    assert line_of(placed, co.oil)["discount"] == "150.00"
    # The key again: the stored order with its discount, as the schema writes it.
    again = order(client, dealer, [(co.oil, 10)], "fr-1")
    stored = OrderOut().dump(ordering.customer_order(co.customer.id, placed["id"]))
    assert again == stored and {**stored, "warnings": placed["warnings"]} == placed


def test_a_repeated_reduction_counts_every_threshold_and_a_narrow_one_only_its_lines(
    client, co, dealer
):
    promote(
        client,
        co,
        "full_reduction",
        {"threshold": "500", "reduction": "20", "repeat": True, "product_ids": [co.oil.id]},
    )
    body = put(client, dealer, co.tea, 100)  # 4500 of tea: not counted
    assert body["discount_total"] == "0.00"
    body = put(client, dealer, co.oil, 6)  # 1200 of oil: twice 500
    assert body["discount_total"] == "40.00"
    assert (
        "full_reduction 测试（每满500减20）：已减 ¥40.00，再买 ¥300.00 可减 ¥60.00"
        in body["promotions"]
    )
    placed = order(client, dealer, [(co.tea, 100), (co.oil, 6)], "fr-2")
    assert placed["total"] == "5660.00"
    assert line_of(placed, co.oil)["discount"] == "40.00"
    assert line_of(placed, co.tea)["discount"] == "0.00"


def test_a_gift_is_a_free_line_that_reserves_stock_on_approval(client, co, dealer):
    ten_teas_get_one(client, co, co.oil, name="买十赠油")
    body = put(client, dealer, co.tea, 9)
    assert not any(ln["gift"] for ln in body["items"])
    assert "买十赠油（买10赠1）：再买 1 件可赠 1 件" in body["promotions"]
    body = put(client, dealer, co.tea, 10)
    gift = line_of(body, co.oil, gift=True)
    assert (gift["price"], gift["amount"], gift["qty"], gift["promotion"]) == (
        "0.00",
        "0.00",
        1,
        "买10赠1",
    )
    assert body["total"] == "450.00" and body["count"] == 10
    placed = order(client, dealer, [(co.tea, 10)], "gift-1")
    gift = line_of(placed, co.oil, gift=True)
    assert gift["price"] == "0.00" and placed["total"] == "450.00"
    approved = client.post(
        f"{ADMIN}/orders/{placed['id']}/approve", json={}, headers=co.headers("cs")
    )
    assert approved.status_code == 200, approved.get_json()
    oil = Stock.get((Stock.warehouse == co.warehouse.id) & (Stock.product == co.oil.id))
    assert oil.reserved == 1


def test_a_gift_this_process_has_not_seen_is_read_then_read_ahead(client, co, dealer):
    """An order's products are read with its key, with the gifts of the promotions this process
    read last. The gift of a promotion made since is read in a statement of its own on the next
    order, and given; the order after reads no more than one without promotions."""
    order(client, dealer, [(co.tea, 1)], "guess-0")  # the process reads the promotions open
    with statements() as plain:
        order(client, dealer, [(co.tea, 1)], "guess-1")
    ten_teas_get_one(client, co, co.oil)
    with statements() as first:
        placed = order(client, dealer, [(co.tea, 10)], "guess-2")
    with statements() as second:
        again = order(client, dealer, [(co.tea, 10)], "guess-3")
    for body in (placed, again):
        assert line_of(body, co.oil, gift=True)["qty"] == 1
    assert (len(first), len(second)) == (len(plain) + 1, len(plain))


def test_a_gift_short_of_stock_is_left_out_with_a_warning(client, co, dealer):
    promote(
        client,
        co,
        "gift",
        {"threshold": "400", "gift_product_id": co.oil.id, "gift_qty": 11},  # 10 oil in stock
    )
    body = put(client, dealer, co.tea, 10)
    assert not any(ln["gift"] for ln in body["items"])
    assert [w["code"] for w in body["warnings"]] == ["gift_out_of_stock"]
    placed = order(client, dealer, [(co.tea, 10)], "gift-2")
    assert not any(ln["gift"] for ln in placed["lines"])
    warning = next(w for w in placed["warnings"] if w["code"] == "gift_out_of_stock")
    assert "赠品花生油库存不足" in warning["message"]


def test_a_buy_one_get_one_of_the_same_product_is_two_lines(client, co, dealer):
    promote(
        client,
        co,
        "gift",
        {
            "product_id": co.tea.id,
            "min_qty": 5,
            "gift_product_id": co.tea.id,
            "gift_qty": 1,
            "repeat": True,
        },
    )
    placed = order(client, dealer, [(co.tea, 12)], "gift-3")
    assert line_of(placed, co.tea)["qty"] == 12
    assert line_of(placed, co.tea, gift=True)["qty"] == 2
    assert placed["total"] == "540.00"


# --- targeting and the window ----------------------------------------------------------------


@pytest.mark.parametrize(
    "target, applies",
    [
        ({}, True),
        ({"branch_ids": "east"}, True),
        ({"branch_ids": "south"}, False),
        ({"price_levels": [3]}, True),
        ({"price_levels": [1, 2]}, False),
        ({"customer_ids": "mine"}, True),
        ({"customer_ids": "theirs"}, False),
        ({"branch_ids": "east", "price_levels": [1]}, False),
    ],
)
def test_a_promotion_applies_only_to_whom_it_names(client, co, dealer, target, applies):
    names = {
        "east": [co.east.id],
        "south": [co.south.id],
        "mine": [co.customer.id],
        "theirs": [co.south_customer.id],
    }
    target = {k: names.get(v, v) if isinstance(v, str) else v for k, v in target.items()}
    promote(client, co, "full_reduction", {"threshold": "100", "reduction": "10"}, **target)
    body = put(client, dealer, co.tea, 10)
    assert body["discount_total"] == ("10.00" if applies else "0.00")
    listed = client.get(f"{MP}/catalog/products", headers=dealer).get_json()["items"]
    tea = next(p for p in listed if p["id"] == co.tea.id)
    assert tea["promotion"] == ("满100减10" if applies else None)


@pytest.mark.parametrize(
    "window, applies",
    [((-1, 1), True), ((1, 2), False), ((-3, -1), False)],
    ids=["open", "scheduled", "ended"],
)
def test_a_promotion_applies_only_inside_its_window(client, co, dealer, window, applies):
    made = promote(
        client,
        co,
        "special_price",
        {"items": [{"product_id": co.tea.id, "price": "1.00"}]},
        starts_at=at(window[0]),
        ends_at=at(window[1]),
    )
    assert made["status"] == ("open" if applies else "scheduled" if window[0] > 0 else "ended")
    placed = order(client, dealer, [(co.tea, 1)], f"win{window[0]}")
    assert placed["total"] == ("1.00" if applies else "45.00")


def test_ending_early_stops_a_promotion_at_once(client, co, dealer):
    made = promote(client, co, "full_reduction", {"threshold": "100", "reduction": "10"})
    assert put(client, dealer, co.tea, 10)["discount_total"] == "10.00"
    ended = client.post(f"{ADMIN}/promotions/{made['id']}/end", headers=co.headers("admin"))
    assert ended.status_code == 200 and ended.get_json()["status"] == "ended"
    assert cart(client, dealer)["discount_total"] == "0.00"
    assert order(client, dealer, [(co.tea, 10)], "end-1")["total"] == "450.00"
    soon = promote(
        client,
        co,
        "full_reduction",
        {"threshold": "100", "reduction": "10"},
        starts_at=at(1),
        ends_at=at(2),
    )
    stopped = client.post(f"{ADMIN}/promotions/{soon['id']}/end", headers=co.headers("admin"))
    assert stopped.get_json()["status"] == "inactive"


# --- what follows from a discount -------------------------------------------------------------


def test_an_order_shipped_whole_posts_exactly_its_discounted_total(client, co, dealer):
    promote(client, co, "full_reduction", {"threshold": "100", "reduction": "33.33"})
    placed = order(client, dealer, [(co.tea, 7), (co.oil, 3)], "ship-1")  # 315 + 600
    assert placed["total"] == "881.67"
    cs = co.headers("cs")
    assert (
        client.post(f"{ADMIN}/orders/{placed['id']}/approve", json={}, headers=cs).status_code
        == 200
    )
    ids = {ln["product_id"]: ln["id"] for ln in placed["lines"]}
    wh = co.headers("wh")
    for lines in ([(co.tea, 3)], [(co.tea, 4), (co.oil, 1)], [(co.oil, 2)]):
        shipped = client.post(
            f"{ADMIN}/orders/{placed['id']}/shipments",
            json={
                "lines": [{"order_line_id": ids[p.id], "qty": q} for p, q in lines],
                "carrier": "顺丰",
                "tracking_no": "SF1",
            },
            headers=wh,
        )
        assert shipped.status_code == 201, shipped.get_json()
    customer = Customer.get_by_id(co.customer.id)
    assert customer.ar_balance == Decimal("881.67") and customer.held == Decimal("0.00")


def test_a_discount_counts_towards_the_min_discount_rule(client, co, dealer):
    approvals.create_rule(
        "折扣5%以上：总部", {"min_discount_pct": "5"}, [{"role": "hq_approver"}], 1
    )
    plain = order(client, dealer, [(co.oil, 5)], "disc-0")  # 1000 at list price: 0%
    promote(client, co, "full_reduction", {"threshold": "1000", "reduction": "50"})
    discounted = order(client, dealer, [(co.oil, 5)], "disc-1")  # 950 for 1000 of list: 5%
    cs = co.headers("cs")
    first = client.post(f"{ADMIN}/orders/{plain['id']}/approve", json={}, headers=cs).get_json()
    second = client.post(f"{ADMIN}/orders/{discounted['id']}/approve", json={}, headers=cs)
    assert first["status"] == "approved"
    assert second.get_json()["status"] == "pending_review"  # now waits for HQ's signature


def test_the_catalogue_shows_the_best_label_each_dealer_may_have(client, co, dealer):
    ten_teas_get_one(client, co, co.tea)
    promote(client, co, "full_reduction", {"threshold": "1000", "reduction": "50"})
    promote(
        client,
        co,
        "special_price",
        {"items": [{"product_id": co.oil.id, "price": "190"}]},
        branch_ids=[co.east.id],
    )
    south = bind_dealer(client, co.south_customer, "promo-south")
    mine = {
        p["id"]: p["promotion"]
        for p in client.get(f"{MP}/catalog/products", headers=dealer).get_json()["items"]
    }
    theirs = {
        p["id"]: p["promotion"]
        for p in client.get(f"{MP}/catalog/products", headers=south).get_json()["items"]
    }
    assert mine[co.oil.id] == "特价" and theirs[co.oil.id] == "满1000减50"
    assert mine[co.tea.id] == theirs[co.tea.id] == "满1000减50"
    one = client.get(f"{MP}/catalog/products/{co.oil.id}", headers=dealer).get_json()
    assert one["promotion"] == "特价"
    # The 特价 itself, not only its label: what a line of it costs, as the order prices it.
    prices = {
        p["id"]: (p["price"], p["promotion_price"])
        for p in client.get(f"{MP}/catalog/products", headers=dealer).get_json()["items"]
    }
    assert prices[co.oil.id] == ("200.00", "190.00") and one["promotion_price"] == "190.00"
    assert prices[co.tea.id][1] is None  # a full reduction is not a line price
    their_oil = client.get(f"{MP}/catalog/products/{co.oil.id}", headers=south).get_json()
    assert their_oil["promotion_price"] is None
    (line,) = order(client, dealer, [(co.oil, 1)], "label-price")["lines"]
    assert line["price"] == one["promotion_price"]


def test_a_cancelled_return_of_a_discounted_line_credits_what_was_paid(client, co, dealer):
    """A return is valued after the line's share of the discount, as its shipment was."""
    from app.core import returns

    promote(client, co, "full_reduction", {"threshold": "1000", "reduction": "100"})
    placed = order(client, dealer, [(co.oil, 5)], "ret-1")  # 1000 − 100
    client.post(f"{ADMIN}/orders/{placed['id']}/approve", json={}, headers=co.headers("cs"))
    line_id = placed["lines"][0]["id"]
    client.post(
        f"{ADMIN}/orders/{placed['id']}/shipments",
        json={
            "lines": [{"order_line_id": line_id, "qty": 5}],
            "carrier": "顺丰",
            "tracking_no": "1",
        },
        headers=co.headers("wh"),
    )
    request = returns.request_return(co.customer.id, placed["id"], [(line_id, 2)], "坏了", "dealer")
    assert request.amount == Decimal("360.00")  # 2 of 5 at 180.00 after the discount


# --- the admin endpoints -------------------------------------------------------------------


def test_only_those_who_set_prices_manage_promotions(client, co):
    rules = {"threshold": "100", "reduction": "10"}
    for who in ("cs", "bm_east", "wh", "fin"):
        promote(client, co, "full_reduction", rules, who=who, expect=403)
    assert client.get(f"{ADMIN}/promotions", headers=co.headers("wh")).status_code == 403
    assert client.get(f"{ADMIN}/promotions", headers=co.headers("cs")).status_code == 200


def test_a_branch_admin_promotes_to_their_own_branch_only(client, co):
    east_admin = make_staff("admin", co.east, username="admin_e", data_scope="branch")
    headers = staff_headers(east_admin)
    body = {
        "name": "华东满减",
        "kind": "full_reduction",
        "rules": {"threshold": "100", "reduction": "10"},
        "starts_at": at(-1),
        "ends_at": at(1),
    }
    for targets in ({}, {"branch_ids": [co.south.id]}, {"branch_ids": [co.east.id, co.south.id]}):
        refused = client.post(f"{ADMIN}/promotions", json={**body, **targets}, headers=headers)
        assert refused.status_code == 403, refused.get_json()
    outside = {"branch_ids": [co.east.id], "customer_ids": [co.south_customer.id]}
    assert (
        client.post(f"{ADMIN}/promotions", json={**body, **outside}, headers=headers).status_code
        == 404
    )
    made = client.post(
        f"{ADMIN}/promotions", json={**body, "branch_ids": [co.east.id]}, headers=headers
    )
    assert made.status_code == 201, made.get_json()
    everyone = promote(client, co, "full_reduction", body["rules"], branch_ids=[co.south.id])
    seen = client.get(f"{ADMIN}/promotions", headers=headers).get_json()
    assert [p["id"] for p in seen["items"]] == [made.get_json()["id"]]
    assert (
        client.patch(
            f"{ADMIN}/promotions/{everyone['id']}", json={"name": "x"}, headers=headers
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    "kind, rules, field",
    [
        ("special_price", {"items": []}, "rules"),
        ("special_price", {"items": [{"product_id": 1, "price": "-1"}]}, "rules"),
        ("tiered_price", {"product_id": 1, "tiers": [{"min_qty": 0, "price": "1"}]}, "rules"),
        ("full_reduction", {"threshold": "100", "reduction": "200"}, "rules"),
        ("full_reduction", {"threshold": "100", "reduction": "10", "repeat": "yes"}, "rules"),
        ("full_reduction", {"threshold": "100", "reduction": "10", "product_idz": [1]}, "rules"),
        ("gift", {"gift_product_id": 1, "gift_qty": 1}, "rules"),
        ("gift", {"gift_product_id": 1, "gift_qty": 1, "min_qty": 3}, "rules"),
        ("full_reduction", {"threshold": "1e400", "reduction": "1"}, "rules"),
        ("full_reduction", {"threshold": "NaN", "reduction": "1"}, "rules"),
        ("bogus", {}, "kind"),
    ],
)
def test_bad_rules_are_refused_in_words(client, co, kind, rules, field):
    body = promote(client, co, kind, rules, expect=422)
    assert body["error"]["code"] == "validation_error" and field in body["error"]["details"]


def test_a_window_that_ends_before_it_starts_or_an_unknown_product_is_refused(client, co):
    rules = {"threshold": "100", "reduction": "10"}
    promote(client, co, "full_reduction", rules, starts_at=at(2), ends_at=at(1), expect=422)
    promote(
        client, co, "special_price", {"items": [{"product_id": 99999, "price": "1"}]}, expect=404
    )
    made = promote(client, co, "full_reduction", rules)
    moved = client.patch(
        f"{ADMIN}/promotions/{made['id']}", json={"ends_at": at(-5)}, headers=co.headers("admin")
    )
    assert moved.status_code == 422


def test_the_list_filters_by_status_and_the_preview_prices_for_a_dealer(client, co):
    promote(client, co, "full_reduction", {"threshold": "100", "reduction": "10"}, name="进行中")
    promote(
        client,
        co,
        "full_reduction",
        {"threshold": "100", "reduction": "10"},
        name="未开始",
        starts_at=at(1),
        ends_at=at(2),
    )
    admin = co.headers("admin")
    scheduled = client.get(f"{ADMIN}/promotions?status=scheduled", headers=admin).get_json()
    assert [p["name"] for p in scheduled["items"]] == ["未开始"] and scheduled["total"] == 1
    preview = client.post(
        f"{ADMIN}/promotions/preview",
        json={"customer_id": co.customer.id, "lines": [{"product_id": co.tea.id, "qty": 10}]},
        headers=admin,
    )
    assert preview.status_code == 200, preview.get_json()
    body = preview.get_json()
    assert [o["name"] for o in body["offers"]] == ["进行中"]
    assert (body["subtotal"], body["discount_total"], body["total"]) == (
        "450.00",
        "10.00",
        "440.00",
    )
    running = body["offers"][0]["id"]
    assert body["discounts"] == [{"promotion_id": running, "name": "进行中", "amount": "10.00"}]


def test_a_new_product_or_customer_is_promoted_as_the_rules_say(client, co):
    """Targets name no one: a customer and product made after the promotion are in it."""
    promote(client, co, "full_reduction", {"threshold": "10", "reduction": "1"})
    fresh = make_product("20.00", name="新品")
    put_stock(co.warehouse, fresh, 10)
    newcomer = make_customer(co.east, co.warehouse, level=1)
    headers = bind_dealer(client, newcomer, "promo-new")
    assert put(client, headers, fresh, 1)["discount_total"] == "1.00"


def test_adjusting_an_order_keeps_its_gift_and_its_discount_within_its_lines(client, co, dealer):
    promote(client, co, "full_reduction", {"threshold": "400", "reduction": "40"})
    ten_teas_get_one(client, co, co.tea)
    placed = order(client, dealer, [(co.tea, 10)], "adj-1")  # 450 − 40, one tea given
    assert placed["total"] == "410.00" and line_of(placed, co.tea, gift=True)["qty"] == 1
    adjusted = client.patch(
        f"{ADMIN}/orders/{placed['id']}",
        json={"lines": [{"product_id": co.tea.id, "qty": 11}], "reason": "客户加一箱"},
        headers=co.headers("cs"),
    )
    assert adjusted.status_code == 200, adjusted.get_json()
    body = adjusted.get_json()
    assert line_of(body, co.tea)["qty"] == 11 and line_of(body, co.tea, gift=True)["qty"] == 1
    assert (body["subtotal"], body["discount_total"], body["total"]) == (
        "495.00",
        "40.00",
        "455.00",
    )
    assert line_of(body, co.tea)["discount"] == "40.00"
    cut = client.patch(
        f"{ADMIN}/orders/{placed['id']}",
        json={"lines": [{"product_id": co.tea.id, "qty": 1, "price": "30.00"}], "reason": "改价"},
        headers=co.headers("cs"),
    ).get_json()
    assert (cut["subtotal"], cut["discount_total"], cut["total"]) == ("30.00", "30.00", "0.00")


def test_reordering_leaves_the_gift_to_todays_promotions(client, co, dealer):
    made = ten_teas_get_one(client, co, co.oil)
    placed = order(client, dealer, [(co.tea, 10)], "re-1")
    client.post(f"{ADMIN}/promotions/{made['id']}/end", headers=co.headers("admin"))
    again = client.post(f"{MP}/orders/{placed['id']}/reorder", headers=dealer).get_json()
    assert [(ln["product_id"], ln["gift"]) for ln in again["items"]] == [(co.tea.id, False)]
    recent = client.get(f"{MP}/orders/recent-products", headers=dealer).get_json()["items"]
    assert [p["id"] for p in recent] == [co.tea.id]


def test_a_cached_catalogue_page_shows_a_promotion_once_it_is_made_or_its_window_opens(
    client, co, dealer
):
    if redis.client is None:
        pytest.skip("needs Redis (TEST_REDIS_URL), as in CI")

    def label(headers):
        items = client.get(f"{MP}/catalog/products", headers=headers).get_json()["items"]
        return next(p["promotion"] for p in items if p["id"] == co.tea.id)

    neighbour = bind_dealer(
        client, make_customer(co.east, co.warehouse, level=3), "promo-neighbour"
    )
    assert label(dealer) is None and label(neighbour) is None  # one page, cached
    promote(
        client,
        co,
        "full_reduction",
        {"threshold": "100", "reduction": "5"},
        customer_ids=[co.customer.id],
    )
    assert label(dealer) == "满100减5" and label(neighbour) is None
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    promote(
        client,
        co,
        "special_price",
        {"items": [{"product_id": co.tea.id, "price": "1"}]},
        starts_at=soon.isoformat(),
        ends_at=at(1),
    )
    assert label(neighbour) is None
    time.sleep(2.2)  # no write: the window opens
    assert label(neighbour) == "特价"


def test_each_promotion_says_what_it_sold_gave_and_earned(client, co, dealer):
    special = promote(
        client, co, "special_price", {"items": [{"product_id": co.tea.id, "price": "40.00"}]}
    )
    reduction = promote(client, co, "full_reduction", {"threshold": "1000", "reduction": "100"})
    gift = ten_teas_get_one(client, co, co.oil)
    placed = order(client, dealer, [(co.tea, 10), (co.oil, 4)], "res-1")  # 400 + 800 − 100
    assert placed["total"] == "1100.00"
    assert line_of(placed, co.tea)["original_price"] == "45.00"
    order(client, dealer, [(co.tea, 10)], "res-2")  # rejected below: not counted
    rejected = client.get(f"{MP}/orders", headers=dealer).get_json()["items"][0]
    client.post(
        f"{ADMIN}/orders/{rejected['id']}/reject", json={"reason": "重复"}, headers=co.headers("cs")
    )
    cs = co.headers("cs")
    client.post(f"{ADMIN}/orders/{placed['id']}/approve", json={}, headers=cs)
    client.post(
        f"{ADMIN}/orders/{placed['id']}/shipments",
        json={
            "lines": [{"order_line_id": ln["id"], "qty": ln["qty"]} for ln in placed["lines"]],
            "carrier": "顺丰",
            "tracking_no": "SF9",
        },
        headers=co.headers("wh"),
    )
    listed = client.get(f"{ADMIN}/promotions", headers=co.headers("admin")).get_json()["items"]
    results = {p["id"]: p["results"] for p in listed}
    assert results[special["id"]] | {"cost": None, "gross_profit": None, "gross_margin": None} == {
        "orders": 1,
        "sales": "400.00",
        "discount": "50.00",  # 10 × (45 − 40)
        "shipped": "366.67",  # 400 less its share of the 100 off (400 / 1200 of it)
        "cost": None,
        "gross_profit": None,
        "gross_margin": None,
    }
    assert results[reduction["id"]]["sales"] == "1200.00"
    assert results[reduction["id"]]["discount"] == "100.00"
    assert results[reduction["id"]]["shipped"] == "1100.00"
    assert results[gift["id"]]["discount"] == "200.00"  # one oil at the dealer's 200.00
    assert results[gift["id"]]["orders"] == 1
    one = client.get(f"{ADMIN}/promotions/{reduction['id']}", headers=co.headers("admin"))
    assert one.get_json()["results"]["orders"] == 1


def test_the_sales_report_counts_an_order_once_for_a_product_bought_and_given(client, co, dealer):
    ten_teas_get_one(client, co, co.tea)
    order(client, dealer, [(co.tea, 10)], "rep-1")
    today = local_today().isoformat()  # the report's days are Beijing's
    rows = client.get(
        f"{ADMIN}/reports/sales?from={today}&to={today}&group_by=product",
        headers=co.headers("admin"),
    ).get_json()["items"]
    (tea,) = [r for r in rows if r["key"] == co.tea.id]
    assert tea["orders"] == 1 and tea["amount"] == "450.00"


def test_the_console_list_says_what_a_special_or_tiered_price_is(client, co, signed_in):
    promote(client, co, "special_price", {"items": [{"product_id": co.oil.id, "price": "190"}]})
    tiers = [{"min_qty": 10, "price": "42"}, {"min_qty": 50, "price": "40"}]
    promote(client, co, "tiered_price", {"product_id": co.tea.id, "tiers": tiers})
    promote(client, co, "full_reduction", {"threshold": "1000", "reduction": "50"})
    page = signed_in("admin").get("/admin/promotions").get_data(as_text=True)
    rules = re.findall(r'<td class="rule">(.*?)</td>', page)
    assert f"{co.oil.name} ¥190.00" in rules
    assert f"{co.tea.name}：满 10 {co.tea.unit} ¥42.00，满 50 {co.tea.unit} ¥40.00" in rules
    assert "满1000减50" in rules
