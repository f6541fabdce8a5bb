"""The order path's fast paths, each held equal to the plain one: a replayed Idempotency-Key
answered from the stored order (read in SQL written once), the key and the cart in one statement
on PostgreSQL, the order numbered in its insert on both engines, the cart's lines read in SQL
written once, and SQLite's connection kept by each thread from one request to the next."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from peewee import IntegrityError

from app.core import orders, promotion_book
from app.core.models import Customer, Order, OrderEvent, OrderLine, Product, Promotion
from app.core.orders import LineRequest
from app.db import (
    PARENT_ID,
    _insert_statement,
    columns_of,
    db,
    execute,
    execute_with_commit,
    from_row,
    insert_family,
    insert_groups,
    insert_rows,
    is_postgres,
    made,
    utcnow,
)
from app.field.models import StockSalesReport
from app.mall import accounts, cart, ordering
from app.mall.catalog import views_for
from app.mall.models import CartItem, IdempotencyKey, WechatUser
from app.notify.models import Notification
from app.numbering import document_number
from app.schemas import OrderOut
from devkit.databases import statements
from devkit.testing.clients import MP
from devkit.testing.concurrency import all_at_once

WRITES = ("INSERT", "UPDATE", "DELETE", "WITH")


def _submit(client, headers, key, lines):
    return client.post(
        f"{MP}/orders", json={"lines": lines}, headers={**headers, "Idempotency-Key": key}
    )


def test_a_replayed_key_is_answered_from_the_stored_order_writing_nothing(client, shop, dealer):
    lines = [{"product_id": shop.tea.id, "qty": 2}, {"product_id": shop.oil.id, "qty": 1}]
    first = _submit(client, dealer, "fast-1", lines)
    assert first.status_code == 201, first.get_json()
    with statements() as ran:
        again = _submit(client, dealer, "fast-1", lines)
    assert again.status_code == 200
    assert not [sql for sql in ran if sql.lstrip().upper().startswith(WRITES)], ran
    # The dealer with the key's look-up, then the stored order: its lines and events gathered
    # in the same statement on PostgreSQL, three statements on SQLite.
    assert len(ran) == (2 if is_postgres() else 4), ran
    whole = OrderOut().dump(ordering.customer_order(shop.customer.id, first.get_json()["id"]))
    assert again.get_json() == whole
    # Other lines under the same key are the same retry: the first order, nothing new.
    other = _submit(client, dealer, "fast-1", [{"product_id": shop.tea.id, "qty": 9}])
    assert (other.status_code, other.get_json()) == (200, whole)


def test_the_products_read_with_the_key_are_those_price_lines_reads(app, shop):
    """A new key's look-up reads the order's products too, at the customer's prices (price book,
    level, list) with their stock, a product off sale not found: as `price_lines` reads them
    itself, and priced alike. A customer given by id reads no products there."""
    ids = {shop.tea.id, shop.oil.id, shop.boxed.id, shop.gone.id}
    existing, read = ordering._by_key_or_offers(shop.customer, "ahead-1", ids)
    offers, ahead = read.offers, read.ahead
    assert existing is None and ahead.asked >= ids
    plain = orders._priced_products(shop.customer, set(ahead.asked))

    def seen(products):
        return {i: (p.__data__, p.price, p.available) for i, p in products.items()}

    assert seen(ahead.found) == seen(plain) and shop.gone.id not in ahead.found
    assert ahead.found[shop.oil.id].price == Decimal("170.00")  # the price book's
    assert ahead.found[shop.tea.id].price == Decimal("45.00")  # the level's
    lines = [
        LineRequest(shop.tea.id, 1),
        LineRequest(shop.oil.id, 2),
        LineRequest(shop.boxed.id, 6),
    ]
    with statements() as ran:
        quoted = orders.price_lines(shop.customer, lines, offers, ahead=ahead)
    assert ran == []  # nothing left to read
    assert quoted == orders.price_lines(shop.customer, lines, offers)
    assert ordering._by_key_or_offers(shop.customer.id, "ahead-1", ids)[1].ahead is None


def test_the_dealer_read_with_the_key_is_the_dealer_the_sign_in_reads(app, shop, dealer):
    """The order's first statement reads the signed-in dealer with the key's look-up, the
    products joined to the customer's prices in SQL: the same customer, promotions, reads along
    and products, priced alike, as the sign-in's read of its own followed by the look-up for
    that customer; a key already used, the same stored order."""
    user = WechatUser.get(WechatUser.customer == shop.customer.id)
    admitted = []
    sign_in = accounts.SignIn(user.id, admitted.append)
    ids = {shop.tea.id, shop.oil.id, shop.boxed.id, shop.gone.id}
    with statements() as ran:
        customer, existing, read = ordering._signed_in_by_key_or_offers(sign_in, "with-1", ids)
    assert len(ran) == 1 and existing is None and [u.id for u in admitted] == [user.id]
    plain_customer = accounts.active_user(user.id).customer
    assert customer.__data__ == plain_customer.__data__
    _, plain = ordering._by_key_or_offers(plain_customer, "with-1", ids)
    assert (read.offers, read.along, read.answers) == (plain.offers, plain.along, plain.answers)

    def seen(products):
        return {i: (p.__data__, p.price, p.available) for i, p in products.items()}

    assert read.ahead.asked == plain.ahead.asked
    assert seen(read.ahead.found) == seen(plain.ahead.found)
    assert shop.gone.id not in read.ahead.found
    assert read.ahead.found[shop.oil.id].price == Decimal("170.00")  # the price book's
    assert read.ahead.found[shop.tea.id].price == Decimal("45.00")  # the level's
    placed = ordering.place_order(
        accounts.SignIn(user.id, admitted.append),
        [LineRequest(shop.tea.id, 1)],
        idempotency_key="with-1",
    )
    _, again, _ = ordering._signed_in_by_key_or_offers(sign_in, "with-1", ids)
    assert placed.created and OrderOut().dump(again) == OrderOut().dump(
        ordering._by_key_or_offers(shop.customer, "with-1", ids)[0]
    )


def test_a_key_sent_at_once_from_several_threads_makes_one_order(app, client, shop, dealer):
    """The look-up first finds nothing for any of them: the unique row still decides, and the
    losers (their key and cart statement refused) answer with the winner's order."""
    lines = [{"product_id": shop.tea.id, "qty": 1}]

    def post():
        response = app.test_client().post(
            f"{MP}/orders", json={"lines": lines}, headers={**dealer, "Idempotency-Key": "race"}
        )
        return response.status_code, response.get_json()["id"]

    answers = all_at_once([post] * 6)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 5 + [201], answers
    assert len({order_id for _, order_id in answers}) == 1
    assert IdempotencyKey.select().where(IdempotencyKey.key == "race").count() == 1


