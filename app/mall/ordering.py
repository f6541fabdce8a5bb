"""Mall orders: submit with idempotency and pre-checks, track, cancel before review, confirm
receipt, reorder. Every read and write is scoped to the caller's customer (invariant 6)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal

from peewee import IntegrityError, fn

from app import read_along
from app.core import orders, product_images, promotion_book, receivables, stock, units
from app.core.models import Customer, Order, OrderEvent, OrderLine, Product, Staff
from app.core.orders import LineRequest
from app.core.promotions import Offer
from app.core.queries import order_detail, orders_with_details
from app.core.rules import OrderStatus, rep_title
from app.db import (
    columns_of,
    db,
    execute,
    execute_with_commit,
    from_row,
    insert_rows,
    is_postgres,
    transaction,
    utcnow,
)
from app.errors import ValidationFailed
from app.mall import accounts, cart
from app.mall.catalog import offers_for, views_for
from app.mall.models import IdempotencyKey
from app.money import money_from_fen

RECENT_DAYS = 90


@dataclass
class Placed:
    order: Order
    created: bool
    warnings: list[dict] = field(default_factory=list)


_KEY_ORDER_OF = "SELECT order_id FROM idempotency_key WHERE customer_id = {} AND key = %s"
_KEY_ORDER = _KEY_ORDER_OF.format("%s")
# A stored order as a retry gets it back, in SQL written once: the order with its customer (and
# whether it has shipments yet), its lines with their products, its events. On PostgreSQL the
# three are one statement: the lines and the events each gathered into a column of JSON (the
# fields' own conversions read its text and numbers).
_LINE_COLUMNS = f"{columns_of(OrderLine, 'l')}, {columns_of(Product, 'p')}"
_LINES_FROM = " FROM sales_order_line l JOIN product p ON p.id = l.product_id"
_EVENT_COLUMNS = columns_of(OrderEvent, "e")


def _stored_order_sql(gathered: str = "") -> str:
    return (
        f"SELECT {columns_of(Order, 'o')}, {columns_of(Customer, 'c')},{gathered}"
        " EXISTS (SELECT 1 FROM shipment s WHERE s.order_id = o.id)"
        " FROM sales_order o JOIN customer c ON c.id = o.customer_id"
        " WHERE o.id = %s AND o.customer_id = %s"
    )


_STORED_ORDER = _stored_order_sql()
_STORED_LINES = f"SELECT {_LINE_COLUMNS}{_LINES_FROM} WHERE l.order_id = %s ORDER BY l.id"
_STORED_EVENTS = f"SELECT {_EVENT_COLUMNS} FROM order_event e WHERE e.order_id = %s ORDER BY e.id"
_STORED_WHOLE = _stored_order_sql(
    f" (SELECT json_agg(json_build_array({_LINE_COLUMNS}) ORDER BY l.id)::text{_LINES_FROM}"
    " WHERE l.order_id = o.id),"
    f" (SELECT json_agg(json_build_array({_EVENT_COLUMNS}) ORDER BY e.id)::text"
    " FROM order_event e WHERE e.order_id = o.id),"
)


def _by_key(customer_id: int, key: str) -> Order | None:
    """The order this customer's key made, whole (lines, events, shipments), if any."""
    row = execute(_KEY_ORDER, [customer_id, key]).fetchone()
    return None if row is None else stored_order(row[0], customer_id)


@dataclass
class ReadWithKey:
    """What a new key's look-up read for the order it is about to make: the promotions open now,
    the reads that ride along with it (app/read_along.py: `answered` lets the order's handlers
    find them), and for a customer row its products (`ReadAhead`)."""

    offers: list[Offer]
    along: tuple[str, ...]
    answers: tuple
    ahead: orders.ReadAhead | None = None

    def answered(self):
        return read_along.answered(self.along, self.answers)


def _by_key_or_offers(
    customer: Customer | int, key: str, ids: set[int] = frozenset()
) -> tuple[Order | None, ReadWithKey | None]:
    """`_by_key`, and what a new order is priced and written with, in one statement: the
    promotions open now, the reads that ride along (the webhook subscribers) and, for a
    customer row already read, the products `ids` at its prices (`ReadAhead`), with the gifts
    the offers this process read last could give them (a guess, as those offers may have
    changed since: `price_lines` reads any other gift it needs). A retry, the common case of a
    key already used, gets the stored order, whole, and nothing else."""
    customer_id = _id_of(customer)
    priced = ids if isinstance(customer, Customer) else frozenset()
    rows, along, asked = _look_up(key, priced, customer=customer)
    if rows[0][0] is not None:
        return stored_order(rows[0][0], customer_id), None
    return None, _read_with_key(rows, along, asked, customer, 2 + len(along))


