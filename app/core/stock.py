"""Stock use cases — the one place stock rows change: reserve and release (no goods move), and
every on-hand movement at cost: receipts, shipments, returns, transfers out and in, counts and
adjustments. Each writes a StockMovement per product and changes the row by one guarded UPDATE.

Reservations are the hot path of order approval: the ledger rows are written first and the guarded
UPDATEs last, so hot rows stay locked as briefly as possible. On-hand movements need the row as it
is to know their cost: the rows are locked and read first (in warehouse, product order: the fixed
order every writer takes, so concurrent writers queue rather than deadlock), the movement's value
is computed (app.core.costing), and the guarded UPDATE applies the deltas only while on hand stays
at or above what is reserved, reserved at or above 0 and in transit at or above 0.

Invariant 9: a row's on_hand is the sum of its movements' on_hand_delta and its value the sum of
their values; in-transit goods are in no warehouse's on_hand, so they are never available.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from app.core import costing
from app.core.models import Product, Stock, StockMovement, Warehouse
from app.db import execute, insert_rows, is_postgres, transaction, utcnow
from app.errors import InsufficientStock, InvalidState, NotFound, ValidationFailed
from app.events import StockChanged, emit

# Every movement kind, in words.
KIND_LABELS = {
    "receipt": "采购入库",
    "shipment": "销售出库",
    "return": "退货入库",
    "transfer_out": "调拨出库",
    "transfer_in": "调拨入库",
    "count": "盘点",
    "adjustment": "调整",
    "shop_shipment": "网店出库",
    "reserve": "预留",
    "release": "释放预留",
}
RESERVATION_KINDS = ("reserve", "release")
# The on-hand ledger's kinds (GET /stock/movements); reservations are kept apart from them.
ON_HAND_KINDS = tuple(k for k in KIND_LABELS if k not in RESERVATION_KINDS)


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


def _reservations(warehouse_id, totals, kind, ref, actor, sign):
    emit(StockChanged(warehouse_id, tuple(product_id for product_id, _ in totals)))
    StockMovement.insert_many(
        [
            {
                "warehouse": warehouse_id,
                "product": product_id,
                "kind": kind,
                "reserved_delta": sign * qty,
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


# --- reservations: no goods move --------------------------------------------------------------


def reserve(warehouse_id: int, lines: Iterable[tuple[int, int]], ref: str, actor: str = "") -> None:
    """Reserve (product_id, qty) lines in one warehouse, all or nothing.

    Each product is one `UPDATE … WHERE on_hand - reserved >= qty`, taken in product-id order.
    Raises: InsufficientStock naming every short line (the transaction rolls back).
    """
    totals = _totals(lines)
    with transaction():
        _ensure_rows(warehouse_id, (pid for pid, _ in totals))
        _reservations(warehouse_id, totals, "reserve", ref, actor, 1)
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
        _reservations(warehouse_id, totals, "release", ref, actor, -1)
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


# --- on-hand movements at cost ----------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What one movement does to one stock row: on hand (`qty`, signed, or `counted`: the absolute
    on hand a count found), reserved, in transit; `value` for goods that bring a cost of their own."""

    product_id: int
    qty: int = 0
    reserved: int = 0
    in_transit: int = 0
    value: Decimal | None = None
    counted: int | None = None


@dataclass(frozen=True)
class Locked(costing.Row):
    """A stock row as read under its lock: what costing sees, and its id, reserved and in transit."""

    id: int
    reserved: int
    in_transit: int


_LOCK = (
    "SELECT id, product_id, on_hand, reserved, in_transit, value, unit_cost FROM stock"
    " WHERE warehouse_id = %s AND product_id IN ({}) ORDER BY product_id"
)
_APPLY = (
    "UPDATE stock SET on_hand = on_hand + %s, reserved = reserved + %s,"
    " in_transit = in_transit + %s, value = value + %s, unit_cost = %s, updated_at = %s"
    " WHERE id = %s AND on_hand + %s >= reserved + %s AND reserved + %s >= 0"
    " AND in_transit + %s >= 0"
)


def lock(warehouse_id: int, product_ids: Iterable[int]) -> dict[int, Locked]:
    """The rows of these products in one warehouse, created if missing, locked until commit
    (FOR UPDATE on PostgreSQL; SQLite's writers are serialised by BEGIN IMMEDIATE) and read."""
    ids = sorted(set(product_ids))
    _ensure_rows(warehouse_id, ids)
    sql = _LOCK.format(", ".join(["%s"] * len(ids))) + (" FOR UPDATE" if is_postgres() else "")
    value = Stock.value.python_value
    return {
        pid: Locked(
            id=rid,
            on_hand=on_hand,
            reserved=reserved,
            in_transit=in_transit,
            value=value(v),
            unit_cost=value(c),
        )
        for rid, pid, on_hand, reserved, in_transit, v, c in execute(
            sql, [warehouse_id, *ids]
        ).fetchall()
    }


Refusal = Callable[[list[tuple[Change, Locked]]], Exception]