def _same_rows(fast: Order, whole: Order) -> None:
    """The same values, of the same types, as the ORM reads them: each line with its product,
    each event."""
    assert fast.__data__ == whole.__data__
    assert [(ln.__data__, ln.product.__data__) for ln in fast.lines] == [
        (ln.__data__, ln.product.__data__) for ln in whole.lines
    ]
    assert [e.__data__ for e in fast.events] == [e.__data__ for e in whole.events]
    for ours, theirs in zip(fast.events + fast.lines, whole.events + whole.lines, strict=True):
        assert [type(v) for v in ours.__data__.values()] == [
            type(v) for v in theirs.__data__.values()
        ]


def test_the_stored_order_read_is_the_whole_read(app, shop):
    order = orders.create_order(
        shop.customer,
        [LineRequest(shop.tea.id, 3), LineRequest(shop.oil.id, 1)],
        placed_by="t",
        remark="月底前送到",
    )
    fast = ordering.stored_order(order.id, shop.customer.id)
    assert OrderOut().dump(fast) == OrderOut().dump(
        ordering.customer_order(shop.customer.id, order.id)
    )
    _same_rows(fast, ordering.customer_order(shop.customer.id, order.id))
    assert fast.customer.id == shop.customer.id
    # An order further along (two events) reads the same way too.
    orders.approve_order(order.id, "staff:1")
    assert OrderOut().dump(ordering.stored_order(order.id, shop.customer.id)) == OrderOut().dump(
        ordering.customer_order(shop.customer.id, order.id)
    )
    _same_rows(
        ordering.stored_order(order.id, shop.customer.id),
        ordering.customer_order(shop.customer.id, order.id),
    )
    # Another customer's order is not found, as by the whole read.
    with pytest.raises(Exception) as fast_error:
        ordering.stored_order(order.id, shop.other.id)
    with pytest.raises(Exception) as whole_error:
        ordering.customer_order(shop.other.id, order.id)
    assert type(fast_error.value) is type(whole_error.value)


