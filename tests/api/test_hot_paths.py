"""The two paths an ordering fair carries: the catalogue (cached per price level or price book and
warehouse, with ETag and 304, invalidated by every change) and order submission (7 statements
on PostgreSQL, answered without marshmallow, counted against its rate limit on a Redis connection
each thread keeps)."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal

import pytest
import requests
from limits import parse
from limits.strategies import FixedWindowRateLimiter
from marshmallow import Schema

from app import web_sessions
from app.core import catalog, orders, stock
from app.core.models import Customer
from app.core.orders import LineRequest
from app.db import db, is_postgres, utcnow
from app.extensions import LimiterPerThread
from app.mall import accounts, favourites, ordering
from app.notify.models import InboxMessage
from app.runtime import redis
from app.schemas import OrderOut, order_out
from devkit.databases import statements
from devkit.factories import make_customer, make_product, make_staff
from devkit.testing.clients import MP, bearer, bind, bind_dealer
from devkit.testing.concurrency import all_at_once


@pytest.fixture
def cache_on(app):
    """The catalogue cache lives only where Redis can say what changed."""
    if redis.client is None:
        pytest.skip("needs Redis (TEST_REDIS_URL), as in CI")


def page(client, headers, **query):
    response = client.get(f"{MP}/catalog/products", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response


def prices(client, headers, **query) -> dict[int, str]:
    return {p["id"]: p["price"] for p in page(client, headers, **query).get_json()["items"]}


def statuses(client, headers) -> dict[int, str]:
    return {p["id"]: p["stock_status"] for p in page(client, headers).get_json()["items"]}


# --- the catalogue ---------------------------------------------------------------------------


def test_a_client_revalidates_its_page_with_the_etag(client, shop, dealer):
    first = page(client, dealer)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert "Authorization" in first.headers["Vary"]
    again = client.get(f"{MP}/catalog/products", headers={**dealer, "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    # Another page, or the same page once a price moved, is a new body with a new tag.
    assert page(client, dealer, per_page=1).headers["ETag"] != etag
    catalog.update_product(shop.tea.id, prices={3: Decimal("44.00")})
    changed = client.get(f"{MP}/catalog/products", headers={**dealer, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_cached_page_costs_the_sign_in_with_the_favourites(client, shop, dealer, cache_on):
    favourites.add(shop.customer.id, shop.tea.id)
    favourites.add(shop.customer.id, shop.oil.id)
    page(client, dealer)
    with statements() as ran:
        marked = {p["id"]: p["favourite"] for p in page(client, dealer).get_json()["items"]}
    # The bound check read with the dealer's favourites; the page itself came from the cache.
    assert len(ran) == 1, ran
    assert "FROM wechat_user u" in ran[0] and "FROM favourite" in ran[0], ran
    assert {i for i, flag in marked.items() if flag} == {shop.tea.id, shop.oil.id}


def test_dealers_of_one_level_share_a_page_but_a_price_book_is_its_owners(
    client, shop, dealer, cache_on
):
    level_three = make_customer(shop.branch, shop.warehouse, level=3)
    neighbour = bind_dealer(client, level_three, "dealer-c")
    page(client, neighbour)
    booked = prices(client, dealer)  # shop.customer is level 3 with a price book
    with statements() as ran:
        theirs = prices(client, neighbour)
    assert len(ran) == 1  # the sign-in with the favourites
    assert booked[shop.oil.id] == "170.00" and theirs[shop.oil.id] == "180.00"
    assert booked[shop.tea.id] == theirs[shop.tea.id] == "45.00"


def test_every_change_reaches_a_cached_page(client, shop, dealer, other_dealer, cache_on, app):
    assert prices(client, dealer)[shop.tea.id] == "45.00"
    assert prices(client, other_dealer)[shop.tea.id] == "50.00"

    catalog.update_product(shop.tea.id, prices={3: Decimal("43.00")})  # a level price
    assert prices(client, dealer)[shop.tea.id] == "43.00"
    catalog.update_product(shop.tea.id, list_price=Decimal("52.00"))  # the list price
    assert prices(client, other_dealer)[shop.tea.id] == "52.00"
    catalog.set_customer_price(shop.customer.id, shop.tea.id, Decimal("41.00"))  # a price book
    assert prices(client, dealer)[shop.tea.id] == "41.00"
    catalog.set_customer_price(shop.other.id, shop.oil.id, Decimal("190.00"))  # a new book
    assert prices(client, other_dealer)[shop.oil.id] == "190.00"

    catalog.update_product(shop.tea.id, active=False)  # off sale
    assert shop.tea.id not in prices(client, dealer)
    fresh = make_product("8.00", name="新品", category_id=shop.food.id)  # a new product
    assert fresh.id in prices(client, dealer)
    tins = catalog.create_category("罐头", shop.food.id)  # a category under a filtered one
    canned = make_product("6.00", name="午餐肉", category_id=tins.id)
    assert canned.id in prices(client, dealer, category_id=shop.food.id)

    assert statuses(client, dealer)[shop.oil.id] == "low"
    stock.adjust(shop.warehouse.id, shop.oil.id, 100, "入库")  # stock counted in
    assert statuses(client, dealer)[shop.oil.id] == "in_stock"
    stock.reserve(shop.warehouse.id, [(shop.oil.id, 100)], "SO-T")  # an approval reserves
    assert statuses(client, dealer)[shop.oil.id] == "low"


def test_a_change_reaches_every_worker(gunicorn, shop, cache_on, app):
    """Pages cached in several gunicorn workers all move on after one commit elsewhere."""
    token = bind_dealer(app.test_client(), shop.customer, "dealer-g")
    session = requests.Session()

    def tea_prices() -> set[str]:
        seen = set()
        for _ in range(12):  # spread over the workers and their threads
            body = session.get(f"{gunicorn.url}{MP}/catalog/products", headers=token, timeout=10)
            assert body.status_code == 200
            seen |= {p["price"] for p in body.json()["items"] if p["id"] == shop.tea.id}
        return seen

    assert tea_prices() == {"45.00"}
    catalog.update_product(shop.tea.id, prices={3: Decimal("39.00")})
    assert tea_prices() == {"39.00"}


# --- order submission ------------------------------------------------------------------------


_WEBHOOK_READ = "SELECT id, events FROM webhook_endpoint WHERE active"
_NOTIFICATION_INSERT = 'INSERT INTO "notification"'


def _submit(client, headers, key, lines):
    return client.post(
        f"{MP}/orders", json={"lines": lines}, headers={**headers, "Idempotency-Key": key}
    )


def test_an_order_is_submitted_in_three_round_trips(client, shop, dealer):
    lines = [{"product_id": shop.tea.id, "qty": 1}, {"product_id": shop.oil.id, "qty": 2}]
    with statements() as ran:
        response = _submit(client, dealer, "hot-1", lines)
    assert response.status_code == 201, response.get_json()
    # The signed-in dealer read with the key's look-up, the promotions open now, the webhook
    # subscribers and the products at the dealer's prices + stock; the order (numbered in its
    # insert) with its lines and first event (one statement on PostgreSQL; three on SQLite),
    # customer service's notification, the idempotency key with the cart (two statements on
    # SQLite).
    assert len(ran) == (4 if is_postgres() else 7), ran
    assert "FROM wechat_user u" in ran[0] and "idempotency_key" in ran[0], ran
    assert "webhook_endpoint" in ran[0] and _WEBHOOK_READ not in ran
    # The products' prices and stock are subqueries by unique indexes, not joins: PostgreSQL
    # plans the statement in about half the time (orders.priced_columns).
    assert not re.search(r"JOIN (customer_price|product_price|stock)\b", ran[0]), ran[0]
    assert not [sql for sql in ran[1:] if "wechat_user" in sql.split(" WHERE")[0]], ran
    (notification,) = [i for i, sql in enumerate(ran) if sql.startswith(_NOTIFICATION_INSERT)]
    if is_postgres():
        # The notification, then the key, go with the COMMIT (logged as it is sent, after the
        # rest): three round trips.
        assert notification == len(ran) - 2, ran
    body = response.get_json()
    assert body["number"].endswith(f"{body['id']:06d}") and body["address"]


def test_a_product_put_in_the_cart_is_answered_in_four_round_trips(client, shop, dealer):
    """PUT /cart/items: the sign-in; the product on sale (with BEGIN); the line, sent with the
    COMMIT on PostgreSQL; then the cart at the dealer's prices with the promotions open now
    (six round trips before: the line and the COMMIT apart, the promotions on their own)."""
    with statements(with_params=True) as ran:
        response = client.put(f"{MP}/cart/items/{shop.tea.id}", json={"qty": 2}, headers=dealer)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["items"][0]["qty"] == 2
    sql = [s for s, _ in ran]
    assert len(ran) == 4, sql
    assert "FROM wechat_user" in sql[0] and "FROM product p" in sql[1], sql
    upsert, line_params = ran[2]
    assert upsert.startswith("INSERT INTO cart_item"), sql
    assert (line_params is None) == is_postgres()  # bound into the COMMIT's query string
    assert "FROM cart_item ci" in sql[3] and "FROM promotion" in sql[3], sql


def test_the_hand_written_answer_is_the_schema_answer(client, shop, dealer):
    lines = [{"product_id": shop.oil.id, "qty": 40}, {"product_id": shop.tea.id, "qty": 2}]
    response = _submit(client, dealer, "hot-2", lines)
    body = response.get_json()
    codes = {w["code"] for w in body["warnings"]}
    assert codes == {"insufficient_stock", "credit_exceeded"}  # 40 > 5 in stock; 6800 > 5000
    stored = OrderOut().dump(ordering.customer_order(shop.customer.id, body["id"]))
    assert {**stored, "warnings": body["warnings"]} == body
    # The same, in memory, straight from the service, warnings included.
    order, _ = ordering.submit_order(
        shop.customer, [LineRequest(shop.tea.id, 1)], idempotency_key="hot-3"
    )
    assert order_out(order) == OrderOut().dump(order)
    # A repeated key answers the stored order, with 200, as the schema writes it: the order as
    # it is now (approved: two events), without the warnings of its submission.
    again = _submit(client, dealer, "hot-2", lines)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    assert again.get_json() == OrderOut().dump(
        ordering.customer_order(shop.customer.id, body["id"])
    )
    orders.approve_order(order.id, "staff:t")
    again = _submit(client, dealer, "hot-3", lines)
    stored = OrderOut().dump(ordering.customer_order(shop.customer.id, order.id))
    assert again.get_json() == stored and len(stored["events"]) == 2
    assert "warnings" not in stored


def test_a_dealers_login_reads_their_customer_with_it(client, shop, dealer):
    """The login's answer names the dealer's customer: read with the login, in SQL written once,
    as the ORM would read it (no lazy load as the answer is built). On PostgreSQL the login is
    one statement and one round trip (no BEGIN, no COMMIT); SQLite reads the customer apart."""
    with statements() as ran:
        user = accounts.login("dealer-a")  # the `dealer` fixture's WeChat user, bound to the shop
    assert len(ran) == (1 if is_postgres() else 2), ran
    assert not db.in_transaction()
    with statements() as ran:
        customer = user.customer
    assert ran == []
    assert customer.__data__ == Customer.get_by_id(shop.customer.id).__data__
    unbound = accounts.login("login-nobody")
    assert unbound.role is None and unbound.customer_id is None


def test_the_home_screen_is_one_statement(client, shop, dealer):
    """/me: the signed-in check, read with the branch's name and the inbox's unread count."""
    orders.approve_order(
        orders.create_order(shop.customer, [LineRequest(shop.tea.id, 1)], placed_by="t").id, "t"
    )  # the dealer hears of the approval: one unread message
    with statements() as ran:
        me = client.get(f"{MP}/me", headers=dealer).get_json()
    assert len(ran) == 1 and "FROM inbox_message" in ran[0], ran
    assert me["customer"]["branch_name"] == shop.branch.name and me["unread"] == 1
    rep = make_staff("rep", shop.branch)
    rep_headers = bind(client, "home-rep", accounts.create_invitation("rep", staff_id=rep.id))
    rep_me = client.get(f"{MP}/me", headers=rep_headers).get_json()
    assert (rep_me["role"], rep_me["customer"], rep_me["unread"]) == ("rep", None, 0)
    for read_at in (None, utcnow()):  # the rep's own inbox: one unread, one read
        InboxMessage.create(staff=rep, kind="visit_due", title="拜访提醒", read_at=read_at)
    assert client.get(f"{MP}/me", headers=rep_headers).get_json()["unread"] == 1
    unbound = client.post(f"{MP}/auth/login", json={"code": "home-nobody"}).get_json()["token"]
    assert client.get(f"{MP}/me", headers=bearer(unbound)).get_json()["unread"] == 0


def test_an_order_pays_for_nothing_it_does_not_use(client, shop, dealer, monkeypatch):
    """No schema built per request (building one deep-copies its fields), no extension checking
    limits on every request (only limited views count), no session id drawn for a session that
    an API call never keeps."""
    built, drawn = [], []
    init = Schema.__init__

    def counting_init(self, *args, **kwargs):
        built.append(type(self).__name__)
        init(self, *args, **kwargs)

    def counting_token(nbytes):
        drawn.append(nbytes)
        return secrets.token_urlsafe(nbytes)

    _submit(client, dealer, "warm", [{"product_id": shop.tea.id, "qty": 1}])
    monkeypatch.setattr(Schema, "__init__", counting_init)
    monkeypatch.setattr(web_sessions.secrets, "token_urlsafe", counting_token)
    answer = _submit(client, dealer, "lean", [{"product_id": shop.tea.id, "qty": 1}])
    assert answer.status_code == 201 and "Set-Cookie" not in answer.headers
    assert built == [] and drawn == []
    hooks = client.application.before_request_funcs
    assert not any("limit" in f.__module__ for fs in hooks.values() for f in fs)


def test_a_refused_order_says_when_to_come_back(client, shop, dealer, app):
    app.config["RATELIMIT_ORDERS"] = "2 per minute"
    try:
        answers = [
            _submit(client, dealer, f"limit-{i}", [{"product_id": shop.tea.id, "qty": 1}])
            for i in range(3)
        ]
    finally:
        app.config["RATELIMIT_ORDERS"] = "1000 per minute"
    assert [a.status_code for a in answers] == [201, 201, 429]
    refused = answers[-1]
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "X-RateLimit-Remaining" not in answers[0].headers  # no Redis round trips for headers


def test_the_counts_of_every_thread_land_in_one_window(app):
    """Each thread counts on a Redis connection of its own (LimiterPerThread): the counts of
    all of them are one count, refused past the limit; a connection the server dropped is made
    again for the next count, which still lands in Redis."""
    shared, prefix = app.extensions["rate_limits"]
    if not isinstance(shared, LimiterPerThread):
        pytest.skip("needs Redis (TEST_REDIS_URL), as in CI")
    item, key = parse("40 per minute"), f"threads-{secrets.token_hex(4)}"
    allowed = all_at_once([lambda: [shared.hit(item, prefix, "t", key) for _ in range(5)]] * 8)
    assert sum(map(sum, allowed)) == 40
    assert not shared.hit(item, prefix, "t", key)  # the 41st, from yet another thread's count
    other = f"dropped-{secrets.token_hex(4)}"
    assert shared.hit(item, prefix, "t", other)
    redis.client.client_kill_filter(_type="normal", skip_me=True)  # the server drops them all
    assert shared.hit(item, prefix, "t", other)
    assert shared.get_window_stats(item, prefix, "t", other).remaining == 38


def test_a_count_on_the_connection_is_the_limiters_own_count(app):
    """LimiterPerThread.hit sends limits' script on the thread's connection itself: its counts
    and limits' FixedWindowRateLimiter's land on one key with one window (expiry set by the
    first count), and a script the server no longer holds (Redis restarted) is loaded again."""
    shared, prefix = app.extensions["rate_limits"]
    if not isinstance(shared, LimiterPerThread):
        pytest.skip("needs Redis (TEST_REDIS_URL), as in CI")
    item, key = parse("5 per minute"), f"fast-{secrets.token_hex(4)}"
    plain = FixedWindowRateLimiter(shared._limiter().storage)
    assert [shared.hit(item, prefix, "t", key) for _ in range(3)] == [True] * 3
    assert plain.hit(item, prefix, "t", key)
    stored = shared._limiter().storage.prefixed_key(item.key_for(prefix, "t", key))
    assert int(redis.client.get(stored)) == 4
    assert 0 < redis.client.ttl(stored) <= 60
    redis.client.script_flush()
    assert [shared.hit(item, prefix, "t", key) for _ in range(2)] == [True, False]
    assert plain.get_window_stats(item, prefix, "t", key).remaining == 0
