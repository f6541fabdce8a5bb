"""Favourites (收藏): products a dealer keeps at hand, per customer (everyone ordering for that
customer shares them, as they share its address book). Marking a page of products costs one query,
whatever its length."""

from __future__ import annotations

from peewee import IntegrityError

from app.core import product_images
from app.core.models import Customer, Product
from app.db import db, is_postgres, transaction, utcnow
from app.errors import NotFound, ValidationFailed
from app.mall.catalog import ProductView, views_for
from app.mall.models import Favourite

MAX_FAVOURITES = 500  # a list a dealer can read; bounds marking a cached catalogue page too


def add(customer_id: int, product_id: int) -> bool:
    """收藏 a product on sale; returns whether it is new (a second PUT changes nothing).

    Raises: NotFound (unknown or inactive product), ValidationFailed (the list is full).
    """
    with transaction():
        if not Product.select().where((Product.id == product_id) & Product.active).exists():
            raise NotFound("商品不存在或已下架", product_id=product_id)
        if Favourite.select().where(Favourite.customer == customer_id).count() >= MAX_FAVOURITES:
            raise ValidationFailed(
                f"收藏夹最多 {MAX_FAVOURITES} 种商品，请先取消一些不常订的商品",
                product_id=[f"最多 {MAX_FAVOURITES} 种"],
            )
        try:
            with db.atomic():  # a savepoint: the duplicate's error must not end the transaction
                Favourite.insert(
                    customer=customer_id, product=product_id, created_at=utcnow()
                ).execute()
        except IntegrityError:  # already there (or another tap won the race): still one row
            return False
        return True


def remove(customer_id: int, product_id: int) -> bool:
    """取消收藏; returns whether it was there (removing twice changes nothing)."""
    deleted = (
        Favourite.delete()
        .where((Favourite.customer == customer_id) & (Favourite.product == product_id))
        .execute()
    )
    return bool(deleted)


def marked(customer_id: int, product_ids) -> set[int]:
    """Which of these products are this customer's favourites: one query."""
    ids = list(product_ids)
    if not ids:
        return set()
    query = Favourite.select(Favourite.product).where(
        (Favourite.customer == customer_id) & (Favourite.product << ids)
    )
    return {row.product_id for row in query}


def all_marked_sql() -> str:
    """Every favourite of the signed-in user's customer, as one text column: a subquery for the
    sign-in's statement to read (`accounts.active_user_reading`, where the user is `u`),
    which `marked_in` reads. A catalogue page asks for all of them (the cached page's ids are not
    known without parsing it), with the sign-in: one round trip, not two."""
    ids = "string_agg(f.product_id::text, ',')" if is_postgres() else "group_concat(f.product_id)"
    return f"SELECT {ids} FROM favourite f WHERE f.customer_id = u.customer_id"


def marked_in(text: str | None) -> set[int]:
    """The product ids `all_marked_sql` read."""
    return {int(i) for i in text.split(",")} if text else set()


def mark(customer_id: int, views: list[ProductView]) -> list[ProductView]:
    """Set `favourite` on each product of a page of views (one query); returns the views."""
    ids = marked(customer_id, [v.product.id for v in views])
    for view in views:
        view.product.favourite = view.product.id in ids
    return views


def favourites_of(
    customer: Customer, low_threshold: int, page: int, per_page: int
) -> tuple[list[ProductView], int]:
    """This customer's favourites on sale, newest first, at their prices and stock status."""
    query = (
        Product.select()
        .join(Favourite)
        .where((Favourite.customer == customer.id) & Product.active)
        .order_by(Favourite.created_at.desc(), Favourite.id.desc())
    )
    total = query.count()
    views = views_for(customer, query.paginate(page, per_page), low_threshold)
    for view in views:
        view.product.favourite = True
    return product_images.with_images(views), total