def test_a_row_read_in_sql_is_the_instance_the_orm_reads(app, shop):
    """`from_row` builds instances without the ORM's descriptors: each holds what the ORM's own
    read holds (values converted by their fields, nulls kept, nothing dirty) and behaves as one
    (a foreign key reads its row, a save writes what changed)."""
    order = orders.create_order(shop.customer, [LineRequest(shop.tea.id, 2)], placed_by="t")
    for model, row_id in (
        (Order, order.id),
        (OrderLine, order.lines[0].id),
        (Customer, shop.customer.id),
        (Product, shop.tea.id),
    ):
        sql = f"SELECT {columns_of(model, 't')} FROM {model._meta.table_name} t WHERE t.id = %s"
        fast = from_row(model, execute(sql, [row_id]).fetchone())
        read = model.get_by_id(row_id)
        assert type(fast) is model
        assert fast.__data__ == read.__data__
        assert fast._dirty == read._dirty == set()
    line = from_row(OrderLine, execute(
        f"SELECT {columns_of(OrderLine, 'l')} FROM sales_order_line l WHERE l.id = %s",
        [order.lines[0].id],
    ).fetchone())  # fmt: skip
    assert line.product.name == shop.tea.name and line.order.number == order.number
    customer = from_row(Customer, execute(
        f"SELECT {columns_of(Customer, 'c')} FROM customer c WHERE c.id = %s", [shop.customer.id]
    ).fetchone())  # fmt: skip
    customer.name = "改名后的客户"
    customer.save()
    assert Customer.get_by_id(shop.customer.id).name == "改名后的客户"


def test_an_instance_made_without_descriptors_is_the_one_the_constructor_makes(app, shop):
    """`made` builds the order's new rows as peewee's constructor does: the same data (defaults
    included), the same fields dirty, a related row given as an instance kept as one, and a
    name that is not a field (`order_id`) set as the constructor sets it."""
    order = orders.create_order(shop.customer, [LineRequest(shop.tea.id, 2)], placed_by="t")
    at = utcnow()
    cases = [
        (Order, {"customer": shop.customer, "warehouse": shop.customer.warehouse_id,
                 "status": "pending_review", "remark": "备注", "created_at": at}),
        (OrderLine, {"order": order, "product": shop.tea, "qty": 3, "price": Decimal("4.50"),
                     "id": 7, "promotion": None}),
        (OrderLine, {"order_id": order.id, "product": shop.tea.id, "qty": 1}),
        (OrderEvent, {"order": order.id, "action": "submit", "actor": "t", "created_at": at}),
    ]  # fmt: skip
    for model, values in cases:
        mine, theirs = made(model, **values), model(**values)
        mine.__data__.pop("created_at", None), theirs.__data__.pop("created_at", None)
        for instance in (mine, theirs):  # a default made at the moment of construction
            instance.__data__.pop("updated_at", None)
        assert type(mine) is model
        assert mine.__data__ == theirs.__data__
        assert mine._dirty == theirs._dirty
        assert mine.__rel__.keys() == theirs.__rel__.keys()
        assert all(mine.__rel__[k] is theirs.__rel__[k] for k in mine.__rel__)
    line = made(OrderLine, order=order, product=shop.tea, qty=2)
    assert line.order is order and line.order_id == order.id and line.product.name == shop.tea.name