def _post(
    warehouse_id: int,
    changes: list[Change],
    kind: str,
    ref: str,
    actor: str,
    refuse: Refusal,
    reason: str = "",
) -> dict[int, costing.Moved]:
    """Apply changes to one warehouse's rows at cost; one movement per product that moved.
    `refuse` builds the error for the changes the rows cannot take (the transaction rolls back)."""
    changes = sorted(changes, key=lambda c: c.product_id)
    rows = lock(warehouse_id, [c.product_id for c in changes])
    planned, refused = [], []
    for change in changes:
        row = rows[change.product_id]
        qty = change.qty if change.counted is None else change.counted - row.on_hand
        moved = costing.move(row, qty, change.value)
        if (
            moved.on_hand_after < row.reserved + change.reserved
            or row.reserved + change.reserved < 0
            or row.in_transit + change.in_transit < 0
        ):
            refused.append((change, row))
        planned.append((change, row, moved))
    if refused:
        raise refuse(refused)
    now = utcnow()
    movements = []
    for change, row, moved in planned:
        dq, dr, dt = moved.qty, change.reserved, change.in_transit
        params = [dq, dr, dt, Stock.value.db_value(moved.value)]
        params += [Stock.unit_cost.db_value(moved.unit_cost_after), now, row.id, dq, dr, dr, dt]
        if execute(_APPLY, params).rowcount != 1:  # the lock makes this impossible
            raise RuntimeError(f"stock row {row.id} changed under its lock ({ref})")
        if dq or dr:
            movements.append(
                {
                    "warehouse": warehouse_id,
                    "product": change.product_id,
                    "kind": kind,
                    "on_hand_delta": dq,
                    "reserved_delta": dr,
                    "unit_cost": moved.unit_cost,
                    "value": moved.value,
                    "on_hand_after": moved.on_hand_after,
                    "reason": reason,
                    "ref": ref,
                    "actor": actor,
                    "created_at": now,
                }
            )
    if movements:
        insert_rows(StockMovement, movements)
    emit(StockChanged(warehouse_id, tuple(c.product_id for c in changes)))
    return {change.product_id: moved for change, _, moved in planned}


def _names(changes: list[tuple[Change, Locked]]) -> dict[int, str]:
    ids = [c.product_id for c, _ in changes]
    return {p.id: p.name for p in Product.select(Product.id, Product.name).where(Product.id << ids)}


def _unavailable(message: str) -> Refusal:
    """InsufficientStock naming each line whose available stock does not cover it."""

    def refuse(refused):
        names = _names(refused)
        details = [
            {
                "product_id": c.product_id,
                "name": names.get(c.product_id, ""),
                "requested": -c.qty,
                "available": row.on_hand - row.reserved,
            }
            for c, row in refused
        ]
        text = "；".join(
            f"{d['name']} 需要 {d['requested']}，可用 {d['available']}" for d in details
        )
        return InsufficientStock(f"{message}：{text}", lines=details)

    return refuse


def _impossible(ref: str) -> Refusal:
    def refuse(refused):
        return RuntimeError(f"stock cannot take {[c for c, _ in refused]} ({ref})")

    return refuse


def adjust(
    warehouse_id: int,
    product_id: int,
    qty_delta: int,
    reason: str,
    actor: str = "",
    kind: str = "adjustment",
) -> Stock:
    """Count stock in or out (found, damaged, an ERP's count): in at the average cost, out at its
    share of the value.

    Invariant 1: on_hand never drops below what is reserved. Raises: NotFound, InsufficientStock.
    """
    if qty_delta == 0:
        raise ValidationFailed("调整数量不能为 0", qty_delta=["调整数量不能为 0"])
    with transaction():
        if not Warehouse.select().where(Warehouse.id == warehouse_id).exists():
            raise NotFound("仓库不存在", warehouse_id=warehouse_id)
        if not Product.select().where(Product.id == product_id).exists():
            raise NotFound("商品不存在", product_id=product_id)

        def refuse(refused):
            _, row = refused[0]
            return InsufficientStock(
                "调减后库存将少于已预留数量",
                product_id=product_id,
                on_hand=row.on_hand,
                reserved=row.reserved,
                available=row.on_hand - row.reserved,
                requested=-qty_delta,
            )

        _post(warehouse_id, [Change(product_id, qty_delta)], kind, "", actor, refuse, reason)
        return _stock_row(warehouse_id, product_id)


def ship(
    warehouse_id: int,
    lines: Iterable[tuple[int, int]],
    ref: str,
    actor: str = "",
    kind: str = "shipment",
) -> dict[int, costing.Moved]:
    """Take reserved goods out of the warehouse at the moving average: on hand and reserved both
    go down. Returns what each product's goods cost (its `value` is negative: it left).

    Shop orders (app/shops, when it lands) ship through here too, with kind="shop_shipment".
    """
    changes = [Change(pid, -qty, reserved=-qty) for pid, qty in _totals(lines)]
    with transaction():
        return _post(warehouse_id, changes, kind, ref, actor, _impossible(ref))


