"""Printed warehouse papers, A4 PDFs in Chinese: the picking list (拣货单) of an order and the
delivery note (送货单) of a shipment. Each carries its document number as a Code 128 barcode and
every line's SKU as one, so a scanner (the staff phone page's SKU check) reads them back."""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from app.adapters.pdf import barcode, cjk_font
from app.auth.scopes import order_in_scope, require
from app.core import units
from app.core.models import Customer, OrderLine, Product, Shipment, ShipmentLine, Staff, Stock
from app.core.models import Warehouse as WarehouseRow
from app.errors import NotFound
from app.timeutil import to_local

WIDTH, HEIGHT = A4
MARGIN = 15 * mm
ROW = 16 * mm  # tall enough for a SKU barcode a hand scanner reads


@dataclass(frozen=True)
class Line:
    location: str
    sku: str
    name: str
    unit: str
    qty: str  # in the unit the line was ordered in where it divides: "2 箱（24 件）", else "24"
    note: str = ""


def _qty(product, qty: int, ordered_in: str | None) -> str:
    """A base quantity as the paper prints it: "2 箱（24 件）" when the line was ordered in
    another unit and the quantity is a whole number of it, else the bare number (the unit column
    says which)."""
    name, _ = units.in_unit(product, qty, ordered_in)
    return str(qty) if name == product.unit else units.amount_words(product, qty, ordered_in)


@dataclass(frozen=True)
class Paper:
    title: str
    number: str  # printed as a barcode
    facts: list[tuple[str, str]]  # label, value: who, where, when
    qty_label: str
    lines: list[Line]
    footer: str
    total: tuple[str, str] | None = None  # a 合计 row: (unit, quantity)


def _total(lines: list[tuple[Product, int]]) -> tuple[str, str]:
    """A 合计 row of (product, base quantity) lines: the quantities added up with their unit when
    every line counts in the same one, else how many lines there are (箱 and 桶 do not add)."""
    unit_names = {product.unit for product, _ in lines}
    if len(unit_names) == 1:
        return unit_names.pop(), str(sum(qty for _, qty in lines))
    return "", f"共 {len(lines)} 行"


def _locations(warehouse_id: int, product_ids: list[int]) -> dict[int, str]:
    return dict(
        Stock.select(Stock.product, Stock.location)
        .where((Stock.warehouse == warehouse_id) & (Stock.product << product_ids))
        .tuples()
    )


def picking_list(staff: Staff, order_id: int) -> tuple[str, bytes]:
    """The order's lines still to ship, by bin location, with the order number and each SKU as a
    barcode. Returns (file name, PDF). Raises: NotFound (also outside the caller's scope)."""
    require(staff, "orders.view")
    order = order_in_scope(staff, order_id)
    lines = list(
        OrderLine.select(OrderLine, Product)
        .join(Product)
        .where(OrderLine.order == order.id)
        .order_by(Product.sku)
    )
    where = _locations(order.warehouse_id, [ln.product_id for ln in lines])
    items = sorted(
        (
            Line(
                where.get(ln.product_id, ""),
                ln.product.sku,
                ln.product.name,
                ln.product.unit,
                _qty(ln.product, ln.qty - ln.shipped_qty, ln.unit),
                f"订 {_qty(ln.product, ln.qty, ln.unit)}，已发 {ln.shipped_qty}"
                if ln.shipped_qty
                else "",
            )
            for ln in lines
            if ln.qty > ln.shipped_qty
        ),
        key=lambda ln: (ln.location == "", ln.location, ln.sku),
    )
    customer = Customer.get_by_id(order.customer_id)
    paper = Paper(
        "拣货单",
        order.number,
        [
            ("订单", order.number),
            ("客户", f"{customer.code} {customer.name}"),
            ("仓库", WarehouseRow.get_by_id(order.warehouse_id).name),
            ("下单时间", to_local(order.created_at).strftime("%Y-%m-%d %H:%M")),
            ("收货地址", order.address or customer.address),
            ("备注", order.remark),
        ],
        "应拣",
        items,
        "拣货人：__________    复核人：__________    扫码核对每一行后再发货",
    )
    return f"picking-list-{order.number}.pdf", render(paper)


def delivery_note(staff: Staff, shipment_id: int) -> tuple[str, bytes]:
    """What one shipment sent, for the receiver to sign. Returns (file name, PDF).
    Raises: NotFound (also a shipment of an order outside the caller's scope)."""
    require(staff, "orders.view")
    shipment = Shipment.get_or_none(Shipment.id == shipment_id)
    if shipment is None:
        raise NotFound("发货单不存在", shipment_id=shipment_id)
    try:
        order = order_in_scope(staff, shipment.order_id)
    except NotFound:
        raise NotFound("发货单不存在", shipment_id=shipment_id) from None
    lines = list(
        ShipmentLine.select(ShipmentLine, OrderLine, Product)
        .join(OrderLine)
        .join(Product)
        .where(ShipmentLine.shipment == shipment.id)
        .order_by(Product.sku)
    )
    where = _locations(order.warehouse_id, [ln.order_line.product_id for ln in lines])
    customer = Customer.get_by_id(order.customer_id)
    paper = Paper(
        "送货单",
        shipment.number,
        [
            ("发货单", shipment.number),
            ("订单", order.number),
            ("客户", f"{customer.code} {customer.name}"),
            ("收货地址", order.address or customer.address),
            ("承运商", f"{shipment.carrier} {shipment.tracking_no}"),
            ("发货时间", to_local(shipment.shipped_at).strftime("%Y-%m-%d %H:%M")),
        ],
        "数量",
        [
            Line(
                where.get(ln.order_line.product_id, ""),
                ln.order_line.product.sku,
                ln.order_line.product.name,
                ln.order_line.product.unit,
                _qty(ln.order_line.product, ln.qty, ln.order_line.unit),
                # A line shipped in part says what was ordered.
                f"订 {_qty(ln.order_line.product, ln.order_line.qty, ln.order_line.unit)}"
                if ln.qty < ln.order_line.qty
                else "",
            )
            for ln in lines
        ],
        "收货人签字：______________    日期：__________    货物如有破损请当场注明",
        _total([(ln.order_line.product, ln.qty) for ln in lines]) if lines else None,
    )
    return f"delivery-note-{shipment.number}.pdf", render(paper)