def test_groups_inserted_together_are_the_groups_inserted_one_by_one(app, shop):
    """`insert_groups` (one statement on PostgreSQL) gives each group's ids in row order, as
    `insert_rows` does, and writes the same rows; a group with no rows is skipped."""
    order = orders.create_order(shop.customer, [LineRequest(shop.tea.id, 1)], placed_by="t")

    def events(actors):
        return [
            {"order": order.id, "action": "adjust", "from_status": order.status,
             "to_status": order.status, "actor": actor, "note": "", "created_at": order.created_at}
            for actor in actors
        ]  # fmt: skip

    together = insert_groups(
        (OrderEvent, events(["甲", "乙", "丙"])), (OrderLine, []), (OrderEvent, events(["丁"]))
    )
    apart = [insert_rows(OrderEvent, events(["甲", "乙", "丙"]), returning=True), []]
    apart.append(insert_rows(OrderEvent, events(["丁"]), returning=True))
    assert [len(ids) for ids in together] == [len(ids) for ids in apart] == [3, 0, 1]
    for ids_together, ids_apart in zip(together, apart, strict=True):
        assert [OrderEvent.get_by_id(i).actor for i in ids_together] == [
            OrderEvent.get_by_id(i).actor for i in ids_apart
        ]
    assert [OrderEvent.get_by_id(i).actor for i in together[0] + together[2]] == [
        "甲", "乙", "丙", "丁"
    ]  # fmt: skip


def test_rows_handed_over_as_json_are_the_rows_the_orm_inserts(app, shop):
    """On PostgreSQL `insert_rows` hands its rows over as one JSON parameter: what lands is what
    peewee's own `insert_many` writes (texts with quotes, backslashes, Chinese and JSON of
    their own, nulls, booleans, money, decimals, dates and times), ids in row order."""
    at = dt.datetime(2026, 12, 3, 1, 2, 3, 456789)
    texts = ["引号\"与\\反斜杠'", '{"json": [1, 2]}', "换行\n与制表\t", ""]

    def customers(run):
        base = {k: v for k, v in shop.customer.__data__.items() if k != "id"}
        return [
            {**base, "code": f"{run}-{i}", "name": text, "contact": text, "rep": None,
             "lat": Decimal("31.230416") if i % 2 else None, "lng": Decimal("-121.5"),
             "active": bool(i % 2), "credit_limit": Decimal("12345.67"), "created_at": at}
            for i, text in enumerate(texts)
        ]  # fmt: skip

    if is_postgres():
        _, params = _insert_statement(Customer, customers("json"), True)
        assert len(params) == 1 and isinstance(params[0], str)
    ids = insert_rows(Customer, customers("json"), returning=True)
    Customer.insert_many(customers("orm")).execute()
    mine = [Customer.get_by_id(i).__data__ for i in ids]
    theirs = [c.__data__ for c in Customer.select().where(Customer.code.startswith("orm-"))]
    assert [c["code"] for c in mine] == [f"json-{i}" for i in range(len(texts))]
    for row in (*mine, *theirs):
        row.pop("id"), row.pop("code")
    assert mine == sorted(theirs, key=lambda c: texts.index(c["name"]))
    assert mine[0]["name"] == texts[0] and mine[1]["lat"] == Decimal("31.230416")
    day = {"customer": shop.customer.id, "period_end": dt.date(2026, 11, 30), "source": "rep"}
    (report,) = insert_rows(StockSalesReport, [day], returning=True)
    assert StockSalesReport.get_by_id(report).period_end == dt.date(2026, 11, 30)