def _signed_in_by_key_or_offers(
    sign_in: accounts.SignIn, key: str, ids: set[int]
) -> tuple[Customer, Order | None, ReadWithKey | None]:
    """`_by_key_or_offers` for a dealer known by a token alone: the same statement reads their
    user and customer (the products joined to the customer's prices and warehouse in SQL),
    which saves the sign-in's round trip. The dealer is admitted (`SignIn.admit`: 401, 403)
    before anything else the statement read is used, a stored order included."""
    rows, along, asked = _look_up(key, ids, sign_in=sign_in)
    width = 2 + len(along)
    customer = sign_in.admit(rows[0][width:] if rows else None).customer
    if rows[0][0] is not None:
        return customer, stored_order(rows[0][0], customer.id), None
    start = width + accounts.SIGNED_IN_WIDTH
    return customer, None, _read_with_key(rows, along, asked, customer, start)


_PRICED_BY_ROW = orders.priced_columns("c.id", "c.price_level", "c.warehouse_id")


def _look_up(
    key: str,
    ids: set[int],
    *,
    customer: Customer | int | None = None,
    sign_in: accounts.SignIn | None = None,
) -> tuple[list, tuple[str, ...], frozenset[int]]:
    """The statement of the key's look-up, for a `customer` or a `sign_in`: the key's order,
    the open promotions' versions and the reads that ride along; for a sign-in, its user's
    columns (`accounts.SIGNED_IN_COLUMNS`); then a row for each product of `ids` and the gifts
    guessed (`PRICED_COLUMNS`, at the customer's prices). Its rows, the names read along, and
    the product ids asked for."""
    versions, version_params = promotion_book.open_versions()
    along, along_sql = read_along.columns()
    by_row = sign_in is not None
    sql = f"SELECT ({_KEY_ORDER_OF.format('c.id' if by_row else '%s')}), ({versions}){along_sql}"
    params = [*([] if by_row else [_id_of(customer)]), key, *version_params]
    source, where = "", ""
    if by_row:
        sql += f", {accounts.SIGNED_IN_COLUMNS}"
        source, where = f" FROM {accounts.SIGNED_IN_FROM}", " WHERE u.id = %s"
    asked = frozenset()
    if ids:
        asked = frozenset(ids | orders.gifts_read_with(list(promotion_book.last_read()), ids))
        marks = ", ".join(["%s"] * len(asked))
        sql += f", {_PRICED_BY_ROW if by_row else orders.PRICED_COLUMNS}"
        source = (source or " FROM (SELECT 1) AS one") + (
            f" LEFT JOIN product p ON p.active AND p.id IN ({marks})"
        )
        params += [*([] if by_row else orders.price_params(customer)), *asked]
    if by_row:
        params.append(sign_in.user_id)
    return execute(sql + source + where, params).fetchall(), along, asked


def _id_of(customer: Customer | int) -> int:
    return customer.id if isinstance(customer, Customer) else customer


def _read_with_key(
    rows: list, along: tuple[str, ...], asked: frozenset[int], customer, start: int
) -> ReadWithKey:
    """What `_look_up`'s rows hold for a new key; the products from column `start` on."""
    first = rows[0]
    read = ReadWithKey(promotion_book.offers_named(first[1]), along, first[2 : 2 + len(along)])
    if asked:
        found = (orders.priced_product(customer, r[start:]) for r in rows if r[start] is not None)
        read.ahead = orders.ReadAhead(asked, {p.id: p for p in found})
    return read


def stored_order(order_id: int, customer_id: int) -> Order:
    """`customer_order` for the order a retried submission gets back: the same order, whole,
    from SQL written once rather than the ORM's prefetch (which builds its SQL on every call):
    one statement on PostgreSQL, three on SQLite. An order with shipments or discounts is read
    by `customer_order` itself.

    Raises: NotFound."""
    whole = is_postgres()
    row = execute(_STORED_WHOLE if whole else _STORED_ORDER, [order_id, customer_id]).fetchone()
    if row is None or row[-1]:  # not this customer's (NotFound), or shipped: the whole read
        return customer_order(customer_id, order_id)
    split, customer_end = len(Order._meta.sorted_fields), -3 if whole else -1
    order = from_row(Order, row[:split])
    if order.discount_total:
        return customer_order(customer_id, order_id)
    order.customer = from_row(Customer, row[split:customer_end])
    if whole:
        lines, events = (json.loads(text or "[]", parse_float=Decimal) for text in row[-3:-1])
    else:
        lines = execute(_STORED_LINES, [order_id]).fetchall()
        events = execute(_STORED_EVENTS, [order_id]).fetchall()
    width = len(OrderLine._meta.sorted_fields)
    order.lines = []
    for values in lines:
        line = from_row(OrderLine, values[:width])
        line.product = from_row(Product, values[width:])
        order.lines.append(line)
    order.events = [from_row(OrderEvent, values) for values in events]
    order.shipments = []
    order.discounts = []
    return order


