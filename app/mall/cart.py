"""Carts: one per WeChat user, priced at the customer's prices every time it is shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from app.core.models import Customer, Product
from app.core.rules import check_quantity, line_amount
from app.db import execute, transaction, utcnow
from app.errors import NotFound
from app.mall.catalog import ProductView, views_for
from app.mall.models import CartItem
from app.money import money


@dataclass(frozen=True)
class CartLine:
    view: ProductView
    qty: int

    @property
    def amount(self) -> Decimal:
        return line_amount(self.view.price, self.qty)


@dataclass(frozen=True)
class Cart:
    lines: list[CartLine]
    skipped: list[dict] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return money(sum((ln.amount for ln in self.lines), Decimal("0")))

    @property
    def count(self) -> int:
        return sum(ln.qty for ln in self.lines)


def view_cart(user_id: int, customer: Customer, low_threshold: int, skipped=None) -> Cart:
    query = (
        Product.select(Product, CartItem.qty.alias("cart_qty"))
        .join(CartItem)
        .where((CartItem.wechat_user == user_id) & Product.active)
        .order_by(CartItem.updated_at.desc(), CartItem.id.desc())
    )
    views = views_for(customer, query, low_threshold)
    return Cart([CartLine(v, v.product.cart_qty) for v in views], skipped or [])


def set_item(user_id: int, product_id: int, qty: int) -> None:
    """Put a product in the cart at this quantity. Raises: NotFound, BelowMinQty, BadStep."""
    with transaction():
        product = Product.get_or_none((Product.id == product_id) & Product.active)
        if product is None:
            raise NotFound("商品不存在或已下架", product_id=product_id)
        check_quantity(qty, product.min_qty, product.step, product_id=product.id, name=product.name)
        (
            CartItem.insert(wechat_user=user_id, product=product_id, qty=qty, updated_at=utcnow())
            .on_conflict(
                conflict_target=[CartItem.wechat_user, CartItem.product],
                preserve=[CartItem.qty, CartItem.updated_at],
            )
            .execute()
        )


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
