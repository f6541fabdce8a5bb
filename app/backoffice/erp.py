"""What an ERP connector sends in bulk: absolute stock counts, level prices by SKU, customers by
code. Each request is all rows or none, with errors listed per row, like the Excel import."""

from __future__ import annotations

from collections.abc import Callable

from app.auth.scopes import actor, require, require_all_scope
from app.backoffice import accounts
from app.backoffice.queries import warehouses_in_scope
from app.core import catalog, stock
from app.core.models import Customer, Product, Staff, Stock, Warehouse
from app.db import db
from app.errors import AppError, Forbidden, ValidationFailed


def _all_or_nothing(rows: list[dict], key: str, apply: Callable[[dict], object]) -> list:
    """Apply every row in one transaction; any failure rolls all back and names the rows."""
    errors, results = [], []
    with db.atomic() as everything:
        for number, row in enumerate(rows, start=1):
            try:
                with db.atomic():  # a savepoint: the other rows' errors are still collected
                    results.append(apply(row))
            except AppError as exc:
                errors.append({"row": number, key: row.get(key), "message": exc.message})
        if errors:
            everything.rollback()
    if errors:
        raise ValidationFailed("部分行有误，全部未保存", rows=errors)
    return results


def set_stock_levels(staff: Staff, warehouse_id: int, items: list[dict], reason: str) -> list:
    """Absolute on-hand counts from an ERP count: each change recorded as an adjustment; a count
    below what is reserved is refused (invariant 1)."""
    require(staff, "stock.manage")
    if not warehouses_in_scope(staff).where(Warehouse.id == warehouse_id).exists():
        raise Forbidden("无权调整该仓库库存", warehouse_id=warehouse_id)
    skus = {p.sku: p for p in Product.select().where(Product.sku << [i["sku"] for i in items])}

    def apply(item: dict):
        product = skus.get(item["sku"])
        if product is None:
            raise ValidationFailed(f"SKU {item['sku']} 不存在")
        row = Stock.get_or_none((Stock.warehouse == warehouse_id) & (Stock.product == product.id))
        current = row.on_hand if row else 0
        reserved = row.reserved if row else 0
        if item["on_hand"] < reserved:
            raise ValidationFailed(f"盘点数 {item['on_hand']} 少于已预留 {reserved}")
        if item["on_hand"] != current:
            return stock.adjust(
                warehouse_id, product.id, item["on_hand"] - current, reason, actor(staff)
            )
        return row

    return [r for r in _all_or_nothing(items, "sku", apply) if r is not None]


def set_prices(staff: Staff, items: list[dict]) -> list[Product]:
    """List price and level prices by SKU (the catalogue applies to every branch: scope all)."""
    require(staff, "catalog.manage")
    require_all_scope(staff)
    skus = {p.sku: p for p in Product.select().where(Product.sku << [i["sku"] for i in items])}

    def apply(item: dict):
        product = skus.get(item["sku"])
        if product is None:
            raise ValidationFailed(f"SKU {item['sku']} 不存在")
        fields = {"list_price": item["list_price"]} if "list_price" in item else {}
        prices = {int(level): price for level, price in item.get("prices", {}).items()}
        return catalog.update_product(product.id, prices=prices, **fields)

    return _all_or_nothing(items, "sku", apply)


def upsert_customers(staff: Staff, items: list[dict]) -> list[Customer]:
    """Customers by code: new codes created, known ones updated (the fields given), each inside
    the caller's scope."""
    require(staff, "customers.manage")
    known = {
        c.code: c for c in Customer.select().where(Customer.code << [i["code"] for i in items])
    }

    def apply(item: dict):
        existing = known.get(item["code"])
        if existing is None:
            return accounts.create_customer(staff, dict(item))
        fields = {k: v for k, v in item.items() if k != "code"}
        return accounts.update_customer(staff, existing.id, fields)

    return _all_or_nothing(items, "code", apply)
