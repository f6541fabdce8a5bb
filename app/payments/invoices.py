"""Invoices (发票): a dealer asks for one for orders whose goods went out (title, tax number,
normal or special); finance issues it with the tax invoice's number and, optionally, its file
(PDF, OFD or an image), or turns it down; the dealer is told and downloads the file. An order is
on one live invoice at most (a unique row): two requests for it at once, one wins."""

from __future__ import annotations

from decimal import Decimal

from peewee import IntegrityError, fn

from app.adapters.storage import LocalStorage, sniff_image
from app.auth.scopes import require, scoped
from app.core.models import Customer, Order, Receivable, ReturnRequest, Staff
from app.db import db, transaction, utcnow
from app.errors import InvalidState, NotFound, ValidationFailed
from app.events import InvoiceAnswered, emit
from app.money import money, money_from_fen
from app.numbering import create_numbered
from app.payments import rules
from app.payments.models import Invoice, InvoiceOrder
from app.payments.settings import current

MAX_ORDERS = 50
FILE_TYPES = (
    (b"%PDF-", "pdf", "application/pdf"),
    (b"PK\x03\x04", "ofd", "application/ofd"),  # OFD, China's format for e-invoices, is a zip
)


def _storage() -> LocalStorage:
    return LocalStorage(current().upload_dir)


def invoiceable_amount(order: Order) -> Decimal:
    """What an order's invoice is for: the value shipped, less returns received."""
    shipped = Receivable.select(fn.SUM(Receivable.amount)).where(Receivable.order == order.id)
    returned = ReturnRequest.select(fn.SUM(ReturnRequest.received_amount)).where(
        ReturnRequest.order == order.id
    )
    return money(money_from_fen(shipped.scalar()) - money_from_fen(returned.scalar()))


def invoiceable_orders(customer_id: int) -> list[dict]:
    """The dealer's orders that may go on an invoice now, newest first, with their amounts."""
    taken = InvoiceOrder.select(InvoiceOrder.order)
    query = (
        Order.select()
        .where(
            (Order.customer == customer_id)
            & Order.status.in_([s.value for s in rules.INVOICEABLE])
            & Order.id.not_in(taken)
        )
        .order_by(Order.id.desc())
    )
    found = [(order, invoiceable_amount(order)) for order in query]
    return [
        {
            "order_id": order.id,
            "number": order.number,
            "status": order.status,
            "amount": amount,
            "created_at": order.created_at,
        }
        for order, amount in found
        if amount > 0
    ]


def request(customer_id: int, data: dict, actor: str) -> Invoice:
    """Raises: ValidationFailed, NotFound (not this dealer's order), InvalidState (not shipped,
    nothing to invoice, or already on an invoice)."""
    order_ids = sorted(set(data.get("order_ids") or []))
    if not 1 <= len(order_ids) <= MAX_ORDERS:
        raise ValidationFailed(
            f"请选择 1 到 {MAX_ORDERS} 个订单", order_ids=[f"1 到 {MAX_ORDERS} 个订单"]
        )
    if data.get("kind") not in rules.INVOICE_KINDS:
        raise ValidationFailed("发票类型须为普通发票或专用发票", kind=["normal 或 special"])
    title = (data.get("title") or "").strip()
    if not 1 <= len(title) <= 100:
        raise ValidationFailed("请填写发票抬头（100 字以内）", title=["必填"])
    tax_no = rules.tax_no(data.get("tax_no", ""))
    with transaction():
        orders = {
            o.id: o
            for o in Order.select().where(
                (Order.id.in_(order_ids)) & (Order.customer == customer_id)
            )
        }
        missing = [i for i in order_ids if i not in orders]
        if missing:
            raise NotFound("订单不存在", order_ids=missing)
        amounts = {}
        for order_id in order_ids:
            order = orders[order_id]
            if order.status not in rules.INVOICEABLE:
                raise InvalidState(f"订单 {order.number} 尚未发货，不能开票", order_id=order_id)
            amounts[order_id] = invoiceable_amount(order)
            if amounts[order_id] <= 0:
                raise InvalidState(f"订单 {order.number} 没有可开票金额", order_id=order_id)
        invoice = create_numbered(
            Invoice,
            "IV",
            "created_at",
            customer=customer_id,
            kind=data["kind"],
            title=title,
            tax_no=tax_no,
            email=(data.get("email") or "").strip(),
            amount=money(sum(amounts.values(), Decimal("0"))),
            status="requested",
            requested_by=actor,
            created_at=utcnow(),
        )
        try:
            with db.atomic():
                InvoiceOrder.insert_many(
                    [
                        {"invoice": invoice.id, "order": order_id, "amount": amounts[order_id]}
                        for order_id in order_ids
                    ]
                ).execute()
        except IntegrityError:
            taken = [
                orders[row.order_id].number
                for row in InvoiceOrder.select().where(InvoiceOrder.order.in_(order_ids))
            ]
            raise InvalidState(
                f"订单 {'、'.join(taken)} 已申请过发票", order_ids=order_ids
            ) from None
        return invoice