def test_a_family_inserted_together_is_the_parent_then_its_groups(app, shop):
    """`insert_family` (one statement on PostgreSQL) answers the parent's returned row and each
    group's ids in row order, every child pointing at the parent, a group with no rows
    skipped: the rows the parent's insert and then `insert_rows` with its id write."""
    order = orders.create_order(shop.customer, [LineRequest(shop.tea.id, 1)], placed_by="t")
    parent_sql = (
        "INSERT INTO order_event (order_id, action, to_status, actor, note, created_at)"
        " VALUES (%s, 'adjust', 'pending_review', %s, '', %s) RETURNING id, actor"
    )

    def notes(event_id, run):
        return [
            {"order": order.id, "event": event_id, "audience": "dealer", "kind": "adjust",
             "payload": "{}", "dedup_key": f"family:{run}:{i}"}
            for i in range(3)
        ]  # fmt: skip

    def written(ids):
        return [(n.event_id, n.dedup_key.split(":")[-1]) for n in map(Notification.get_by_id, ids)]

    with statements() as ran:
        parent, (ids, none) = insert_family(
            parent_sql,
            [order.id, "甲", utcnow()],
            (Notification, notes(PARENT_ID, "together")),
            (Notification, []),
        )
    assert len(ran) == (1 if is_postgres() else 2), ran
    assert parent["actor"] == "甲" and none == []
    assert OrderEvent.get_by_id(parent["id"]).actor == "甲"
    assert written(ids) == [(parent["id"], "0"), (parent["id"], "1"), (parent["id"], "2")]
    # The plain path: the parent first, then its children with its id.
    (first_id, _) = execute(parent_sql, [order.id, "乙", utcnow()]).fetchone()
    apart = insert_rows(Notification, notes(first_id, "apart"), returning=True)
    assert written(apart) == [(first_id, "0"), (first_id, "1"), (first_id, "2")]


def test_a_transactions_begin_goes_with_its_first_statement_and_holds_as_one(app, shop):
    """PostgreSQL: BEGIN is sent in front of a transaction's first statement, not on its own.
    Every statement, the first included, is in the one transaction; a failure rolls all of it
    back; a transaction that ran nothing still runs what waits for its commit."""
    if not is_postgres():
        pytest.skip("PostgreSQL only: SQLite's BEGIN is no round trip")
    with db.atomic():
        # One query string: the transaction started as its first statement did, no sooner.
        began, started = execute(
            "SELECT xact_start, query_start FROM pg_stat_activity WHERE pid = pg_backend_pid()"
        ).fetchone()
        first = execute("SELECT txid_current()").fetchone()[0]
        second = execute("SELECT txid_current()").fetchone()[0]
    assert began == started
    assert first == second
    outside = [execute("SELECT txid_current()").fetchone()[0] for _ in range(2)]
    assert outside[0] != outside[1]  # each statement outside a transaction commits on its own

    def first_write_then_fail():
        with db.atomic():
            execute("UPDATE product SET name = %s WHERE id = %s", ["回滚前", shop.tea.id])
            raise RuntimeError("after the first statement")

    with pytest.raises(RuntimeError):
        first_write_then_fail()
    assert Product.get_by_id(shop.tea.id).name == shop.tea.name
    with pytest.raises(IntegrityError), db.atomic():  # the first statement itself fails
        execute("INSERT INTO product (id, sku) VALUES (%s, %s)", [shop.tea.id, "dup"])
    assert execute("SELECT 1").fetchone() == (1,)  # the connection is usable again
    ran = []
    with db.atomic():
        db.after_commit(lambda: ran.append("after commit"))
    assert ran == ["after commit"]
    db.close()  # back to the pool: the next transaction opens a connection as it begins
    with db.atomic():
        assert db.transaction_depth() == 1
        execute("UPDATE product SET name = %s WHERE id = %s", ["新连接", shop.tea.id])
        assert db.transaction_depth() == 1
    assert Product.get_by_id(shop.tea.id).name == "新连接"


