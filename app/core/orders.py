"""Order use cases: create (pending review), approve into stock and credit, reject, cancel, ship, complete.

Every status change goes through `_transition`: a guarded UPDATE on the current status plus exactly
one OrderEvent, in the caller's transaction. Rows are always locked in the same order — order,
customer, stock rows by product id — so concurrent writers queue instead of deadlocking; the stock
rows, the hottest (a promoted product is ordered by every dealer), come last and are held only
until commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from app.core import credit, promotion_book, promotions, receivables, stock, units
from app.core.models import (
    Customer,
    CustomerAddress,
    Order,
    OrderDiscount,
    OrderEvent,
    OrderLine,
    Product,
    Shipment,
    ShipmentLine,
)
from app.core.promotions import Audience, Discount, Offer, line_value
from app.core.rules import (
    OrderStatus,
    check_quantity,
    line_amount,
    next_status,
    resolve_price,
)
from app.db import (
    PARENT_ID,
    columns_of,
    execute,
    from_row,
    guarded_add,
    insert_family,
    insert_rows,
    is_postgres,
    made,
    transaction,
    utcnow,
)
from app.errors import InvalidState, NotFound, ValidationFailed
from app.events import OrderChanged, emit
from app.money import money
from app.numbering import create_numbered, document_number

MAX_LINE_QTY = 99999  # base units on one line, whatever unit it was asked in


@dataclass(frozen=True)
class LineRequest:
    product_id: int
    qty: int  # of `unit`: one of the product's units, or (None) its base unit
    unit: str | None = None


@dataclass(frozen=True)
class PricedLine:
    product: Product
    qty: int
    price: Decimal  # after line promotions (0.00 for a gift)
    list_price: Decimal
    base_price: Decimal | None = None  # the customer's own price, before promotions
    promotion: Offer | None = None  # the promotion that set the price, or gave the gift
    gift: bool = False
    discount: Decimal = Decimal("0.00")  # this line's share of the order's discounts (满减)
    unit: str | None = None  # the unit it was ordered in, `unit_qty` of it (`qty`: base units)
    unit_qty: int | None = None

    @property
    def amount(self) -> Decimal:
        return line_amount(self.price, self.qty)


class Totalled:
    """The sums of something priced (a quote, a cart): its `lines`' amounts, its `discounts`, and
    what is left to pay, never below zero."""

    lines: list
    discounts: list

    @property
    def subtotal(self) -> Decimal:
        return money(sum((ln.amount for ln in self.lines), Decimal("0")))

    @property
    def discount_total(self) -> Decimal:
        return money(sum((d.amount for d in self.discounts), Decimal("0")))

    @property
    def total(self) -> Decimal:
        return money(max(self.subtotal - self.discount_total, Decimal("0")))


@dataclass
class Quote(Totalled):
    """An order priced, promotions applied: its lines (bought, then gifts), the discount it gets,
    and the gifts stock could not cover (warnings)."""

    lines: list[PricedLine]
    discounts: list[Discount] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    progress: list = field(default_factory=list)


def priced_columns(customer: str = "%s", level: str = "%s", warehouse: str = "%s") -> str:
    """A product `p`'s columns, then its price in one customer's price book, its price at their
    level and the stock available in their warehouse: what `priced_product` reads, for an
    order's products here and for a cart's (app/mall/cart.py). The customer's id, price level
    and warehouse are each a parameter (`price_params`, in this order, where these columns
    stand in the statement) or a column of a customer row the statement reads too (`c.id`, ...).

    Each price and the stock is a subquery by a unique index rather than a join: PostgreSQL then
    plans four tables' joins fewer, which halved the planning of an order's first statement, the
    larger part of what it costs the database (docs/performance.md, entry 22)."""
    return (
        f"{columns_of(Product, 'p')},"
        " (SELECT b.price FROM customer_price b"
        f" WHERE b.product_id = p.id AND b.customer_id = {customer}),"
        f" (SELECT l.price FROM product_price l WHERE l.product_id = p.id AND l.level = {level}),"
        " (SELECT s.on_hand - s.reserved FROM stock s"
        f" WHERE s.product_id = p.id AND s.warehouse_id = {warehouse})"
    )


# Price book → level price → list price, and what the warehouse has: one statement, written once.
PRICED_COLUMNS = priced_columns()
_PRICED = f"SELECT {PRICED_COLUMNS} FROM product p WHERE p.active AND p.id IN ({{}})"


def audience_of(customer: Customer) -> Audience:
    return Audience(customer.id, customer.branch_id, customer.price_level)


@dataclass(frozen=True)
class ReadAhead:
    """An order's products as a caller read them before pricing, in a statement of its own
    (`PRICED_COLUMNS`): the ids it asked for and the products on sale found
    among them, each from `priced_product`."""

    asked: frozenset[int]
    found: dict[int, Product]


def price_lines(
    customer: Customer,
    lines: Iterable[LineRequest],
    offers: list[Offer] | None = None,
    *,
    words: bool = False,
    ahead: ReadAhead | None = None,
) -> Quote:
    """Resolve each line's price for this customer, apply the promotions open to them (`offers`,
    default: those open now, one query) and check each quantity: the products in one query, each
    with `available` in the customer's warehouse (warnings, and whether a gift can be given),
    with the gifts the offers could give them when there are at most GIFTS_READ_WITH_LINES (else
    those to be given in one more query). `words`: the quote also says what each promotion did.
    `ahead`: products the caller read already; only those it did not ask for are read here.

    Raises: NotFound (unknown or inactive product), BelowMinQty, BadStep, ValidationFailed.
    """
    lines = list(lines)
    if not lines:
        raise ValidationFailed("订单至少需要一个商品", lines=["订单至少需要一个商品"])
    ids = {line.product_id for line in lines}
    if len(ids) != len(lines):
        raise ValidationFailed("同一商品请合并为一行", lines=["同一商品请合并为一行"])
    if offers is None:
        offers = promotion_book.open_now()
    offers = promotions.open_offers(offers, audience_of(customer), utcnow())
    read = gifts_read_with(offers, ids)
    if ahead is None:
        products = _priced_products(customer, ids | read)
    else:
        products = dict(ahead.found)
        if unread := (ids | read) - ahead.asked:
            products |= _priced_products(customer, unread)
    missing = sorted(ids - products.keys())
    if missing:
        raise NotFound("商品不存在或已下架", product_ids=missing)
    items = []
    ordered_in: dict[int, tuple[str, int]] = {}  # product id → (unit, count of it)
    for line in lines:
        product = products[line.product_id]
        qty = line.qty * units.factor_of(product, line.unit)
        check_quantity(
            qty,
            product.min_qty,
            product.step,
            product_id=product.id,
            name=product.name,
            say=_in_unit_words(product, line.unit),
        )
        if qty > MAX_LINE_QTY:
            raise ValidationFailed(
                f"{product.name} 一次最多订 {MAX_LINE_QTY} {product.unit}",
                qty=[f"最多 {MAX_LINE_QTY} {product.unit}"],
            )
        ordered_in[product.id] = (line.unit or product.unit, line.qty)
        items.append(promotions.Item(product.id, qty, product.price, product.category_id))
    pricing = promotions.price_basket(offers, items, words)
    # Gifts not read yet (too many possible ones): read only those to be given (one query more).
    gifts = {g.product_id for g in pricing.gifts} - products.keys() - read
    if gifts:
        products |= _priced_products(customer, gifts)
    return quote(products, pricing, ordered_in)


def _in_unit_words(product: Product, unit: str | None):
    """How a quantity rule is said to a dealer ordering in `unit` (None: in base units)."""
    if not unit or unit == product.unit:
        return None
    return lambda qty: units.amount_words(product, qty, unit)


# At most this many possible gifts not ordered are read with an order's products; with more,
# only those to be given are read, in a query of their own.
GIFTS_READ_WITH_LINES = 10


def gifts_read_with(offers: list[Offer], ids: set[int]) -> set[int]:
    """The gifts `offers` could give a basket of the products `ids`, other than those, when they
    are few enough to be read with the basket's products (a gift product off sale is then simply
    not found, as in a read of its own); else none."""
    read = promotions.possible_gifts(offers, ids) - ids if offers else set()
    return read if len(read) <= GIFTS_READ_WITH_LINES else set()


def _priced_products(customer: Customer, ids: set[int]) -> dict[int, Product]:
    """Products on sale among `ids`, each with the customer's `price` and `available` stock."""
    sql = _PRICED.format(", ".join(["%s"] * len(ids)))
    rows = execute(sql, [*price_params(customer), *ids]).fetchall()
    return {p.id: p for p in (priced_product(customer, row) for row in rows)}


