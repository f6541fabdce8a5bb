"""Inventory read side, always within the caller's warehouses: the stock ledger, receipts,
transfers (seen from both ends), counts, and documents awaiting the caller's signature."""

from __future__ import annotations

from peewee import fn

from app.approval import services as approvals
from app.auth.scopes import require, scoped, warehouses_in_scope
from app.core.models import Customer, Product, Staff, Stock, StockMovement, Warehouse
from app.core.stock import ON_HAND_KINDS
from app.db import where_given, within_local_days
from app.inventory.models import CustomerFee, StockCount, StockReceipt, Transfer, TransferLine
from app.money import money_from_fen


def in_warehouses_seen(staff: Staff, model, filters: dict):
    """Rows of `model` (stock rows or movements: a warehouse's product) with their product and
    warehouse, in the warehouses the caller may see; by warehouse and product."""
    require(staff, "stock.view")
    query = (
        model.select(model, Product, Warehouse)
        .join(Product)
        .switch(model)
        .join(Warehouse)
        .where(model.warehouse << warehouses_in_scope(staff))
    )
    return where_given(query, filters, warehouse_id=model.warehouse, product_id=model.product)


def movements_query(staff: Staff, filters: dict):
    """The on-hand ledger (the contract's kinds; reservations move no goods and are not in it),
    newest first, in the caller's warehouses; by warehouse, product and Asia/Shanghai days."""
    query = in_warehouses_seen(staff, StockMovement, filters).where(
        StockMovement.kind << list(ON_HAND_KINDS)
    )
    query = where_given(query, filters, kind=StockMovement.kind)
    query = within_local_days(
        query, StockMovement.created_at, filters.get("date_from"), filters.get("date_to")
    )
    return query.order_by(StockMovement.id.desc())


def _mine(query, document: str, model, staff: Staff):
    """Only the documents whose next signature is the caller's (待我审批)."""
    return query.where(
        (model.status == "pending") & approvals.awaiting(document, model.id, staff.role)
    )


def receipts_query(staff: Staff, filters: dict):
    require(staff, "stock.view")
    query = StockReceipt.select().where(StockReceipt.warehouse << warehouses_in_scope(staff))
    if filters.get("mine"):
        query = _mine(query, "stock_receipt", StockReceipt, staff)
    query = where_given(
        query, filters, status=StockReceipt.status, warehouse_id=StockReceipt.warehouse
    )
    return query.order_by(StockReceipt.id.desc())


def transfers_query(staff: Staff, filters: dict):
    """Transfers either of whose ends is in the caller's scope; `warehouse_id`: from or to it."""
    require(staff, "stock.view")
    scope = warehouses_in_scope(staff)
    query = Transfer.select().where(
        (Transfer.from_warehouse << scope) | (Transfer.to_warehouse << scope)
    )
    if filters.get("mine"):
        query = _mine(query, "transfer", Transfer, staff)
    query = where_given(query, filters, status=Transfer.status)
    if filters.get("warehouse_id"):
        wid = filters["warehouse_id"]
        query = query.where((Transfer.from_warehouse == wid) | (Transfer.to_warehouse == wid))
    return query.order_by(Transfer.id.desc())


def counts_query(staff: Staff, filters: dict):
    require(staff, "stock.view")
    query = StockCount.select().where(StockCount.warehouse << warehouses_in_scope(staff))
    query = where_given(query, filters, warehouse_id=StockCount.warehouse)
    return query.order_by(StockCount.id.desc())


def in_transit_out(warehouse_ids: list[int], product_ids: list[int]) -> dict[tuple, int]:
    """What has left each warehouse and not yet arrived anywhere, per (warehouse, product): the
    sending side's view of its goods on the way."""
    if not warehouse_ids or not product_ids:
        return {}
    rows = (
        TransferLine.select(
            Transfer.from_warehouse,
            TransferLine.product,
            fn.SUM(TransferLine.qty - TransferLine.received_qty),
        )
        .join(Transfer)
        .where(
            (Transfer.status << ["in_transit", "partially_received"])
            & (Transfer.from_warehouse << warehouse_ids)
            & (TransferLine.product << product_ids)
        )
        .group_by(Transfer.from_warehouse, TransferLine.product)
        .tuples()
    )
    return {(w, p): int(q or 0) for w, p, q in rows}