def render(paper: Paper) -> bytes:
    """The paper as an A4 PDF: heading with the number's barcode, facts, then one row per line
    (location, SKU barcode and text, name, base unit, quantity — in the unit ordered in, with the
    base quantity, where the line was ordered in another), continued over pages; then the 合计
    row, where the paper has one."""
    font = cjk_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(f"{paper.title} {paper.number}")
    columns = [("库位", 0), ("SKU", 22 * mm), ("商品", 80 * mm), ("单位", 140 * mm)]
    columns.append((paper.qty_label, 155 * mm))

    def heading(page: int) -> float:
        pdf.setFont(font, 18)
        pdf.drawString(MARGIN, HEIGHT - MARGIN - 6 * mm, paper.title)
        code = barcode(paper.number, 12 * mm, 0.35 * mm)
        code.drawOn(pdf, WIDTH - MARGIN - code.width, HEIGHT - MARGIN - 12 * mm)
        pdf.setFont(font, 9)
        pdf.drawRightString(WIDTH - MARGIN, HEIGHT - MARGIN - 16 * mm, paper.number)
        y = HEIGHT - MARGIN - 22 * mm
        if page == 1:
            pdf.setFont(font, 10)
            for label, value in paper.facts:
                if value:
                    pdf.drawString(MARGIN, y, f"{label}：{value}"[:70])
                    y -= 6 * mm
        else:
            pdf.setFont(font, 10)
            pdf.drawString(MARGIN, y, f"（续 第 {page} 页）")
            y -= 6 * mm
        y -= 2 * mm
        pdf.setFont(font, 10)
        for label, x in columns:
            pdf.drawString(MARGIN + x, y, label)
        pdf.line(MARGIN, y - 2 * mm, WIDTH - MARGIN, y - 2 * mm)
        return y - 2 * mm

    page = 1
    y = heading(page)
    for line in paper.lines:
        if y - ROW < MARGIN + 15 * mm:
            pdf.showPage()
            page += 1
            y = heading(page)
        top = y - ROW
        pdf.setFont(font, 10)
        pdf.drawString(MARGIN, top + 6 * mm, line.location or "—")
        code = barcode(line.sku, 9 * mm, 0.3 * mm)
        code.drawOn(pdf, MARGIN + 22 * mm, top + 5 * mm)
        pdf.setFont(font, 8)
        pdf.drawString(MARGIN + 22 * mm, top + 1.5 * mm, line.sku)
        pdf.setFont(font, 10)
        pdf.drawString(MARGIN + 80 * mm, top + 8 * mm, line.name[:28])
        if line.note:
            pdf.setFont(font, 8)
            pdf.drawString(MARGIN + 80 * mm, top + 3 * mm, line.note)
        pdf.setFont(font, 10)
        pdf.drawString(MARGIN + 140 * mm, top + 6 * mm, line.unit)
        size = 14  # smaller for "2 箱（24 件）" so it stays inside the page's margin
        while size > 8 and stringWidth(line.qty, font, size) > WIDTH - 2 * MARGIN - 155 * mm:
            size -= 1
        pdf.setFont(font, size)
        pdf.drawString(MARGIN + 155 * mm, top + 6 * mm, line.qty)
        pdf.line(MARGIN, top, WIDTH - MARGIN, top)
        y = top
    if paper.total:
        if y - 10 * mm < MARGIN + 15 * mm:
            pdf.showPage()
            page += 1
            y = heading(page)
        unit, qty = paper.total
        top = y - 10 * mm
        pdf.setFont(font, 10)
        pdf.drawString(MARGIN + 80 * mm, top + 3 * mm, "合计")
        pdf.drawString(MARGIN + 140 * mm, top + 3 * mm, unit)
        pdf.setFont(font, 12)
        pdf.drawString(MARGIN + 155 * mm, top + 3 * mm, qty)
        pdf.line(MARGIN, top, WIDTH - MARGIN, top)
        y = top
    if not paper.lines:
        pdf.setFont(font, 10)
        pdf.drawString(MARGIN, y - 8 * mm, "没有待拣的商品")
    pdf.setFont(font, 10)
    pdf.drawString(MARGIN, MARGIN, paper.footer)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