def price_params(customer: Customer) -> list:
    """The parameters of PRICED_COLUMNS for this customer."""
    return [customer.id, customer.price_level, customer.warehouse_id]


def priced_product(customer: Customer, row) -> Product:
    """A row of PRICED_COLUMNS as the product, with this customer's `price` (price book, else
    level price, else list price) and `available` stock."""
    *columns, book, level, available = row
    p = from_row(Product, columns)
    fen = Product.list_price.python_value
    levels = {} if level is None else {customer.price_level: fen(level)}
    book = None if book is None else fen(book)
    p.price = resolve_price(p.list_price, levels, customer.price_level, book)
    p.available = available or 0
    return p


def quote(
    products: dict[int, Product],
    pricing: promotions.Pricing,
    ordered_in: dict[int, tuple[str, int]] | None = None,
) -> Quote:
    """Turn the engine's pricing into order lines: the discount shared over its qualifying
    lines, and each gift given when stock covers it (else a warning). `products` holds every
    product bought and every possible gift, each with `available`; `ordered_in` the unit each
    bought line was asked in and its count (default: base units)."""
    ordered_in = ordered_in or {}
    shares: dict[int, Decimal] = {}
    if pricing.discount:
        carrying = [
            ln for ln in pricing.lines if ln.item.product_id in pricing.discount.product_ids
        ]
        split = promotions.allocate(pricing.discount.amount, [ln.amount for ln in carrying])
        shares = {ln.item.product_id: share for ln, share in zip(carrying, split, strict=True)}
    priced = [
        PricedLine(
            products[ln.item.product_id],
            ln.item.qty,
            ln.price,
            products[ln.item.product_id].list_price,
            base_price=money(ln.item.price),
            promotion=ln.offer,
            discount=shares.get(ln.item.product_id, Decimal("0.00")),
            unit=ordered_in.get(ln.item.product_id, (None, None))[0],
            unit_qty=ordered_in.get(ln.item.product_id, (None, None))[1],
        )
        for ln in pricing.lines
    ]
    available = {pid: p.available for pid, p in products.items() if p.active}
    bought = {ln.item.product_id: ln.item.qty for ln in pricing.lines}
    granted, left_out = promotions.grant_gifts(pricing.gifts, available, bought)
    for gift in granted:
        product = products[gift.product_id]
        priced.append(
            PricedLine(
                product,
                gift.qty,
                Decimal("0.00"),
                product.list_price,
                base_price=product.price,  # what the gift would have cost the dealer
                promotion=gift.offer,
                gift=True,
            )
        )
    warnings = [
        {
            "code": "gift_out_of_stock",
            "message": f"{want.offer.title}：赠品"
            f"{products[want.product_id].name if want.product_id in products else ''}"
            f"库存不足，本单未赠送",
            "product_id": want.product_id,
        }
        for want in left_out
    ]
    discounts = [pricing.discount] if pricing.discount else []
    return Quote(priced, discounts, warnings, pricing.progress)


