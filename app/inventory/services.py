"""Inventory use cases for staff: stock receipts (入库), transfers (调拨) sent and received, counts
(盘点), customer fees and picking checks. Each call is one transaction, checks the caller's role
and data scope, and changes stock only through app.core.stock.

Transfers and receipts go through the one approval engine: when an approval rule for their
document type ("transfer", "stock_receipt") matches, the warehouse's submission is the first step
and the goods move only after the last signature; with no rule matching they move at once.
Documents are locked first (a guarded UPDATE on their status), stock rows last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from peewee import IntegrityError

from app.approval import services as approvals
from app.approval.rules import Document, Facts, allowed_actions
from app.auth.scopes import (
    actor,
    customer_in_scope,
    order_in_scope,
    require,
    warehouses_in_scope,
)
from app.core import costing, stock
from app.core.models import OrderLine, Product, Staff, Stock, Warehouse
from app.core.rules import OrderStatus
from app.db import db, guarded_add, or_not_found, transaction, utcnow
from app.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from app.inventory.models import (
    CustomerFee,
    PickCheck,
    StockCount,
    StockCountLine,
    StockReceipt,
    StockReceiptEvent,
    StockReceiptLine,
    Transfer,
    TransferEvent,
    TransferLine,
)
from app.inventory.rules import (
    FEE_KINDS,
    RECEIPT_LABELS,
    RECEIVABLE_TRANSFERS,
    TRANSFER_LABELS,
    one_line_per_product,
)
from app.money import cost, money
from app.numbering import create_numbered

# --- shared checks ----------------------------------------------------------------------------


def warehouse_in_scope(staff: Staff, warehouse_id: int) -> Warehouse:
    """A warehouse the caller may see and work in. Raises: NotFound (also outside the scope)."""
    found = Warehouse.get_or_none(
        (Warehouse.id == warehouse_id) & (Warehouse.id << warehouses_in_scope(staff))
    )
    return or_not_found(found, "仓库不存在", warehouse_id=warehouse_id)


def _products(product_ids: Iterable[int]) -> dict[int, Product]:
    ids = one_line_per_product(product_ids)
    found = {p.id: p for p in Product.select().where(Product.id << ids)}
    missing = sorted(set(ids) - found.keys())
    if missing:
        raise NotFound("商品不存在", product_ids=missing)
    return found


def _locked(model, document_id: int, statuses, labels: dict, what: str):
    """The document, its row taken first by a guarded UPDATE on its status (writers queue here).
    Raises: NotFound, InvalidState (not in one of `statuses`)."""
    changes = {"updated_at": utcnow()} if hasattr(model, "updated_at") else {"status": model.status}
    locked = (
        model.update(**changes)
        .where((model.id == document_id) & (model.status << list(statuses)))
        .execute()
    )
    found = model.get_or_none(model.id == document_id)
    if found is None:
        raise NotFound(f"{what}不存在", id=document_id)
    if not locked:
        raise InvalidState(
            f"{what}{labels.get(found.status, found.status)}，不能执行此操作", status=found.status
        )
    return found


def _history(model, document, action: str, to: str, staff: Staff, note: str = "", before=None):
    field = "receipt" if model is StockReceiptEvent else "transfer"
    model.create(
        **{field: document.id},
        action=action,
        from_status=before,
        to_status=to,
        actor=actor(staff),
        note=note[:500],
    )


# --- stock receipts (入库) ---------------------------------------------------------------------


def create_receipt(staff: Staff, data: dict) -> StockReceipt:
    """Goods from a supplier at a unit cost per line into a warehouse in the caller's scope: on
    hand rises and the moving average is recomputed, at once or after the last signature a rule
    asks for. The same warehouse, supplier and reference is the same receipt: sent again with the
    same lines it answers with the receipt already made (an ERP's retry), with other lines it is
    refused. Raises: Forbidden, NotFound, InvalidState, ValidationFailed."""
    require(staff, "stock.manage")
    warehouse = warehouse_in_scope(staff, data["warehouse_id"])
    lines = data["lines"]
    _products(line["product_id"] for line in lines)
    supplier, reference = data.get("supplier", "").strip(), data["reference"].strip()
    with transaction():
        existing = _same_receipt(warehouse.id, supplier, reference, lines)
        if existing is not None:
            return existing
        try:
            with db.atomic():  # a savepoint: the same receipt sent twice at once is made once
                receipt = create_numbered(
                    StockReceipt,
                    "PR",
                    "created_at",
                    warehouse=warehouse.id,
                    supplier=supplier,
                    reference=reference,
                    status="pending",
                    note=data.get("note", ""),
                    created_by=actor(staff),
                    created_at=utcnow(),
                )
        except IntegrityError:
            return _same_receipt(warehouse.id, supplier, reference, lines)
        rows = [
            {
                "receipt": receipt.id,
                "product": line["product_id"],
                "qty": line["qty"],
                "unit_cost": cost(line["unit_cost"]),
                "value": costing.received_value(line["unit_cost"], line["qty"]),
            }
            for line in lines
        ]
        StockReceiptLine.insert_many(rows).execute()
        receipt.total_cost = sum((r["value"] for r in rows), Decimal("0"))
        receipt.save(only=[StockReceipt.total_cost])
        _history(StockReceiptEvent, receipt, "submit", "pending", staff, receipt.note)
        facts = Facts(receipt.total_cost, receipt.total_cost, warehouse.branch_id, None)
        if approvals.submit("stock_receipt", receipt.id, facts, staff) is None:
            _post_receipt(receipt, staff)
        return receipt


def _same_receipt(warehouse_id, supplier, reference, lines) -> StockReceipt | None:
    found = StockReceipt.get_or_none(
        (StockReceipt.warehouse == warehouse_id)
        & (StockReceipt.supplier == supplier)
        & (StockReceipt.reference == reference)
    )
    if found is None:
        return None
    mine = sorted((ln.product_id, ln.qty, ln.unit_cost) for ln in found.lines)
    asked = sorted((ln["product_id"], ln["qty"], cost(ln["unit_cost"])) for ln in lines)
    if mine != asked:
        raise InvalidState(
            f"参考号 {reference} 已用于入库单 {found.number}（商品不同）",
            receipt_id=found.id,
            number=found.number,
        )
    return found


def _post_receipt(receipt: StockReceipt, staff: Staff) -> None:
    stock.receive(
        receipt.warehouse_id,
        [(ln.product_id, ln.qty, ln.unit_cost) for ln in receipt.lines],
        receipt.number,
        actor(staff),
    )
    receipt.status, receipt.received_at = "received", utcnow()
    receipt.save(only=[StockReceipt.status, StockReceipt.received_at])
    _history(StockReceiptEvent, receipt, "post", "received", staff, before="pending")


def approve_receipt(staff: Staff, receipt_id: int, comment: str = "") -> StockReceipt:
    """Sign the receipt's next step; the last signature puts the goods on hand.
    Raises: Forbidden (not this role's step), NotFound, InvalidState."""
    return _approve(staff, "stock_receipt", receipt_id, comment)


def reject_receipt(staff: Staff, receipt_id: int, reason: str) -> StockReceipt:
    """Refuse a receipt awaiting signatures: nothing goes on hand."""
    return _refuse(staff, "stock_receipt", receipt_id, reason)


EVENTS = {"stock_receipt": StockReceiptEvent, "transfer": TransferEvent}


@dataclass(frozen=True)
class Signed:
    """A stock document signed through the approval engine: its table, its status labels and
    name, how the caller finds it, the facts its rules look at, and what the last signature does
    (the goods move)."""

    model: type
    labels: dict
    what: str
    in_scope: Callable
    facts: Callable
    approved: Callable


@contextmanager
def _pending(staff: Staff, document: str, document_id: int) -> Iterator:
    """The document in the caller's scope, then, in one transaction with the caller's block,
    locked while it awaits signatures. Raises: NotFound, InvalidState (no longer pending)."""
    signed = SIGNED[document]
    found = signed.in_scope(staff, document_id)
    with transaction():
        yield _locked(signed.model, found.id, ("pending",), signed.labels, signed.what)


def _approve(staff: Staff, document: str, document_id: int, comment: str):
    """Sign a stock document's next step; the last signature moves its goods."""
    with _pending(staff, document, document_id) as row:
        facts = SIGNED[document].facts(row)
        signature = approvals.sign(document, row.id, None, facts, staff, comment)
        _history(EVENTS[document], row, "sign", "pending", staff, comment, "pending")
        if signature.approved:
            SIGNED[document].approved(row, staff)
        return row


def _refuse(staff: Staff, document: str, document_id: int, reason: str):
    """Refuse a stock document awaiting signatures: its goods do not move."""
    with _pending(staff, document, document_id) as row:
        _may_reject(staff, document, row.id)
        row.status = "rejected"
        row.save(only=[type(row).status])
        _history(EVENTS[document], row, "reject", "rejected", staff, reason, "pending")
        return row


def _may_reject(staff: Staff, document: str, document_id: int) -> None:
    steps = approvals.steps_of(document, document_id)
    if "reject" not in allowed_actions(Document(document, "pending", steps), staff):
        raise Forbidden("当前角色不能驳回该单据")


def receipt_in_scope(staff: Staff, receipt_id: int) -> StockReceipt:
    found = StockReceipt.get_or_none(
        (StockReceipt.id == receipt_id) & (StockReceipt.warehouse << warehouses_in_scope(staff))
    )
    return or_not_found(found, "入库单不存在", receipt_id=receipt_id)


# --- transfers (调拨) -------------------------------------------------------------------------


def create_transfer(staff: Staff, data: dict) -> Transfer:
    """Send goods from a warehouse in the caller's scope to any other warehouse (also another
    branch's). With no rule asking for signatures they leave at once at the sender's moving
    average and are in transit: on hand at neither end, never available.
    Raises: Forbidden, NotFound, InsufficientStock (the sender's available does not cover it),
    ValidationFailed."""
    require(staff, "stock.manage")
    sender = warehouse_in_scope(staff, data["from_warehouse_id"])
    receiver = Warehouse.get_or_none(Warehouse.id == data["to_warehouse_id"])
    if receiver is None:
        raise NotFound("调入仓库不存在", to_warehouse_id=data["to_warehouse_id"])
    if receiver.id == sender.id:
        raise ValidationFailed(
            "调出仓库和调入仓库不能相同", to_warehouse_id=["调出仓库和调入仓库不能相同"]
        )
    lines = data["lines"]
    _products(line["product_id"] for line in lines)
    with transaction():
        now = utcnow()
        transfer = create_numbered(
            Transfer,
            "TR",
            "created_at",
            from_warehouse=sender.id,
            to_warehouse=receiver.id,
            status="pending",
            note=data.get("note", ""),
            created_by=actor(staff),
            created_at=now,
            updated_at=now,
        )
        TransferLine.insert_many(
            [
                {"transfer": transfer.id, "product": ln["product_id"], "qty": ln["qty"]}
                for ln in sorted(lines, key=lambda ln: ln["product_id"])
            ]
        ).execute()
        _history(TransferEvent, transfer, "submit", "pending", staff, transfer.note)
        if approvals.submit("transfer", transfer.id, _transfer_facts(transfer), staff) is None:
            _send(transfer, staff)
        return transfer


def _transfer_facts(transfer: Transfer) -> Facts:
    """What transfer rules look at: the goods' value at the sender's cost, the sender's branch."""
    lines = list(transfer.lines)
    # An estimate for the rules, read without locking: the rows are locked when the goods leave.
    costs = dict(
        Stock.select(Stock.product, Stock.unit_cost)
        .where(
            (Stock.warehouse == transfer.from_warehouse_id)
            & (Stock.product << [ln.product_id for ln in lines])
        )
        .tuples()
    )
    value = money(sum((costs.get(ln.product_id, 0) * ln.qty for ln in lines), Decimal("0")))
    branch_id = Warehouse.get_by_id(transfer.from_warehouse_id).branch_id
    return Facts(value, value, branch_id, None)


def _send(transfer: Transfer, staff: Staff) -> None:
    lines = list(transfer.lines)
    moved = stock.send(
        transfer.from_warehouse_id,
        transfer.to_warehouse_id,
        [(ln.product_id, ln.qty) for ln in lines],
        transfer.number,
        actor(staff),
    )
    for line in lines:
        left = moved[line.product_id]
        line.value, line.unit_cost = -left.value, left.unit_cost
        line.save(only=[TransferLine.value, TransferLine.unit_cost])
    transfer.status, transfer.sent_at = "in_transit", utcnow()
    transfer.save(only=[Transfer.status, Transfer.sent_at])
    _history(TransferEvent, transfer, "send", "in_transit", staff, before="pending")


def approve_transfer(staff: Staff, transfer_id: int, comment: str = "") -> Transfer:
    """Sign the transfer's next step; the last signature sends the goods.
    Raises: Forbidden, NotFound, InvalidState, InsufficientStock."""
    return _approve(staff, "transfer", transfer_id, comment)


def reject_transfer(staff: Staff, transfer_id: int, reason: str) -> Transfer:
    return _refuse(staff, "transfer", transfer_id, reason)


def receive_transfer(staff: Staff, transfer_id: int, lines: list[dict]) -> Transfer:
    """The receiving warehouse (in the caller's scope) takes goods in, partly or wholly: on hand
    at the cost they left with; what has not arrived stays in transit.
    Raises: Forbidden, NotFound, InvalidState (not in transit, or more than is on its way)."""
    require(staff, "stock.manage")
    transfer = transfer_in_scope(staff, transfer_id)
    warehouse_in_scope(staff, transfer.to_warehouse_id)  # only the receiving end receives
    wanted: dict[int, int] = {}
    for line in lines:
        wanted[line["product_id"]] = wanted.get(line["product_id"], 0) + line["qty"]
    if not wanted:
        raise ValidationFailed("请填写到货数量", lines=["至少一行"])
    with transaction():
        transfer = _locked(Transfer, transfer.id, RECEIVABLE_TRANSFERS, TRANSFER_LABELS, "调拨单")
        mine = {ln.product_id: ln for ln in transfer.lines}
        unknown = sorted(set(wanted) - mine.keys())
        if unknown:
            raise NotFound("到货商品不在该调拨单中", product_ids=unknown)
        arriving = []
        for product_id, qty in sorted(wanted.items()):
            line = mine[product_id]
            value = costing.part_of(
                line.value - line.received_value, line.qty - line.received_qty, qty
            )
            refused = guarded_add(
                TransferLine.received_qty,
                line.id,
                qty,
                TransferLine.qty,
                received_value=TransferLine.received_value + value,
            )
            if refused is not None:
                raise InvalidState(
                    "到货数量超过在途数量",
                    product_id=product_id,
                    in_transit=refused.qty - refused.received_qty,
                    requested=qty,
                )
            arriving.append((product_id, qty, value))
        stock.arrive(transfer.to_warehouse_id, arriving, transfer.number, actor(staff))
        done = all(ln.received_qty + wanted.get(pid, 0) >= ln.qty for pid, ln in mine.items())
        before, transfer.status = transfer.status, "received" if done else "partially_received"
        transfer.save(only=[Transfer.status])
        note = "，".join(f"{mine[pid].product.name} {qty}" for pid, qty, _ in arriving)
        _history(TransferEvent, transfer, "receive", transfer.status, staff, note, before)
        return transfer


def transfer_in_scope(staff: Staff, transfer_id: int) -> Transfer:
    """A transfer either of whose ends is in the caller's scope (both sides see it)."""
    scope = warehouses_in_scope(staff)
    found = Transfer.get_or_none(
        (Transfer.id == transfer_id)
        & ((Transfer.from_warehouse << scope) | (Transfer.to_warehouse << scope))
    )
    return or_not_found(found, "调拨单不存在", transfer_id=transfer_id)


# The stock documents signed through the approval engine, by their approval document type.
SIGNED = {
    "stock_receipt": Signed(
        StockReceipt,
        RECEIPT_LABELS,
        "入库单",
        receipt_in_scope,
        lambda receipt: Facts(receipt.total_cost, receipt.total_cost, None, None),
        _post_receipt,
    ),
    "transfer": Signed(
        Transfer, TRANSFER_LABELS, "调拨单", transfer_in_scope, _transfer_facts, _send
    ),
}


def set_location(staff: Staff, warehouse_id: int, product_id: int, location: str) -> Stock:
    """Where a product lies in a warehouse in the caller's scope (库位)."""
    require(staff, "stock.manage")
    warehouse_in_scope(staff, warehouse_id)
    return stock.set_location(warehouse_id, product_id, location.strip())


# --- counts (盘点) ----------------------------------------------------------------------------


def create_count(staff: Staff, data: dict) -> StockCount:
    """Counted quantities against the book in a warehouse in the caller's scope: each variance
    is posted at cost (found goods at the moving average, missing goods at their share of the
    value), with who counted and why.
    Raises: InvalidState (a count below what is reserved: nothing is posted), NotFound."""
    require(staff, "stock.manage")
    warehouse = warehouse_in_scope(staff, data["warehouse_id"])
    lines = data["lines"]
    _products(line["product_id"] for line in lines)
    note = data.get("note", "")
    with transaction():
        count = create_numbered(
            StockCount,
            "PD",
            "created_at",
            warehouse=warehouse.id,
            note=note,
            counted_by=actor(staff),
            created_at=utcnow(),
        )
        moved = stock.count(
            warehouse.id,
            [(ln["product_id"], ln["counted_qty"]) for ln in lines],
            count.number,
            actor(staff),
            reason=(note or "盘点")[:255],
        )
        StockCountLine.insert_many(
            [
                {
                    "count": count.id,
                    "product": pid,
                    "book_qty": m.on_hand_after - m.qty,
                    "counted_qty": m.on_hand_after,
                    "variance": m.qty,
                    "unit_cost": m.unit_cost if m.qty else m.unit_cost_after,
                    "variance_value": m.value,
                }
                for pid, m in sorted(moved.items())
            ]
        ).execute()
        return count


def count_in_scope(staff: Staff, count_id: int) -> StockCount:
    found = StockCount.get_or_none(
        (StockCount.id == count_id) & (StockCount.warehouse << warehouses_in_scope(staff))
    )
    return or_not_found(found, "盘点单不存在", count_id=count_id)


# --- customer fees (客户费用) -------------------------------------------------------------------


def record_fee(staff: Staff, customer_id: int, data: dict) -> CustomerFee:
    """A fee spent on a customer in the caller's scope (进场费, 促销费, 返利, 陈列费): it comes off
    that customer's profit. Raises: Forbidden, NotFound, ValidationFailed."""
    require(staff, "fees.manage")
    customer = customer_in_scope(staff, customer_id)
    if data["kind"] not in FEE_KINDS:
        raise ValidationFailed("费用类型无效", kind=[f"须为 {', '.join(FEE_KINDS)} 之一"])
    with transaction():
        return CustomerFee.create(
            customer=customer.id,
            kind=data["kind"],
            amount=money(data["amount"]),
            date=data["date"],
            brand=data.get("brand", "").strip(),
            note=data.get("note", ""),
            recorded_by=actor(staff),
        )


def void_fee(staff: Staff, customer_id: int, fee_id: int, reason: str) -> CustomerFee:
    """作废 a fee recorded by mistake (the wrong customer, amount or kind): it stays listed with
    who voided it, when and why, and no longer counts in fee totals or profit. A fee is voided
    once: of two voids at the same moment one wins, the other is told it is already void.
    Raises: Forbidden, NotFound (also a fee of a customer outside the scope), ValidationFailed
    (no reason), InvalidState (already void)."""
    require(staff, "fees.manage")
    customer = customer_in_scope(staff, customer_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写作废原因", reason=["请填写作废原因"])
    fee = CustomerFee.get_or_none(
        (CustomerFee.id == fee_id) & (CustomerFee.customer == customer.id)
    )
    fee = or_not_found(fee, "费用记录不存在", fee_id=fee_id)
    with transaction():
        voided = (
            CustomerFee.update(voided_at=utcnow(), voided_by=actor(staff), void_reason=reason)
            .where((CustomerFee.id == fee.id) & CustomerFee.voided_at.is_null())
            .execute()
        )
    if not voided:
        raise InvalidState(f"{customer.name} {fee.date} 的这笔费用已作废，不能再次作废")
    return CustomerFee.get_by_id(fee.id)


def fees_of(staff: Staff, customer_id: int, date_from: dt.date | None, date_to: dt.date | None):
    """A customer's fees (in scope), newest first."""
    require(staff, "customers.view")
    customer = customer_in_scope(staff, customer_id)
    query = CustomerFee.select().where(CustomerFee.customer == customer.id)
    if date_from:
        query = query.where(CustomerFee.date >= date_from)
    if date_to:
        query = query.where(CustomerFee.date <= date_to)
    return query.order_by(CustomerFee.date.desc(), CustomerFee.id.desc())


# --- picking checks (拣货核对) -----------------------------------------------------------------

PICKABLE = (OrderStatus.APPROVED.value, OrderStatus.PARTIALLY_SHIPPED.value)


def check_pick(staff: Staff, order_id: int, code: str) -> tuple[OrderLine, int]:
    """One scanned SKU barcode while picking an order: the line it belongs to counts one more
    picked, up to what is left to ship. Returns the line and its picked quantity now.
    Raises: ValidationFailed (a SKU not on this order, in words), InvalidState (line already
    picked in full, or the order not waiting to ship), Forbidden, NotFound."""
    require(staff, "orders.ship")
    order = order_in_scope(staff, order_id)
    code = code.strip()
    if order.status not in PICKABLE:
        raise InvalidState("该订单不在待发货状态，无需拣货", status=order.status)
    lines = list(
        OrderLine.select(OrderLine, Product).join(Product).where(OrderLine.order == order.id)
    )
    line = next((ln for ln in lines if ln.product.sku.casefold() == code.casefold()), None)
    if line is None:
        product = Product.get_or_none(Product.sku == code)
        if product is None:
            raise ValidationFailed(f"条码 {code} 不是本系统的商品编码，请核对后重扫", code=[code])
        raise ValidationFailed(
            f"拣错货了：{product.name}（{product.sku}）不在订单 {order.number} 中", code=[code]
        )
    left = line.qty - line.shipped_qty
    with transaction():
        PickCheck.insert(
            order=order.id, order_line=line.id, checked_by=actor(staff)
        ).on_conflict_ignore().execute()
        check = PickCheck.get(PickCheck.order_line == line.id)
        refused = guarded_add(
            PickCheck.picked_qty, check.id, 1, left, checked_by=actor(staff), updated_at=utcnow()
        )
        if refused is not None:
            raise InvalidState(
                f"{line.product.name}（{line.product.sku}）已拣够 {left} {line.product.unit}，不要多拣",
                order_line_id=line.id,
            )
        return line, PickCheck.get_by_id(check.id).picked_qty


def picked(order_id: int) -> dict[int, int]:
    """Picked quantity per order line of an order."""
    return {
        c.order_line_id: c.picked_qty for c in PickCheck.select().where(PickCheck.order == order_id)
    }