def place_order(
    customer: Customer | int | accounts.SignIn,
    lines: list[LineRequest],
    *,
    idempotency_key: str | None = None,
    remark: str = "",
    address_id: int | None = None,
    placed_by: str = "",
    source: str = "mall",
    cart_user_id: int | None = None,
) -> Placed:
    """Submit an order for review; the same Idempotency-Key from the same customer always gives
    back the order the first request made (invariant 3), even when the two requests race: the
    unique (customer, key) row is written in the order's own transaction, so the loser rolls back
    and reads the winner's order.

    A key already used is looked up first, in one statement with the promotions open now: a
    retry, the common case of a repeated key, is answered from the stored order without pricing
    or writing anything, and a new key is priced with the promotions read. Two requests with a
    new key at the same moment are still decided by the unique row.

    A dealer known by a token alone (`accounts.SignIn`) is read and admitted by the key's
    look-up (by a statement of its own without a key) before anything else is.

    Raises: NotFound, BelowMinQty, BadStep, ValidationFailed; for a SignIn, Unauthorized and
    Forbidden.
    """
    read = None  # what create_order and the handlers read themselves, unless read with the key
    ids = {line.product_id for line in lines}
    existing = None
    if isinstance(customer, accounts.SignIn) and idempotency_key:
        customer, existing, read = _signed_in_by_key_or_offers(customer, idempotency_key, ids)
    elif isinstance(customer, accounts.SignIn):
        customer = customer.read().customer
    elif idempotency_key:
        existing, read = _by_key_or_offers(customer, idempotency_key, ids)
    if existing is not None:
        return Placed(existing, created=False)
    customer_id = _id_of(customer)
    owns_transaction = not db.in_transaction()  # then a lost key race raises from our commit
    try:
        with db.atomic(), read.answered() if read else contextlib.nullcontext():
            order = orders.create_order(
                customer,
                lines,
                source=source,
                placed_by=placed_by,
                remark=remark,
                address_id=address_id,
                offers=read and read.offers,
                ahead=read and read.ahead,
            )
            ordered = [ln.product_id for ln in lines]
            if idempotency_key and cart_user_id is not None and is_postgres():
                # The key in and the ordered products out of the cart: one statement.
                _keep_key_and_clear_cart(
                    customer_id, idempotency_key, order, cart_user_id, ordered, owns_transaction
                )
            else:
                if idempotency_key:
                    _keep_key(customer_id, idempotency_key, order)
                if cart_user_id is not None:
                    cart.remove_products(cart_user_id, ordered)
    except IntegrityError:
        if idempotency_key and (existing := _by_key(customer_id, idempotency_key)):
            return Placed(existing, created=False)
        raise
    return Placed(order, created=True, warnings=precheck(order))


def _keep_key(customer_id: int, key: str, order: Order) -> None:
    row = {"customer": customer_id, "key": key, "order": order.id, "created_at": order.created_at}
    insert_rows(IdempotencyKey, [row])


_KEY_AND_CART = (
    "WITH gone AS (DELETE FROM cart_item WHERE wechat_user_id = %s AND product_id IN ({}))"
    " INSERT INTO idempotency_key (customer_id, key, order_id, created_at) VALUES (%s, %s, %s, %s)"
)


def _keep_key_and_clear_cart(
    customer_id: int,
    key: str,
    order: Order,
    user_id: int,
    product_ids: list[int],
    owns_transaction: bool = False,
) -> None:
    """`_keep_key` and `cart.remove_products` in one statement (PostgreSQL: a data-modifying
    WITH), for the order path; a test holds it equal to the two. Nothing reads its answer: when
    place_order opened the transaction (`owns_transaction`) it goes with the order's COMMIT,
    and a key another request took meanwhile raises from there (IntegrityError, which
    place_order catches)."""
    sql = _KEY_AND_CART.format(", ".join(["%s"] * len(product_ids)))
    created_at = IdempotencyKey.created_at.db_value(order.created_at)
    params = [user_id, *product_ids, customer_id, key, order.id, created_at]
    execute_with_commit(sql, params, owns_transaction=owns_transaction)