def record_event(
    order: Order,
    action: str,
    from_status,
    to_status,
    actor: str,
    note: str = "",
    amount: Decimal | None = None,
):
    """One OrderEvent and, through its handlers (OrderChanged), its notifications and webhook
    deliveries, in the same transaction; `amount` is the money the event is about when that is
    not the order's total (a return's)."""
    event = _new_event(order, action, from_status, to_status, actor, note)
    (event.id,) = insert_rows(OrderEvent, [event.__data__], returning=True)
    emit(OrderChanged(order, event, amount))
    return event


def _new_event(order: Order, action: str, from_status, to_status, actor: str, note: str = ""):
    return made(
        OrderEvent,
        order=order.id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        note=note,
        created_at=utcnow(),
    )


def get_order(order: Order | int) -> Order:
    """The order itself when the caller already read it in this transaction, else read by id."""
    if isinstance(order, Order):
        return order
    found = Order.get_or_none(Order.id == order)
    if found is None:
        raise NotFound("订单不存在", order_id=order)
    return found


def _transition(order: Order, action: str, actor: str, note: str = "", **changes) -> Order:
    """Move an order along the status table; loses cleanly (InvalidState) if another writer won."""
    current = order.status
    new = next_status(current, action)
    updated = (
        Order.update(status=new.value, updated_at=utcnow(), **changes)
        .where((Order.id == order.id) & (Order.status == current))
        .execute()
    )
    if not updated:
        next_status(get_order(order.id).status, action)  # raises with the status that won
        raise InvalidState("订单状态已变化，请刷新后重试", order_id=order.id)
    order.status = new.value
    for key, value in changes.items():
        setattr(order, key, value)
    record_event(order, action, current, new.value, actor, note)
    return order