def test_a_write_sent_with_the_commit_lands_with_it_or_fails_it(app, shop):
    """PostgreSQL: `execute_with_commit` holds a write back until the transaction commits and
    sends the two together; if the write fails there, nothing of the transaction is kept."""
    if not is_postgres():
        pytest.skip("PostgreSQL only: SQLite runs the write at once")
    rename = "UPDATE product SET name = %s WHERE id = %s"
    with db.atomic():
        execute_with_commit(rename, ["随提交写入", shop.tea.id], owns_transaction=True)
        seen = execute("SELECT name FROM product WHERE id = %s", [shop.tea.id]).fetchone()[0]
        assert seen == shop.tea.name  # not sent yet
    assert Product.get_by_id(shop.tea.id).name == "随提交写入"

    key = ("INSERT INTO idempotency_key (customer_id, key, order_id, created_at)"
           " VALUES (%s, %s, %s, %s)")  # fmt: skip
    order = orders.create_order(shop.customer, [LineRequest(shop.tea.id, 1)], placed_by="t")
    execute(key, [shop.customer.id, "taken", order.id, "2026-12-01 00:00:00"])
    with pytest.raises(IntegrityError), db.atomic():
        execute(rename, ["不该留下", shop.oil.id])
        taken = [shop.customer.id, "taken", order.id, "2026-12-01 00:00:00"]
        execute_with_commit(key, taken, owns_transaction=True)
    assert Product.get_by_id(shop.oil.id).name == shop.oil.name  # rolled back whole
    assert execute("SELECT 1").fetchone() == (1,)
    with db.atomic():  # a transaction the caller did not open: the write runs at once
        execute_with_commit(rename, ["别人的事务", shop.oil.id], owns_transaction=False)
        seen = execute("SELECT name FROM product WHERE id = %s", [shop.oil.id]).fetchone()[0]
        assert seen == "别人的事务"


def test_the_order_is_numbered_in_its_insert_as_document_number_says(app, shop):
    for qty in (1, 2):
        order = orders.create_order(shop.customer, [LineRequest(shop.tea.id, qty)])
        assert order.number == document_number("SO", order.created_at, order.id)
        stored = execute("SELECT number FROM sales_order WHERE id = %s", [order.id]).fetchone()
        assert stored[0] == order.number


def test_the_named_order_sequence_is_the_one_postgresql_gives(app):
    if not is_postgres():
        pytest.skip("PostgreSQL only")
    (name,) = execute("SELECT pg_get_serial_sequence('sales_order', 'id')").fetchone()
    assert name.split(".")[-1] == orders.ORDER_ID_SEQUENCE


def test_the_key_and_the_cart_in_one_statement_are_the_two(app, shop):
    if not is_postgres():
        pytest.skip("a data-modifying WITH: PostgreSQL only")

    def state(user):
        keys = list(
            IdempotencyKey.select(
                IdempotencyKey.customer, IdempotencyKey.key, IdempotencyKey.created_at
            )
            .where(IdempotencyKey.key.startswith(f"k{user.id}-"))
            .tuples()
        )
        cart = sorted(
            CartItem.select(CartItem.product, CartItem.qty).where(CartItem.wechat_user == user.id)
        )
        return [(c, k.split("-", 1)[1], at) for c, k, at in keys], [
            (i.product_id, i.qty) for i in cart
        ]

    outcomes = []
    for one_statement in (False, True):
        user = WechatUser.create(
            openid=f"fast-{one_statement}", role="dealer", customer=shop.customer
        )
        for product in (shop.tea, shop.oil):
            CartItem.create(wechat_user=user, product=product, qty=2)
        order = orders.create_order(shop.customer, [LineRequest(shop.tea.id, 1)])
        with db.atomic():
            if one_statement:
                ordering._keep_key_and_clear_cart(
                    shop.customer.id, f"k{user.id}-a", order, user.id, [shop.tea.id]
                )
            else:
                ordering._keep_key(shop.customer.id, f"k{user.id}-a", order)
                ordering.cart.remove_products(user.id, [shop.tea.id])
        keys, cart = state(user)
        outcomes.append(([(c, k) for c, k, _ in keys], cart))
        assert [at for *_, at in keys] == [order.created_at]
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] == ([(shop.customer.id, "a")], [(shop.oil.id, 2)])