def with_orders(query) -> list[Invoice]:
    """Invoices with their orders' numbers (`order_numbers`, `order_ids`) in two queries."""
    invoices = list(query)
    links: dict[int, list] = {i.id: [] for i in invoices}
    for row in (
        InvoiceOrder.select(InvoiceOrder, Order)
        .join(Order)
        .where(InvoiceOrder.invoice.in_(list(links) or [0]))
        .order_by(InvoiceOrder.id)
    ):
        links[row.invoice_id].append(row.order)
    for invoice in invoices:
        invoice.order_ids = [o.id for o in links[invoice.id]]
        invoice.order_numbers = [o.number for o in links[invoice.id]]
    return invoices


def dealer_invoices(customer_id: int, page: int, per_page: int) -> tuple[list[Invoice], int]:
    query = Invoice.select().where(Invoice.customer == customer_id)
    total = query.count()
    return with_orders(query.order_by(Invoice.id.desc()).paginate(page, per_page)), total


def dealer_invoice(customer_id: int, invoice_id: int) -> Invoice:
    found = with_orders(
        Invoice.select().where((Invoice.id == invoice_id) & (Invoice.customer == customer_id))
    )
    if not found:
        raise NotFound("发票申请不存在", invoice_id=invoice_id)
    return found[0]


def invoices_query(staff: Staff, status: str | None = None):
    require(staff, "payments.view")
    query = scoped(Invoice.select(Invoice, Customer).join(Customer), staff)
    if status:
        query = query.where(Invoice.status == status)
    return query.order_by(Invoice.id.desc())


def invoice_in_scope(staff: Staff, invoice_id: int) -> Invoice:
    found = with_orders(invoices_query(staff).where(Invoice.id == invoice_id))
    if not found:
        raise NotFound("发票申请不存在", invoice_id=invoice_id)
    return found[0]


def checked_file(data: bytes) -> tuple[str, str]:
    """(extension, content type) of an invoice file: PDF, OFD or a JPEG/PNG/WebP image.
    Raises: ValidationFailed."""
    limit = current().invoice_file_max_bytes
    if not data:
        raise ValidationFailed("发票文件为空", file=["文件为空"])
    if len(data) > limit:
        raise ValidationFailed(f"发票文件不能超过 {limit // (1024 * 1024)} MB", file=["文件过大"])
    for signature, extension, content_type in FILE_TYPES:
        if data.startswith(signature):
            return extension, content_type
    image = sniff_image(data)
    if image is None:
        raise ValidationFailed("发票文件须为 PDF、OFD 或图片", file=["文件格式不支持"])
    return image


def issue(staff: Staff, invoice_id: int, invoice_no: str, data: bytes | None = None) -> Invoice:
    """Finance issues a requested invoice, with its number and optionally its file; the dealer
    is told. Raises: Forbidden, NotFound, ValidationFailed, InvalidState (not requested)."""
    require(staff, "invoices.issue")
    invoice_no = (invoice_no or "").strip()
    if not rules.INVOICE_NO.match(invoice_no):
        raise ValidationFailed("发票号码须为 8 到 20 位数字或字母", invoice_no=["格式不正确"])
    kind = checked_file(data) if data is not None else None
    with transaction():
        invoice = invoice_in_scope(staff, invoice_id)
        key = _storage().save(data, "invoices", kind[0]) if kind else ""
        moved = (
            Invoice.update(
                status="issued",
                invoice_no=invoice_no,
                file_key=key,
                file_type=kind[1] if kind else "",
                issued_by=staff.id,
                issued_at=utcnow(),
            )
            .where((Invoice.id == invoice.id) & (Invoice.status == "requested"))
            .execute()
        )
        if not moved:
            label = rules.INVOICE_LABELS.get(invoice.status, invoice.status)
            raise InvalidState(f"发票申请{label}，不能开票", status=invoice.status)
        invoice = invoice_in_scope(staff, invoice.id)
        emit(InvoiceAnswered(invoice))
        return invoice


def reject(staff: Staff, invoice_id: int, reason: str) -> Invoice:
    """Turn a request down (a wrong title or tax number): its orders may be asked for again."""
    require(staff, "invoices.issue")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写驳回原因", reason=["必填"])
    with transaction():
        invoice = invoice_in_scope(staff, invoice_id)
        moved = (
            Invoice.update(status="rejected", reject_reason=reason[:200], issued_by=staff.id)
            .where((Invoice.id == invoice.id) & (Invoice.status == "requested"))
            .execute()
        )
        if not moved:
            label = rules.INVOICE_LABELS.get(invoice.status, invoice.status)
            raise InvalidState(f"发票申请{label}，不能驳回", status=invoice.status)
        InvoiceOrder.delete().where(InvoiceOrder.invoice == invoice.id).execute()
        invoice = invoice_in_scope(staff, invoice.id)
        emit(InvoiceAnswered(invoice))
        return invoice


def file_of(invoice: Invoice) -> tuple[bytes, str, str]:
    """(content, content type, file name) of an issued invoice's file. Raises: NotFound."""
    if invoice.status != "issued" or not invoice.file_key:
        raise NotFound("该发票没有电子文件", invoice_id=invoice.id)
    extension = invoice.file_key.rsplit(".", 1)[-1]
    return (
        _storage().read(invoice.file_key),
        invoice.file_type,
        f"发票-{invoice.invoice_no}.{extension}",
    )