def create_order(
    customer: Customer | int,
    lines: Iterable[LineRequest],
    *,
    source: str = "mall",
    placed_by: str = "",
    remark: str = "",
    address_id: int | None = None,
    offers: list[Offer] | None = None,
    ahead: ReadAhead | None = None,
) -> Order:
    """Create an order awaiting review at the customer's server-side prices; nothing is held yet.

    `customer` may be the row the caller read in this request (checked active there), which
    saves reading it again; `offers` the promotions open now, and `ahead` the products, when the
    caller read them (default: read here, as `price_lines` does). Raises: NotFound (customer, product or address), BelowMinQty, BadStep,
    ValidationFailed.
    """
    with transaction():
        if not isinstance(customer, Customer):
            found = Customer.get_or_none((Customer.id == customer) & Customer.active)
            if found is None:
                raise NotFound("客户不存在", customer_id=customer)
            customer = found
        quoted = price_lines(customer, lines, offers, ahead=ahead)
        priced = quoted.lines
        now = utcnow()
        order = made(
            Order,
            customer=customer,
            warehouse=customer.warehouse_id,
            status=OrderStatus.PENDING_REVIEW.value,
            source=source,
            placed_by=placed_by,
            total=quoted.total,
            discount_total=quoted.discount_total,
            held_amount=Decimal("0.00"),
            remark=remark,
            reject_reason="",
            created_at=now,
            updated_at=now,
        )
        rows = [
            {
                "order": PARENT_ID,
                "product": p.product.id,
                "qty": p.qty,
                "price": p.price,
                "list_price": p.list_price,
                "amount": p.amount,
                "promotion": p.promotion.id if p.promotion else None,
                "promotion_label": p.promotion.label if p.promotion else "",
                "base_price": p.base_price if p.base_price is not None else p.price,
                "gift": p.gift,
                "discount": p.discount,
                "unit": p.unit or p.product.unit,
                "unit_qty": p.qty if p.unit_qty is None else p.unit_qty,
            }
            for p in priced
        ]
        discounts = [
            {"order": PARENT_ID, "promotion": d.offer.id, "name": d.offer.name, "amount": d.amount}
            for d in quoted.discounts
        ]
        event = _new_event(order, "submit", None, order.status, placed_by)
        event.order = PARENT_ID
        # The order, its lines, its discounts and its first event: one statement on PostgreSQL.
        ids, _, (event.id,) = _insert_order(
            order,
            customer,
            address_id,
            (OrderLine, rows),
            (OrderDiscount, discounts),
            (OrderEvent, [event.__data__]),
        )
        event.order = order.id
        order.discounts = [OrderDiscount(**{**row, "order": order}) for row in discounts]
        emit(OrderChanged(order, event))
        # The new order comes back whole, as prefetch would load it: callers answer from memory.
        order.lines = [
            made(
                OrderLine,
                **{**row, "order": order, "product": p.product},  # the rows, not their ids
                id=line_id,
                shipped_qty=0,
                reserved_qty=0,
                returned_qty=0,
            )
            for line_id, p, row in zip(ids, priced, rows, strict=True)
        ]
        order.available = {p.product.id: p.product.available for p in priced}
        order.promotion_warnings = quoted.warnings
        order.events = [event]
        order.shipments = []
        return order


