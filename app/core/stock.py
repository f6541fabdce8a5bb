"""Stock use cases: adjust, reserve, release, ship; every change is one guarded UPDATE plus a StockMovement.

Within a transaction the ledger rows are written first and the guarded UPDATEs last, so the hot
stock rows stay locked for as short a time as possible; a failed guard rolls the ledger rows back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from app.core.models import Product, Stock, StockMovement, Warehouse
from app.db import transaction, utcnow
from app.errors import InsufficientStock, NotFound, ValidationFailed
from app.events import StockChanged, emit


def _ensure_rows(warehouse_id: int, product_ids: Iterable[int]) -> None:
    rows = [{"warehouse": warehouse_id, "product": pid} for pid in sorted(set(product_ids))]
    if rows:
        Stock.insert_many(rows).on_conflict_ignore().execute()


def _stock_row(warehouse_id: int, product_id: int) -> Stock:
    return Stock.get((Stock.warehouse == warehouse_id) & (Stock.product == product_id))


def _totals(lines: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Quantities per product, in product-id order: the fixed order every writer takes rows in."""
    totals: dict[int, int] = defaultdict(int)
    for product_id, qty in lines:
        if qty:
            totals[product_id] += qty
    return sorted(totals.items())


def _movements(warehouse_id, totals, kind, ref, actor, on_hand_sign=0, reserved_sign=0):
    emit(StockChanged(warehouse_id, tuple(product_id for product_id, _ in totals)))
    StockMovement.insert_many(
        [
            {
                "warehouse": warehouse_id,
                "product": product_id,
                "kind": kind,
                "on_hand_delta": on_hand_sign * qty,
                "reserved_delta": reserved_sign * qty,
                "ref": ref,
                "actor": actor,
                "created_at": utcnow(),
            }
            for product_id, qty in totals
        ]
    ).execute()


def availability(warehouse_id: int, product_ids: list[int]) -> dict[int, int]:
    """Available (on hand − reserved) per product in one warehouse; 0 for products never stocked."""
    rows = Stock.select(Stock.product, Stock.on_hand, Stock.reserved).where(
        (Stock.warehouse == warehouse_id) & (Stock.product << list(product_ids))
    )
    available = {pid: 0 for pid in product_ids}
    for row in rows:
        available[row.product_id] = row.on_hand - row.reserved
    return available


def adjust(
    warehouse_id: int, product_id: int, qty_delta: int, reason: str, actor: str = ""
) -> Stock:
    """Count stock in or out (receiving, stocktake, damage).

    Invariant 1: on_hand never drops below what is reserved. Raises: NotFound, InsufficientStock.
    """
    if qty_delta == 0:
        raise ValidationFailed("调整数量不能为 0", qty_delta=["调整数量不能为 0"])
    with transaction():
        if not Warehouse.select().where(Warehouse.id == warehouse_id).exists():
            raise NotFound("仓库不存在", warehouse_id=warehouse_id)
        if not Product.select().where(Product.id == product_id).exists():
            raise NotFound("商品不存在", product_id=product_id)
        _ensure_rows(warehouse_id, [product_id])
        emit(StockChanged(warehouse_id, (product_id,)))
        StockMovement.create(
            warehouse=warehouse_id,
            product=product_id,
            kind="adjust",
            on_hand_delta=qty_delta,
            reason=reason,
            actor=actor,
        )
        updated = (
            Stock.update(on_hand=Stock.on_hand + qty_delta, updated_at=utcnow())
            .where(
                (Stock.warehouse == warehouse_id),
                (Stock.product == product_id),
                (Stock.on_hand + qty_delta >= Stock.reserved),
            )
            .execute()
        )
        if not updated:
            row = _stock_row(warehouse_id, product_id)
            raise InsufficientStock(
                "调减后库存将少于已预留数量",
                product_id=product_id,
                on_hand=row.on_hand,
                reserved=row.reserved,
                available=row.available,
                requested=-qty_delta,
            )
        return _stock_row(warehouse_id, product_id)


def reserve(warehouse_id: int, lines: Iterable[tuple[int, int]], ref: str, actor: str = "") -> None:
    """Reserve (product_id, qty) lines in one warehouse, all or nothing.

    Each product is one `UPDATE … WHERE on_hand - reserved >= qty`, taken in product-id order.
    Raises: InsufficientStock naming every short line (the transaction rolls back).
    """
    totals = _totals(lines)
    with transaction():
        _ensure_rows(warehouse_id, (pid for pid, _ in totals))
        _movements(warehouse_id, totals, "reserve", ref, actor, reserved_sign=1)
        short = []
        for product_id, qty in totals:
            updated = (
                Stock.update(reserved=Stock.reserved + qty, updated_at=utcnow())
                .where(
                    (Stock.warehouse == warehouse_id),
                    (Stock.product == product_id),
                    (Stock.on_hand - Stock.reserved >= qty),
                )
                .execute()
            )
            if not updated:
                short.append((product_id, qty))
        if short:
            raise _shortage(warehouse_id, short)


def _shortage(warehouse_id: int, short: list[tuple[int, int]]) -> InsufficientStock:
    ids = [pid for pid, _ in short]
    names = {
        p.id: p.name for p in Product.select(Product.id, Product.name).where(Product.id << ids)
    }
    rows = {
        s.product_id: s
        for s in Stock.select().where((Stock.warehouse == warehouse_id) & (Stock.product << ids))
    }
    details = [
        {
            "product_id": pid,
            "name": names.get(pid, ""),
            "requested": qty,
            "available": rows[pid].available if pid in rows else 0,
        }
        for pid, qty in short
    ]
    text = "；".join(f"{d['name']} 需要 {d['requested']}，可用 {d['available']}" for d in details)
    return InsufficientStock(f"库存不足：{text}", lines=details)


def release(warehouse_id: int, lines: Iterable[tuple[int, int]], ref: str, actor: str = "") -> None:
    """Give back reserved quantities (order cancelled)."""
    totals = _totals(lines)
    with transaction():
        _movements(warehouse_id, totals, "release", ref, actor, reserved_sign=-1)
        for product_id, qty in totals:
            updated = (
                Stock.update(reserved=Stock.reserved - qty, updated_at=utcnow())
                .where(
                    (Stock.warehouse == warehouse_id),
                    (Stock.product == product_id),
                    (Stock.reserved >= qty),
                )
                .execute()
            )
            if not updated:  # a reservation we hold cannot be missing: refuse rather than corrupt
                raise RuntimeError(f"reservation missing for product {product_id} ({ref})")


def ship(warehouse_id: int, lines: Iterable[tuple[int, int]], ref: str, actor: str = "") -> None:
    """Take reserved goods out of the warehouse: on_hand and reserved both go down."""
    totals = _totals(lines)
    with transaction():
        _movements(warehouse_id, totals, "ship", ref, actor, on_hand_sign=-1, reserved_sign=-1)
        for product_id, qty in totals:
            updated = (
                Stock.update(
                    on_hand=Stock.on_hand - qty, reserved=Stock.reserved - qty, updated_at=utcnow()
                )
                .where(
                    (Stock.warehouse == warehouse_id),
                    (Stock.product == product_id),
                    (Stock.reserved >= qty),
                )
                .execute()
            )
            if not updated:
                raise RuntimeError(f"reservation missing for product {product_id} ({ref})")