def order_for_key(customer_id: int, key: str) -> Order | None:
    """The order an Idempotency-Key already made for this customer, if any."""
    return _by_key(customer_id, key)


def submit_order(
    customer: Customer | int | accounts.SignIn, lines: list[LineRequest], **options
) -> tuple[Order, bool]:
    """`place_order` as a client sees it: the new order with its warnings, or, for a repeated
    Idempotency-Key, the first order whole; and whether this call created it."""
    placed = place_order(customer, lines, **options)
    if not placed.created:  # read whole by the key's look-up
        return placed.order, False
    placed.order.warnings = placed.warnings
    return placed.order, True


def submit_cart(
    user_id: int, customer: Customer, low_threshold: int, idempotency_key: str, **options
) -> tuple[Order, bool]:
    """提交订单 from a cart (the dealer's, or a rep's visit cart): its lines at today's prices
    become an order and leave the cart. The same form sent again after its order emptied the
    cart gets that order back (not created). `options` as for `place_order`.

    Raises: ValidationFailed (an empty cart), and what `place_order` raises.
    """
    lines = [
        LineRequest(ln.view.product.id, ln.unit_qty, ln.unit)
        for ln in cart.view_cart(user_id, customer, low_threshold).lines
    ]
    if not lines:
        if done := order_for_key(customer.id, idempotency_key):
            return done, False
        raise ValidationFailed("购物车是空的，先去挑选商品吧")
    return submit_order(
        customer, lines, idempotency_key=idempotency_key, cart_user_id=user_id, **options
    )


def precheck(order: Order) -> list[dict]:
    """Warnings for the dealer, not holds: stock that may not cover the order, credit that may not.

    Works on the order as create_order returns it (lines, customer and stock loaded): no query.
    """
    available = getattr(order, "available", None) or stock.availability(
        order.warehouse_id, [ln.product_id for ln in order.lines]
    )
    warnings = list(getattr(order, "promotion_warnings", ()))
    warnings += [
        {
            "code": "insufficient_stock",
            "message": f"{ln.product.name} 缺货，审核后可能无法发货"
            if available[ln.product_id] <= 0
            else f"{ln.product.name} 库存不足，可能无法足量发货",
            "product_id": ln.product_id,
        }
        for ln in order.lines
        if not ln.gift and available[ln.product_id] < ln.qty  # gifts are given only in stock
    ]
    funds = cart.funds_for(order.customer, order.total)
    if funds.short:
        warnings.append(
            {
                "code": "credit_exceeded",
                "message": funds.message,
                "available_credit": str(funds.available),
                "total": str(order.total),
            }
        )
    return warnings


def customer_order(customer_id: int, order_id: int) -> Order:
    """One order of this customer, with lines, events and shipments. Raises: NotFound."""
    return order_detail(order_id, customer_id)


def customer_orders(
    customer_id: int,
    status: str | list[str] | None,
    page: int,
    per_page: int,
    q: str | None = None,
) -> tuple[list[Order], int]:
    """This customer's orders (in one status, or any of several), newest first: a few queries
    for a whole page. `q` finds orders by number, or by the name or SKU of a product on them."""
    query = Order.select().where(Order.customer == customer_id)
    if status:
        query = query.where(Order.status << ([status] if isinstance(status, str) else status))
    if q and q.strip():
        words = q.strip()
        on_lines = (
            OrderLine.select(OrderLine.order)
            .join(Product)
            .where(Product.name.contains(words) | Product.sku.contains(words))
        )
        query = query.where(Order.number.contains(words) | (Order.id << on_lines))
    total = query.count()
    page_query = query.order_by(Order.created_at.desc(), Order.id.desc()).paginate(page, per_page)
    return orders_with_details(page_query), total


def placed_for_dealer(found: list[Order]) -> dict[int, str]:
    """Who placed each of these orders when the dealer did not: "业务员 郑华东 代下单" for a rep's
    (placed_by "rep:<staff id>"), "客服代下单" for one placed in the console; one query at most."""
    rep_ids = {
        int(o.placed_by.removeprefix("rep:"))
        for o in found
        if o.source == "rep" and o.placed_by.removeprefix("rep:").isdigit()
    }
    names = (
        {s.id: s.name or s.username for s in Staff.select().where(Staff.id << list(rep_ids))}
        if rep_ids
        else {}
    )
    said = {}
    for o in found:
        rep_id = o.placed_by.removeprefix("rep:")
        if o.source == "rep":
            name = names.get(int(rep_id)) if rep_id.isdigit() else None
            said[o.id] = f"{rep_title(name) if name else '业务员'} 代下单"
        elif o.source == "staff":
            said[o.id] = "客服代下单"
    return said