_ORDER_FIELDS = (
    "customer",
    "warehouse",
    "status",
    "source",
    "placed_by",
    "total",
    "discount_total",
    "held_amount",
    "remark",
    "reject_reason",
    "created_at",
    "updated_at",
)
_ORDER_COLUMNS = (
    "customer_id, warehouse_id, status, source, placed_by, total, discount_total, held_amount,"
    " remark,"
    " reject_reason, created_at, updated_at, address"
)
_ORDER_VALUES = ", ".join(["%s"] * len(_ORDER_FIELDS))
# With no address chosen, the customer's default address (else the one on the customer).
# The text is CustomerAddress.as_text() written in SQL: a municipality is named once.
_DEFAULT_ADDRESS = (
    "COALESCE((SELECT a.contact || ' ' || a.phone || ' ' || a.province"
    " || CASE WHEN a.city = a.province THEN '' ELSE a.city END || a.district || a.address"
    " FROM customer_address a"
    " WHERE a.customer_id = %s ORDER BY a.is_default DESC, a.id LIMIT 1), %s)"
)
# PostgreSQL numbers the order in the insert itself: SO + date + the id, at least 6 digits.
# The id's sequence is named, not looked up in every insert (a test holds the name to
# pg_get_serial_sequence's answer).
ORDER_ID_SEQUENCE = "sales_order_id_seq"
_INSERT_ORDER_POSTGRES = (
    f"INSERT INTO sales_order (id, number, {_ORDER_COLUMNS})"
    " SELECT n.id, %s || lpad(n.id::text, greatest(6, length(n.id::text)), '0'),"
    f" {_ORDER_VALUES}, {{address}} FROM (SELECT nextval('{ORDER_ID_SEQUENCE}') AS id) n"
    " RETURNING id, number, address"
)
# SQLite numbers it in the insert too: the id is the one SQLite itself would give (the largest
# plus one: the table has no AUTOINCREMENT), read under the write lock the transaction took at
# BEGIN IMMEDIATE, so no other writer can take it meanwhile.
_INSERT_ORDER = (
    f"INSERT INTO sales_order (id, number, {_ORDER_COLUMNS})"
    " SELECT n.id, %s || printf('%06d', n.id),"
    f" {_ORDER_VALUES}, {{address}} FROM (SELECT COALESCE(MAX(id), 0) + 1 AS id FROM sales_order) n"
    " RETURNING id, number, address"
)


def _insert_order(order: Order, customer: Customer, address_id: int | None, *children):
    """Insert the order with its readable number and delivery address (sets id, number,
    address) and, with it, the `children` groups of rows that give its id as PARENT_ID; answers
    their new ids (app.db.insert_family)."""
    if address_id is None:
        address_sql, address_params = _DEFAULT_ADDRESS, [customer.id, customer.address]
    else:
        address_sql, address_params = "%s", [_chosen_address(customer, address_id)]
    values = [getattr(Order, name).db_value(order.__data__[name]) for name in _ORDER_FIELDS]
    # The same rule as document_number, in the insert itself: SO, the date, the id.
    prefix = document_number("SO", order.created_at, 0).removesuffix("000000")
    sql = (_INSERT_ORDER_POSTGRES if is_postgres() else _INSERT_ORDER).format(address=address_sql)
    made, ids = insert_family(sql, [prefix, *values, *address_params], *children)
    order.id, order.number, order.address = made["id"], made["number"], made["address"]
    return ids


