"""Carts: one per WeChat user, priced at the customer's prices every time it is shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

from app.core import credit, orders, promotion_book, promotions, units
from app.core.models import Customer, Product
from app.core.rules import SettlementMethod, check_quantity, line_amount
from app.db import (
    columns_of,
    db,
    execute,
    execute_with_commit,
    from_row,
    transaction,
    utcnow,
)
from app.errors import NotFound, ValidationFailed
from app.mall.catalog import ProductView, stock_status, views_for
from app.mall.models import CartItem
from app.money import money, written

MAX_LINE_QTY = 99999


@dataclass(frozen=True)
class CartLine:
    view: ProductView
    qty: int
    low_threshold: int = 0
    price: Decimal | None = None  # after line promotions (None: the dealer's own price)
    promotion: str | None = None  # the label of the promotion that set the price, or gave it
    gift: bool = False
    asked_unit: str | None = None  # the unit the dealer picked (None: the base unit)

    @property
    def unit(self) -> str:
        """The unit the line is shown in: the one picked while the quantity is a whole number of
        it, else the base unit."""
        return units.in_unit(self.view.product, self.qty, self.asked_unit)[0]

    @property
    def unit_qty(self) -> int:
        return units.in_unit(self.view.product, self.qty, self.asked_unit)[1]

    @property
    def qty_words(self) -> str:
        """ "2 箱（24 件）", or "24 件"."""
        return units.words(self.qty, self.unit, self.unit_qty, self.view.product.unit)

    @property
    def unit_price(self) -> Decimal:
        return self.view.price if self.price is None else self.price

    @property
    def original_price(self) -> Decimal:
        """The dealer's own price, before promotions."""
        return self.view.price

    @property
    def amount(self) -> Decimal:
        return line_amount(self.unit_price, self.qty)

    @property
    def stock_status(self) -> str:
        """As the catalogue says it, and `low` also when this quantity may not ship in full."""
        return stock_status(self.view.available, self.low_threshold, self.qty)


@dataclass(frozen=True)
class Funds:
    """The customer's position for an amount, before it is ordered, in words."""

    settlement_method: str
    available: Decimal | None  # None: cash on delivery, not limited
    total: Decimal

    @property
    def short(self) -> Decimal:
        if self.available is None:
            return Decimal("0.00")
        return money(max(self.total - self.available, Decimal("0")))

    @property
    def message(self) -> str:
        if self.available is None:
            return "货到付款：收货时付款，不占用信用额度"
        if self.settlement_method == SettlementMethod.PREPAID:
            if self.short:
                return f"预付款可用余额 {written(self.available)}，本单还差 {written(self.short)}，请及时打款"
            return f"预付款可用余额 {written(self.available)}，足够支付本单"
        if self.short:
            return f"本单超出可用信用额度 {written(self.short)}（可用 {written(self.available)}），审核时可能需要特批"
        return f"可用信用额度 {written(self.available)}，提交后剩余 {written(self.available - self.total)}"


def funds_for(customer: Customer, total: Decimal) -> Funds:
    return Funds(customer.settlement_method, credit.available_to_spend(customer), money(total))


@dataclass(frozen=True)
class Cart(orders.Totalled):
    lines: list[CartLine]  # what the dealer put in (gifts apart: they are not the dealer's to set)
    skipped: list[dict] = field(default_factory=list)
    funds: Funds | None = None
    gift_lines: list[CartLine] = field(default_factory=list)
    discounts: list[promotions.Discount] = field(default_factory=list)
    promotions: list[str] = field(default_factory=list)  # what each promotion did or needs
    warnings: list[dict] = field(default_factory=list)
    # `promotions` with whether each applied: the pages say the discount there, once.
    progress: list[promotions.Progress] = field(default_factory=list)

    @property
    def items(self) -> list[CartLine]:
        return [*self.lines, *self.gift_lines]

    @property
    def count(self) -> int:
        return sum(ln.qty for ln in self.lines)


def view_cart(user_id: int, customer: Customer, low_threshold: int, skipped=None) -> Cart:
    """The cart at the dealer's prices with the promotions open to them now, priced as the order
    would be (app.core.promotions): line prices, the full reduction, gifts stock can cover, and
    what each promotion did or is short of."""
    now = utcnow()
    views, open_now = _line_views(user_id, customer, low_threshold, now)
    if not views:
        return Cart([], skipped or [], funds_for(customer, Decimal("0.00")))
    offers = promotions.open_offers(open_now, orders.audience_of(customer), now)
    items = [
        promotions.Item(v.product.id, v.product.cart_qty, v.price, v.product.category_id)
        for v in views
    ]
    pricing = promotions.price_basket(offers, items)
    lines = [
        CartLine(
            v,
            v.product.cart_qty,
            low_threshold,
            priced.price,
            priced.label or None,
            asked_unit=v.product.cart_unit,
        )
        for v, priced in zip(views, pricing.lines, strict=True)
    ]
    gift_lines, warnings = _gifts(customer, views, pricing, low_threshold)
    cart = Cart(
        lines,
        skipped or [],
        None,
        gift_lines,
        [pricing.discount] if pricing.discount else [],
        [p.message for p in pricing.progress],
        warnings,
        pricing.progress,
    )
    return replace(cart, funds=funds_for(customer, cart.total))