def awaiting_review(customer_id: int) -> tuple[int, Decimal]:
    """How many of this customer's orders wait for review, and their total: they hold no credit
    yet (在途 counts approved, unshipped orders only), so the dealer is told them apart."""
    row = (
        Order.select(fn.COUNT(Order.id), fn.SUM(Order.total))
        .where((Order.customer == customer_id) & (Order.status == OrderStatus.PENDING_REVIEW.value))
        .tuples()
        .first()
    )
    return row[0], money_from_fen(row[1])


def paid_for(customer_id: int, order_id: int) -> Decimal:
    """Money paid for one of the customer's orders and not yet applied to its shipments: what
    cancelling it moves to the prepaid balance. Raises: NotFound."""
    return receivables.paid_waiting(customer_order(customer_id, order_id).id)


def cancel(customer_id: int, order_id: int, actor: str) -> Order:
    """A dealer cancels an order still awaiting review. Raises: NotFound, InvalidState."""
    customer_order(customer_id, order_id)
    orders.cancel_order(
        order_id, actor, "经销商取消", only_from=(OrderStatus.PENDING_REVIEW.value,)
    )
    return customer_order(customer_id, order_id)


def confirm_receipt(customer_id: int, order_id: int, actor: str) -> Order:
    """The dealer confirms the goods arrived. Raises: NotFound, InvalidState."""
    customer_order(customer_id, order_id)
    orders.complete_order(order_id, actor)
    return customer_order(customer_id, order_id)


def reorder(user_id: int, customer: Customer, order_id: int, low_threshold: int) -> cart.Cart:
    """Add an earlier order's lines to the cart at today's prices and rules.

    Products no longer on sale are left out and reported; quantities are raised to today's
    minimum and order multiple where they have changed. Raises: NotFound.
    """
    order = customer_order(customer.id, order_id)
    skipped = []
    with transaction():
        for line in order.lines:
            if line.gift:  # given by a promotion then; today's promotions give today's gifts
                continue
            product = line.product
            if not product.active:
                skipped.append({"product_id": product.id, "name": product.name, "reason": "已下架"})
                continue
            qty = cart.orderable_qty(line.qty, product.min_qty, product.step)
            unit, count = units.in_unit(product, qty, line.unit)  # as ordered, while it fits
            cart.add_item(user_id, product.id, count, unit)  # adds to what the cart holds
    return cart.view_cart(user_id, customer, low_threshold, skipped)


@dataclass(frozen=True)
class LastOrdered:
    """A product this customer ordered lately, as they last ordered it: `qty` in base units and,
    for 再订, the same amount in the unit they ordered it in where the product still has that unit
    and it divides exactly (`unit` is the base unit otherwise)."""

    view: object  # ProductView
    qty: int
    unit: str
    unit_qty: int
    at: dt.datetime

    @property
    def words(self) -> str:
        """ "3 箱（30 袋）", or "30 袋"."""
        return units.words(self.qty, self.unit, self.unit_qty, self.view.product.unit)


def recent_products(customer: Customer, low_threshold: int, limit: int = 30) -> list[LastOrdered]:
    """Products this customer ordered in the last 90 days, most recent first, as last ordered;
    rejected and cancelled orders left out."""
    since = utcnow() - dt.timedelta(days=RECENT_DAYS)
    rows = (
        OrderLine.select(OrderLine.product, OrderLine.qty, OrderLine.unit, Order.created_at)
        .join(Order)
        .where(
            (Order.customer == customer.id)
            & (Order.created_at >= since)
            # An order that was never sent is no order to repeat.
            & Order.status.not_in([OrderStatus.REJECTED.value, OrderStatus.CANCELLED.value])
            & ~OrderLine.gift
        )
        .order_by(Order.created_at.desc(), OrderLine.id.desc())
        .limit(500)
    )
    last: dict[int, tuple[int, str | None, dt.datetime]] = {}
    for row in rows:
        last.setdefault(row.product_id, (row.qty, row.unit, row.order.created_at))
    ids = list(last)[:limit]
    views = views_for(
        customer,
        Product.select().where((Product.id << ids) & Product.active),
        low_threshold,
        offers_for(customer),
    )
    views = product_images.with_images(views)
    views.sort(key=lambda v: ids.index(v.product.id))
    found = []
    for v in views:
        qty, unit, at = last[v.product.id]
        name, count = units.in_unit(v.product, qty, unit)
        found.append(LastOrdered(v, qty, name, count, at))
    return found