def _chosen_address(customer: Customer, address_id: int) -> str:
    chosen = CustomerAddress.get_or_none(
        (CustomerAddress.customer == customer.id) & (CustomerAddress.id == address_id)
    )
    if chosen is None:
        raise NotFound("收货地址不存在", address_id=address_id)
    return chosen.as_text()


def approve_order(
    order_id: Order | int, actor: str, credit_override_by: int | None = None
) -> Order:
    """Final approval: push the order into stock and credit in one transaction.

    Reserves every line in the customer's warehouse (invariant 1) and holds the order's value
    against credit or prepaid funds (invariant 2; `credit_override_by` is a staff id whose role may
    override, recorded on the hold). Raises: InvalidState, InsufficientStock, CreditExceeded,
    Forbidden.
    """
    with transaction():
        order = _transition(get_order(order_id), "approve", actor, approved_at=utcnow())
        lines = list(order.lines)
        OrderLine.update(reserved_qty=OrderLine.qty).where(OrderLine.order == order.id).execute()
        credit.hold(order.customer_id, order.id, order.total, override_by=credit_override_by)
        stock.reserve(
            order.warehouse_id, [(ln.product_id, ln.qty) for ln in lines], order.number, actor
        )
        order.held_amount = order.total
        order.credit_override_by = credit_override_by
        return order


def reject_order(order_id: Order | int, actor: str, reason: str) -> Order:
    """Raises: InvalidState, ValidationFailed (a reason is required)."""
    if not reason or not reason.strip():
        raise ValidationFailed("驳回须填写原因", reason=["驳回须填写原因"])
    with transaction():
        order = _transition(get_order(order_id), "reject", actor, reason, reject_reason=reason)
        receivables.free_order_receipts(order.id)
        return order


def cancel_order(
    order_id: int, actor: str, reason: str = "", only_from: tuple[str, ...] | None = None
) -> Order:
    """Cancel before shipping; an approved order gives back its reservations and its hold.

    `only_from` narrows the statuses this caller may cancel from (a dealer: before review only);
    the guarded transition keeps that true even if a reviewer acts at the same moment.
    Raises: InvalidState.
    """
    with transaction():
        order = get_order(order_id)
        if only_from is not None and order.status not in only_from:
            if order.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
                next_status(order.status, "cancel")  # "订单已取消，不能取消": said as it is
            raise InvalidState("订单已进入审核流程，不能自行取消，请联系客服", status=order.status)
        was_approved = order.status == OrderStatus.APPROVED
        held = order.held_amount
        order = _transition(order, "cancel", actor, reason)
        if was_approved:
            lines = list(order.lines)
            OrderLine.update(reserved_qty=0).where(OrderLine.order == order.id).execute()
            credit.release(order.customer_id, order.id, held)
            stock.release(
                order.warehouse_id,
                [(ln.product_id, ln.reserved_qty) for ln in lines],
                order.number,
                actor,
            )
            order.held_amount = Decimal("0.00")
        receivables.free_order_receipts(order.id)
        return order


