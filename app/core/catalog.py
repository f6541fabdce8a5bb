"""Catalogue use cases: categories, products with their 10 price levels, and customer price books."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from peewee import JOIN, IntegrityError

from app.core import styles
from app.core import units as product_units
from app.core.models import Category, Customer, CustomerPrice, Product, ProductPrice
from app.core.rules import PRICE_LEVELS, resolve_price
from app.db import db, utcnow
from app.errors import Conflict, NotFound, ValidationFailed
from app.events import CatalogueChanged, emit
from app.money import money

PRODUCT_FIELDS = ("sku", "name", "category", "unit", "pack_size", "min_qty", "step", "list_price")


def create_category(name: str, parent_id: int | None = None, sort: int = 0) -> Category:
    with db.atomic():
        if parent_id is not None and not Category.select().where(Category.id == parent_id).exists():
            raise NotFound("上级分类不存在", parent_id=parent_id)
        emit(CatalogueChanged())
        return Category.create(name=name, parent=parent_id, sort=sort)


def _set_level_prices(product_id: int, prices: Mapping[int, Decimal]) -> None:
    bad = [level for level in prices if int(level) not in PRICE_LEVELS]
    if bad:
        raise ValidationFailed("价格等级须为 1-10", prices=[f"无效等级 {b}" for b in bad])
    emit(CatalogueChanged())
    rows = [
        {"product": product_id, "level": int(level), "price": money(price)}
        for level, price in prices.items()
    ]
    if rows:
        (
            ProductPrice.insert_many(rows)
            .on_conflict(
                conflict_target=[ProductPrice.product, ProductPrice.level],
                preserve=[ProductPrice.price],
            )
            .execute()
        )


def create_product(
    *, prices: Mapping[int, Decimal] | None = None, active: bool = True, **fields
) -> Product:
    """Create a product with its level prices and its units (`units`: [{"name", "factor"}]).
    Raises: Conflict (duplicate sku), ValidationFailed."""
    with db.atomic():
        emit(CatalogueChanged())
        category_id = fields.pop("category_id", None)
        if "units" in fields:
            checked = product_units.checked(fields.get("unit", "件"), fields["units"])
            fields["units"] = product_units.as_json(checked)
        group_id, spec = styles.placement(fields.pop("group_id", None), fields.pop("spec", None))
        try:
            with db.atomic():
                product = Product.create(
                    category=category_id,
                    active=active,
                    list_price=money(fields.pop("list_price")),
                    group=group_id,
                    spec=spec,
                    **fields,
                )
        except IntegrityError:
            _refuse_duplicate(group_id, spec, None, fields.get("sku"))
        _set_level_prices(product.id, prices or {})
        return product


def _refuse_duplicate(group_id, spec: str, product_id: int | None, sku: str | None):
    """An insert or update the unique indexes refused: which one, in words. Raises: Conflict."""
    if styles.is_combination_conflict(group_id, spec, product_id):
        raise Conflict("该款式中这一规格组合已有商品", group_id=group_id) from None
    raise Conflict("商品编码已存在", sku=sku) from None


def update_product(product_id: int, *, prices: Mapping[int, Decimal] | None = None, **fields):
    """Change any product field and any of its level prices. Raises: NotFound, Conflict."""
    with db.atomic():
        emit(CatalogueChanged())
        product = Product.get_or_none(Product.id == product_id)
        if product is None:
            raise NotFound("商品不存在", product_id=product_id)
        if "category_id" in fields:
            fields["category"] = fields.pop("category_id")
        if "list_price" in fields:
            fields["list_price"] = money(fields["list_price"])
        units = fields.pop("units", None)
        if "group_id" in fields or "spec" in fields:
            group_id = fields.pop("group_id", product.group_id)
            if "spec" in fields:
                spec = fields.pop("spec")
            else:
                spec = product.spec_values if group_id is not None else None
            product.group, product.spec = styles.placement(group_id, spec, product_id=product.id)
        for key, value in fields.items():
            setattr(product, key, value)
        if units is not None or "unit" in fields:  # a new base unit is checked against them too
            rows = product_units.units_of(product) if units is None else units
            product.units = product_units.as_json(product_units.checked(product.unit, rows))
        product.updated_at = utcnow()
        try:
            with db.atomic():
                product.save()
        except IntegrityError:
            _refuse_duplicate(product.group_id, product.spec, product.id, product.sku)
        _set_level_prices(product.id, prices or {})
        return product


def level_prices(product_ids: list[int]) -> dict[int, dict[int, Decimal]]:
    result: dict[int, dict[int, Decimal]] = {pid: {} for pid in product_ids}
    for pp in ProductPrice.select().where(ProductPrice.product << product_ids):
        result[pp.product_id][pp.level] = pp.price
    return result


def with_customer_prices(query, customer: Customer):
    """Add the customer's level price and price-book price to a product query (one query, not three).

    Each row gets `price`: price book → level price → list price.
    """
    level = ProductPrice.alias("level_price")
    book = CustomerPrice.alias("book_price")
    rows = (
        query.select_extend(level.price.alias("level_price"), book.price.alias("book_price"))
        .join_from(
            Product,
            level,
            JOIN.LEFT_OUTER,
            on=(level.product == Product.id) & (level.level == customer.price_level),
        )
        .join_from(
            Product,
            book,
            JOIN.LEFT_OUTER,
            on=(book.product == Product.id) & (book.customer == customer.id),
        )
    )
    products = list(rows.objects())  # flat: the two prices land on the product itself
    for p in products:
        levels = {} if p.level_price is None else {customer.price_level: p.level_price}
        p.price = resolve_price(p.list_price, levels, customer.price_level, p.book_price)
    return products


def set_customer_price(customer_id: int, product_id: int, price: Decimal) -> CustomerPrice:
    """Put a product into a customer's price book (or change its price there)."""
    with db.atomic():
        if not Customer.select().where(Customer.id == customer_id).exists():
            raise NotFound("客户不存在", customer_id=customer_id)
        if not Product.select().where(Product.id == product_id).exists():
            raise NotFound("商品不存在", product_id=product_id)
        emit(CatalogueChanged())
        (
            CustomerPrice.insert(
                customer=customer_id, product=product_id, price=money(price), updated_at=utcnow()
            )
            .on_conflict(
                conflict_target=[CustomerPrice.customer, CustomerPrice.product],
                preserve=[CustomerPrice.price, CustomerPrice.updated_at],
            )
            .execute()
        )
        return CustomerPrice.get(
            (CustomerPrice.customer == customer_id) & (CustomerPrice.product == product_id)
        )