def test_sqlite_keeps_each_threads_connection_between_requests(app, client, shop, dealer):
    if is_postgres():
        pytest.skip("PostgreSQL hands its connection back to the pool")
    if app.config["DATABASE_URL"].endswith(":memory:"):
        pytest.skip("an in-memory database has one connection anyway")
    seen = []

    def remember(response):
        seen.append(db.connection())
        return response

    app.after_request_funcs.setdefault(None, []).append(remember)
    try:
        for _ in range(2):
            assert client.get(f"{MP}/catalog/products", headers=dealer).status_code == 200
        other = threading.Thread(
            target=lambda: client.get(f"{MP}/catalog/products", headers=dealer)
        )
        other.start()
        other.join()
    finally:
        app.after_request_funcs[None].remove(remember)
    assert len(seen) == 3
    assert seen[0] is seen[1]  # kept by this thread
    assert seen[2] is not seen[0]  # another thread has its own
    assert not db.in_transaction()


def test_the_carts_lines_read_in_sql_are_the_catalogues_views(app, shop):
    """A level price, a price-book price, a product out of stock, one off sale (left out), a
    line in a unit of its own: the cart's one statement reads them as views_for does, and the
    promotions open now as promotion_book does."""
    user = WechatUser.create(openid="fast-cart", role="dealer", customer=shop.customer)
    for product, qty, unit in (
        (shop.tea, 3, ""),
        (shop.oil, 2, ""),
        (shop.boxed, 12, "箱"),
        (shop.gone, 1, ""),
    ):
        CartItem.create(wechat_user=user, product=product, qty=qty, unit=unit)
    plain = views_for(
        shop.customer,
        Product.select(Product, CartItem.qty.alias("cart_qty"), CartItem.unit.alias("cart_unit"))
        .join(CartItem)
        .where((CartItem.wechat_user == user.id) & Product.active)
        .order_by(CartItem.updated_at.desc(), CartItem.id.desc()),
        low_threshold=10,
    )

    def seen(views):
        return [
            (v.product.__data__, v.price, v.stock_status, v.available, v.product.cart_unit)
            for v in views
        ]

    now = utcnow()
    for name, ends_at in (
        ("open", now + dt.timedelta(days=1)),
        ("over", now - dt.timedelta(seconds=1)),
    ):
        Promotion.create(
            name=name,
            kind="full_reduction",
            starts_at=now - dt.timedelta(hours=1),
            ends_at=ends_at,
            rules='{"threshold": "100", "reduction": "10"}',
        )
    fast, open_now = cart._line_views(user.id, shop.customer, 10, now)
    assert seen(fast) == seen(plain)
    # The promotions open now, read with the lines, as promotion_book reads them on its own.
    assert [o.name for o in open_now] == [o.name for o in promotion_book.open_now(now)] == ["open"]
    assert [v.product.cart_qty for v in fast] == [v.product.cart_qty for v in plain] == [12, 2, 3]
    assert [v.product.id for v in fast] == [shop.boxed.id, shop.oil.id, shop.tea.id]
    assert [v.price for v in fast][1] == Decimal("170.00")  # the price book's