def receive(
    warehouse_id: int,
    lines: Iterable[tuple[int, int, Decimal]],
    ref: str,
    actor: str = "",
) -> dict[int, costing.Moved]:
    """Goods from a supplier, (product_id, qty, unit_cost): on hand up, the average recomputed
    as (old value + qty × unit_cost) / (old on hand + qty)."""
    changes = [
        Change(pid, qty, value=costing.received_value(unit_cost, qty))
        for pid, qty, unit_cost in lines
    ]
    with transaction():
        return _post(warehouse_id, _merged(changes), "receipt", ref, actor, _impossible(ref))


def take_back(
    warehouse_id: int, lines: Iterable[tuple[int, int, Decimal]], ref: str, actor: str = ""
) -> dict[int, costing.Moved]:
    """Returned goods, (product_id, qty, value): back on hand at the cost they left with."""
    changes = [Change(pid, qty, value=value) for pid, qty, value in lines]
    with transaction():
        return _post(warehouse_id, _merged(changes), "return", ref, actor, _impossible(ref))


def _merged(changes: list[Change]) -> list[Change]:
    """One change per product (quantities and values added up)."""
    by_product: dict[int, Change] = {}
    for c in changes:
        seen = by_product.get(c.product_id)
        if seen is None:
            by_product[c.product_id] = c
        else:
            value = None if c.value is None else (seen.value or 0) + c.value
            by_product[c.product_id] = Change(c.product_id, seen.qty + c.qty, value=value)
    return list(by_product.values())


def send(
    from_warehouse_id: int,
    to_warehouse_id: int,
    lines: Iterable[tuple[int, int]],
    ref: str,
    actor: str = "",
) -> dict[int, costing.Moved]:
    """A transfer leaves: out of `from` at once at its cost (available must cover it) and in
    transit to `to`, where it is not on hand and so never available. Returns what left, per
    product, at what value.

    Raises: InsufficientStock naming every line the sender cannot cover.
    """
    totals = _totals(lines)
    ids = [pid for pid, _ in totals]
    with transaction():
        for warehouse_id in sorted({from_warehouse_id, to_warehouse_id}):
            lock(warehouse_id, ids)  # both sides' rows in the one fixed order, before any change
        moved = _post(
            from_warehouse_id,
            [Change(pid, -qty) for pid, qty in totals],
            "transfer_out",
            ref,
            actor,
            _unavailable("调出仓库存不足"),
        )
        _post(
            to_warehouse_id,
            [Change(pid, in_transit=qty) for pid, qty in totals],
            "transfer_in",
            ref,
            actor,
            _impossible(ref),
        )
        return moved


def arrive(
    warehouse_id: int, lines: Iterable[tuple[int, int, Decimal]], ref: str, actor: str = ""
) -> dict[int, costing.Moved]:
    """Transferred goods arrive, (product_id, qty, value): out of transit, on hand at the cost
    they left with. Raises: InvalidState (more than is on its way)."""
    changes = [Change(pid, qty, in_transit=-qty, value=value) for pid, qty, value in lines]

    def refuse(refused):
        return InvalidState("到货数量超过在途数量", product_ids=[c.product_id for c, _ in refused])

    with transaction():
        return _post(warehouse_id, changes, "transfer_in", ref, actor, refuse)


def count(
    warehouse_id: int, lines: Iterable[tuple[int, int]], ref: str, actor: str = "", reason: str = ""
) -> dict[int, costing.Moved]:
    """A stocktake, (product_id, counted_qty): each row becomes what was counted, the variance
    posted at cost (found goods at the average, missing goods at their share of the value).
    Returns each product's movement: book quantity = on_hand_after − qty.

    Raises: InvalidState naming every product counted below what is reserved (nothing is posted).
    """
    changes = [Change(pid, counted=counted) for pid, counted in sorted(dict(lines).items())]

    def refuse(refused):
        names = _names(refused)
        text = "；".join(
            f"{names.get(c.product_id, '')} 盘点数 {c.counted} 少于已预留 {row.reserved}"
            for c, row in refused
        )
        return InvalidState(
            f"盘点数不能少于已预留数量：{text}",
            lines=[
                {"product_id": c.product_id, "counted_qty": c.counted, "reserved": row.reserved}
                for c, row in refused
            ],
        )

    with transaction():
        return _post(warehouse_id, changes, "count", ref, actor, refuse, reason)


def set_location(warehouse_id: int, product_id: int, location: str) -> Stock:
    """Where the product lies in the warehouse (库位), as picking lists print it."""
    with transaction():
        if not Warehouse.select().where(Warehouse.id == warehouse_id).exists():
            raise NotFound("仓库不存在", warehouse_id=warehouse_id)
        if not Product.select().where(Product.id == product_id).exists():
            raise NotFound("商品不存在", product_id=product_id)
        _ensure_rows(warehouse_id, [product_id])
        Stock.update(location=location).where(
            (Stock.warehouse == warehouse_id) & (Stock.product == product_id)
        ).execute()
        return _stock_row(warehouse_id, product_id)