# The cart's products on sale, at the customer's prices with their available stock, the line
# put in last first (a line whose quantity changes keeps its place on the page), each row with the promotions open now (`promotion_book.open_versions`, one
# subquery): SQL written once, as the order's products are read (the cart is shown after every
# change a dealer makes to it).
_CART = (
    "SELECT ({open_versions}), ci.qty, ci.unit, {priced}"
    " FROM cart_item ci JOIN product p ON p.id = ci.product_id"
    " WHERE ci.wechat_user_id = %s AND p.active ORDER BY ci.id DESC"
)


def lines_of_signed_in() -> str:
    """How many lines the cart page shows (products on sale), as a subquery of the sign-in's
    statement (the user is `u`): the count on the navigation's 购物车 tab."""
    return (
        "SELECT COUNT(*) FROM cart_item ci JOIN product p ON p.id = ci.product_id"
        " WHERE ci.wechat_user_id = u.id AND p.active"
    )


def _line_views(
    user_id: int, customer: Customer, low_threshold: int, now: dt.datetime
) -> tuple[list[ProductView], list[promotions.Offer]]:
    """What `views_for` makes of the cart's products (held equal to it by a test), each product
    with its line's `cart_qty` (base units) and `cart_unit`; and the promotions open at `now`
    (`promotion_book.open_now`, read in the same statement; none for an empty cart)."""
    versions, version_params = promotion_book.open_versions(now)
    sql = _CART.format(open_versions=versions, priced=orders.PRICED_COLUMNS)
    params = [*version_params, *orders.price_params(customer), user_id]
    rows = execute(sql, params).fetchall()
    views = []
    for _, qty, unit, *priced in rows:
        p = orders.priced_product(customer, priced)
        p.cart_qty, p.cart_unit = qty, unit
        views.append(ProductView(p, p.price, stock_status(p.available, low_threshold), p.available))
    return views, (promotion_book.offers_named(rows[0][0]) if rows else [])


def _gifts(customer: Customer, views, pricing, low_threshold: int):
    """The gifts stock covers, as cart lines, and a warning for each it does not."""
    if not pricing.gifts:
        return [], []
    known = {v.product.id: v for v in views}
    wanted = sorted({g.product_id for g in pricing.gifts} - known.keys())
    if wanted:
        query = Product.select().where((Product.id << wanted) & Product.active)
        known |= {v.product.id: v for v in views_for(customer, query, low_threshold)}
    available = {pid: v.available for pid, v in known.items()}
    bought = {ln.item.product_id: ln.item.qty for ln in pricing.lines}
    granted, left_out = promotions.grant_gifts(pricing.gifts, available, bought)
    lines = [
        CartLine(known[g.product_id], g.qty, low_threshold, Decimal("0.00"), g.offer.label, True)
        for g in granted
    ]
    warnings = [
        {
            "code": "gift_out_of_stock",
            "message": f"{w.offer.title}：赠品"
            f"{known[w.product_id].product.name if w.product_id in known else ''}库存不足，暂不赠送",
            "product_id": w.product_id,
        }
        for w in left_out
    ]
    return lines, warnings


# What putting a product in the cart reads and writes, in SQL written once (a dealer changes
# the cart often, and the cart is answered whole every time).
_ON_SALE = f"SELECT {columns_of(Product, 'p')} FROM product p WHERE p.id = %s AND p.active"
_PUT_LINE = (
    "INSERT INTO cart_item (wechat_user_id, product_id, qty, unit, unit_qty, updated_at)"
    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (wechat_user_id, product_id) DO UPDATE SET {}"
)
# The line set to what was asked (设置数量), or the quantity added to the line's (加入购物车).
SET_LINE = _PUT_LINE.format(
    "qty = excluded.qty, unit = excluded.unit, unit_qty = excluded.unit_qty,"
    " updated_at = excluded.updated_at"
)
ADD_TO_LINE = _PUT_LINE.format(
    "qty = cart_item.qty + excluded.qty, updated_at = excluded.updated_at"
)


def _orderable(product_id: int, qty: int, unit: str | None = None) -> tuple[Product, int]:
    """The product on sale and `qty` of `unit` in base units, checked against its minimum and
    multiple (said in `unit`). Raises: NotFound, ValidationFailed (unknown unit, too many),
    BelowMinQty, BadStep."""
    row = execute(_ON_SALE, [product_id]).fetchone()
    if row is None:
        raise NotFound("商品不存在或已下架", product_id=product_id)
    product = from_row(Product, row)
    base = qty * units.factor_of(product, unit)
    say = (
        None
        if not unit or unit == product.unit
        else (lambda n: units.amount_words(product, n, unit))
    )
    check_quantity(
        base, product.min_qty, product.step, product_id=product.id, name=product.name, say=say
    )
    if base > MAX_LINE_QTY:
        raise ValidationFailed(
            f"{product.name} 购物车中最多 {MAX_LINE_QTY} {product.unit}",
            qty=[f"最多 {MAX_LINE_QTY} {product.unit}"],
        )
    return product, base