def ship_order(
    order_id: int,
    lines: Iterable[tuple[int, int]],
    carrier: str,
    tracking_no: str,
    actor: str,
) -> Shipment:
    """Ship (order_line_id, qty) lines, fully or partly: stock leaves the warehouse, the shipped
    value moves from the hold to a receivable, and the order becomes partially_shipped or shipped.

    Raises: InvalidState, NotFound (line not in this order), ValidationFailed (more than ordered).
    """
    wanted: dict[int, int] = {}
    for line_id, qty in lines:
        wanted[line_id] = wanted.get(line_id, 0) + qty
    if not wanted or any(q <= 0 for q in wanted.values()):
        raise ValidationFailed("请填写发货数量", lines=["发货数量必须大于 0"])
    with transaction():
        order = get_order(order_id)
        # Lock the order row first and check it can ship, before touching lines and stock.
        locked = (
            Order.update(updated_at=utcnow())
            .where(
                (Order.id == order.id)
                & (
                    Order.status
                    << [OrderStatus.APPROVED.value, OrderStatus.PARTIALLY_SHIPPED.value]
                )
            )
            .execute()
        )
        if not locked:
            next_status(get_order(order.id).status, "ship_part")  # raises with the real status
            raise InvalidState("订单状态已变化，请刷新后重试", order_id=order.id)
        order = get_order(order_id)  # re-read under the lock: another shipment may just have landed
        order_lines = {ln.id: ln for ln in order.lines}
        unknown = sorted(set(wanted) - order_lines.keys())
        if unknown:
            raise NotFound("发货行不属于该订单", order_line_ids=unknown)
        shipment = create_numbered(
            Shipment,
            "SH",
            "shipped_at",
            order=order.id,
            carrier=carrier,
            tracking_no=tracking_no,
            amount=Decimal("0"),
            shipped_by=actor,
        )
        amounts = {}
        for line_id, qty in sorted(wanted.items()):
            line = order_lines[line_id]
            current = guarded_add(
                OrderLine.shipped_qty,
                line_id,
                qty,
                OrderLine.qty,
                reserved_qty=OrderLine.reserved_qty - qty,
            )
            if current is not None:
                left = current.qty - current.shipped_qty
                raise ValidationFailed(
                    f"{line.product.name} 本次发货 {qty}，超过未发数量 {left}",
                    order_line_id=line_id,
                    remaining=left,
                    requested=qty,
                )
            # Valued after the line's share of the order's discounts: an order shipped whole
            # posts exactly its total, however it is split into shipments.
            amounts[line_id] = money(
                line_value(line.price, line.qty, line.discount, line.shipped_qty + qty)
                - line_value(line.price, line.qty, line.discount, line.shipped_qty)
            )
        shipment_lines = {
            lid: ShipmentLine.create(
                shipment=shipment.id, order_line=lid, qty=wanted[lid], amount=amounts[lid]
            )
            for lid in sorted(wanted)
        }
        shipment.amount = money(sum(amounts.values(), Decimal("0")))
        shipment.save(only=[Shipment.amount])
        # The order row is locked, so no one else ships it meanwhile: count what remains here.
        remaining = any(
            ln.shipped_qty + wanted.get(ln.id, 0) < ln.qty for ln in order_lines.values()
        )
        order = _transition(
            order,
            "ship_part" if remaining else "ship_all",
            actor,
            f"{carrier} {tracking_no}",  # as the dealer tracks it; staff see SH… in the shipments
        )
        credit.post_shipment(shipment, order)
        if not remaining:  # what was paid beyond its value now pays other receivables
            receivables.free_order_receipts(order.id)
        # Cost of goods: what the stock took at the moving average, per product (one line each).
        moved = stock.ship(
            order.warehouse_id,
            [(order_lines[lid].product_id, q) for lid, q in wanted.items()],
            shipment.number,
            actor,
        )
        for lid, shipped in shipment_lines.items():
            shipped.cost = -moved[order_lines[lid].product_id].value
            shipped.save(only=[ShipmentLine.cost])
        shipment.cost = sum((s.cost for s in shipment_lines.values()), Decimal("0"))
        shipment.save(only=[Shipment.cost])
        return shipment


def complete_order(order_id: int, actor: str) -> Order:
    """The dealer confirms receipt of a fully shipped order."""
    with transaction():
        return _transition(get_order(order_id), "complete", actor)