def with_in_transit_out(rows) -> list:
    """Stock rows each given `in_transit_out` (see in_transit_out): both ends see goods on the
    way, the receiver as `in_transit`, the sender as `in_transit_out`."""
    rows = list(rows)
    found = in_transit_out(
        sorted({r.warehouse_id for r in rows}), sorted({r.product_id for r in rows})
    )
    for row in rows:
        row.in_transit_out = found.get((row.warehouse_id, row.product_id), 0)
    return rows


def warehouse_names() -> dict[int, str]:
    return {w.id: w.name for w in Warehouse.select(Warehouse.id, Warehouse.name)}


def _attach(documents: list, model) -> list:
    """Each document (rows of `model`: receipts, transfers or counts) given its `lines` (with
    their products) and, where the model keeps them, its `events`: one query each, found through
    the model's backrefs."""
    fk = model.lines.field
    line_model = fk.model
    by_id = {d.id: d for d in documents}
    for d in documents:
        d.lines, d.events = [], []
    if not by_id:
        return documents
    lines = (
        line_model.select(line_model, Product)
        .join(Product)
        .where(fk << list(by_id))
        .order_by(line_model.id)
    )
    for line in lines:
        by_id[getattr(line, fk.name + "_id")].lines.append(line)
    if hasattr(model, "events"):
        event_fk = model.events.field
        events = event_fk.model
        for event in events.select().where(event_fk << list(by_id)).order_by(events.id):
            by_id[getattr(event, event_fk.name + "_id")].events.append(event)
    return documents


def receipt_details(receipts) -> list:
    return _attach(list(receipts), StockReceipt)


def transfer_details(transfers) -> list:
    """Transfers with lines (each with what is still `in_transit`) and history."""
    found = _attach(list(transfers), Transfer)
    for transfer in found:
        moving = transfer.status in ("in_transit", "partially_received")
        for line in transfer.lines:
            line.in_transit = line.qty - line.received_qty if moving else 0
    return found


def count_details(counts) -> list:
    return _attach(list(counts), StockCount)


def count_sheet(staff: Staff, warehouse_id: int | None) -> dict[str, dict]:
    """What a count's scan box needs of every active product, by SKU: id, name, unit and the
    book quantity in the warehouse (0 where it has never been stocked)."""
    require(staff, "stock.view")
    book = {}
    if warehouse_id:
        book = dict(
            Stock.select(Stock.product, Stock.on_hand)
            .where(
                (Stock.warehouse == warehouse_id) & (Stock.warehouse << warehouses_in_scope(staff))
            )
            .tuples()
        )
    return {
        p.sku: {"id": p.id, "name": p.name, "unit": p.unit, "book": book.get(p.id, 0)}
        for p in Product.select().where(Product.active).order_by(Product.sku)
    }


def fees_query(staff: Staff, filters: dict):
    """Customer fees of customers in the caller's scope, newest first."""
    require(staff, "customers.view")
    query = scoped(CustomerFee.select(CustomerFee, Customer).join(Customer), staff)
    query = where_given(query, filters, customer_id=CustomerFee.customer, kind=CustomerFee.kind)
    if filters.get("date_from"):
        query = query.where(CustomerFee.date >= filters["date_from"])
    if filters.get("date_to"):
        query = query.where(CustomerFee.date <= filters["date_to"])
    return query.order_by(CustomerFee.date.desc(), CustomerFee.id.desc())


def voided_fees(query) -> int:
    """How many of a fees query's fees are voided (listed, not counted)."""
    return query.where(CustomerFee.voided_at.is_null(False)).order_by().count()


def fees_total(query):
    """The sum of a fees query's amounts, the voided fees left out."""
    counted = query.where(CustomerFee.voided_at.is_null())
    total = counted.select(fn.SUM(CustomerFee.amount)).order_by().scalar()
    return money_from_fen(total)