def _put_line(
    user_id: int,
    product_id: int,
    qty: int,
    unit: str | None,
    upsert: str,
    owns_transaction: bool = False,
) -> tuple[Product, int, str]:
    """Check `qty` of `unit` for the product and write it as the user's cart line, or, where
    they have one, change it as `upsert` says (SET_LINE or ADD_TO_LINE). Returns the product,
    the base quantity and the unit's name. A caller that opened the transaction and reads
    nothing of the line before it ends (`owns_transaction`) has the write go with its COMMIT."""
    product, base = _orderable(product_id, qty, unit)
    name, count = units.in_unit(product, base, unit)
    updated_at = CartItem.updated_at.db_value(utcnow())
    params = [user_id, product.id, base, name, count, updated_at]
    execute_with_commit(upsert, params, owns_transaction=owns_transaction)
    return product, base, name


def set_item(
    user_id: int,
    product_id: int,
    qty: int,
    unit: str | None = None,
    requested: int | None = None,
) -> str | None:
    """Put a product in the cart at `qty` of `unit` (default: the base unit). `requested` is what
    the dealer typed when the page raised it to `qty`, the first orderable count at or above it:
    the answer then says so ("茉莉绿茶：7 → 10，订货倍数 5 箱"), else None. Raises: NotFound,
    ValidationFailed (unknown unit), BelowMinQty, BadStep."""
    owns_transaction = not db.in_transaction()
    with transaction():
        product, _, name = _put_line(user_id, product_id, qty, unit, SET_LINE, owns_transaction)
    return raised_words(product, requested, qty, unit, name)


def raised_words(product, requested: int | None, qty: int, unit: str | None, name: str):
    """Why `requested` (a count of `unit`) became `qty`, in words; None when it did not (or
    `qty` is not what the rules would have raised it to: a stale page)."""
    if requested is None or requested == qty:
        return None
    first, step = units.stepping(product, unit)
    if orderable_qty(requested, first, step) != qty:
        return None
    why = f"起订量 {first} {name}" if requested < first else f"订货倍数 {step} {name}"
    return f"{product.name}：{requested} → {qty}，{why}"


def add_item(
    user_id: int, product_id: int, qty: int, unit: str | None = None
) -> tuple[Product, int]:
    """加入购物车 / 再订: `qty` more of a product, counted in `unit` (a valid quantity on its own,
    so the sum is one too); returns the product and the base quantity now in the cart. The line
    is shown in the unit just picked if the sum is a whole number of it, else in the one it had,
    else in base units. Raises: NotFound, ValidationFailed (unknown unit, more than a line may
    hold), BelowMinQty, BadStep."""
    with transaction():
        product, base, name = _put_line(user_id, product_id, qty, unit, ADD_TO_LINE)
        mine = (CartItem.wechat_user == user_id) & (CartItem.product == product.id)
        total, had = CartItem.select(CartItem.qty, CartItem.unit).where(mine).tuples().get()
        if total > MAX_LINE_QTY:
            raise ValidationFailed(
                f"{product.name} 购物车中最多 {MAX_LINE_QTY} {product.unit}，请在购物车中修改数量",
                qty=[f"最多 {MAX_LINE_QTY}"],
            )
        if total != base:  # added to a line already there: say the sum in a unit it fills
            shown = units.in_unit(product, total, name)
            if shown[0] != name:
                shown = units.in_unit(product, total, had)
            CartItem.update(unit=shown[0], unit_qty=shown[1]).where(mine).execute()
        return product, total


def remove_item(user_id: int, product_id: int) -> None:
    with transaction():
        deleted = (
            CartItem.delete()
            .where((CartItem.wechat_user == user_id) & (CartItem.product == product_id))
            .execute()
        )
        if not deleted:
            raise NotFound("购物车中没有该商品", product_id=product_id)


def clear(user_id: int) -> None:
    CartItem.delete().where(CartItem.wechat_user == user_id).execute()


def remove_products(user_id: int, product_ids: list[int]) -> None:
    """Ordered products leave the cart (on the order's hot path: SQL written once)."""
    marks = ", ".join(["%s"] * len(product_ids))
    execute(
        f"DELETE FROM cart_item WHERE wechat_user_id = %s AND product_id IN ({marks})",
        [user_id, *product_ids],
    )


def orderable_qty(qty: int, min_qty: int, step: int) -> int:
    """The nearest quantity at or above `qty` that the product's rules allow."""
    qty = max(qty, min_qty)
    return qty + (-qty % step)
