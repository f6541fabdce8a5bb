"""Shipping labels (快递面单) as a PDF of 100×150 mm pages: receiver, sender, carrier, the
tracking number as a Code 128 barcode and in digits, the order number and its goods. Chinese
is set in WenQuanYi Micro Hei (Debian's fonts-wqy-microhei)."""

from __future__ import annotations

import io

from reportlab.graphics.barcode import code128
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from app.adapters.pdf import cjk_font
from app.core.models import Staff
from app.db import or_not_found
from app.errors import InvalidState, ValidationFailed
from app.shops import settings
from app.shops.models import Shop, ShopOrder
from app.shops.orders import orders_query
from app.shops.queries import with_details
from app.shops.rules import CARRIERS

PAGE = (100 * mm, 150 * mm)
GOODS_ROWS = 9  # below the sender, 5 mm each, to the foot of the label


def labels_pdf(staff: Staff, order_ids: list[int]) -> bytes:
    """One label per order, in the order given. Raises: ValidationFailed (no ids), NotFound,
    InvalidState (an order without a waybill)."""
    if not order_ids:
        raise ValidationFailed("请选择要打印的订单", ids=["至少一个"])
    wanted = list(dict.fromkeys(order_ids))
    found = {o.id: o for o in with_details(orders_query(staff).where(ShopOrder.id << wanted))}
    orders = [or_not_found(found.get(i), "网店订单不存在", shop_order_id=i) for i in wanted]
    for order in orders:
        if not order.tracking_no:
            raise InvalidState(f"订单 {order.number} 还没有快递单号，请先取单号")
    font = cjk_font()
    sender = settings.current()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=PAGE)
    pdf.setTitle("快递面单")
    width, height = PAGE
    for order in orders:
        shop = Shop.get_by_id(order.shop_id)
        pdf.setFont(font, 14)
        pdf.drawString(6 * mm, height - 12 * mm, CARRIERS.get(order.carrier, order.carrier))
        pdf.setFont(font, 8)
        pdf.drawRightString(width - 6 * mm, height - 12 * mm, f"{shop.name} {order.number}")
        barcode = code128.Code128(order.tracking_no, barHeight=18 * mm, barWidth=0.42 * mm)
        barcode.drawOn(pdf, (width - barcode.width) / 2, height - 36 * mm)
        pdf.setFont(font, 11)
        pdf.drawCentredString(width / 2, height - 41 * mm, order.tracking_no)
        pdf.line(4 * mm, height - 44 * mm, width - 4 * mm, height - 44 * mm)
        pdf.setFont(font, 9)
        pdf.drawString(6 * mm, height - 50 * mm, "收件人")
        pdf.setFont(font, 13)
        pdf.drawString(6 * mm, height - 57 * mm, f"{order.receiver_name}  {order.receiver_phone}")
        pdf.setFont(font, 10)
        pdf.drawString(6 * mm, height - 64 * mm, f"{order.region}{order.address}"[:40])
        pdf.line(4 * mm, height - 68 * mm, width - 4 * mm, height - 68 * mm)
        pdf.setFont(font, 9)
        pdf.drawString(6 * mm, height - 74 * mm, "寄件人")
        pdf.drawString(6 * mm, height - 80 * mm, f"{sender.sender_name}  {sender.sender_phone}")
        warehouse = shop.warehouse
        pdf.drawString(6 * mm, height - 86 * mm, (warehouse.address or warehouse.name)[:40])
        pdf.line(4 * mm, height - 90 * mm, width - 4 * mm, height - 90 * mm)
        _draw_goods(pdf, font, order.line_items, width, height - 96 * mm)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _draw_goods(pdf, font: str, lines: list, width: float, top: float) -> None:
    """What to pack, in our units ("茉莉绿茶 × 2 箱（平台 1 件，每件 2 箱）"), a row a line; a
    name too long to share its row with the quantity gets a row of its own above it. Lines
    that do not fit are counted on the last row, never cut in half."""
    left, right, size = 6 * mm, width - 6 * mm, 9
    pdf.setFont(font, size)
    groups: list[list[tuple[str, str]]] = []
    for line in lines:
        name = line.product_name or line.platform_sku
        quantity = f"× {line.quantity_words}"
        room = right - left - pdf.stringWidth(quantity, font, size) - 2 * mm
        if pdf.stringWidth(name, font, size) <= room:
            groups.append([(name, quantity)])
        else:
            groups.append([(_fitted(pdf, name, font, size, right - left), ""), ("", quantity)])
    rows: list[tuple[str, str]] = []
    for shown, group in enumerate(groups):
        left_after = len(groups) - shown - 1
        if len(rows) + len(group) + (1 if left_after else 0) > GOODS_ROWS:
            rows.append((f"共 {len(lines)} 项商品，另 {len(lines) - shown} 项见订单", ""))
            break
        rows += group
    y = top
    for name, quantity in rows:
        pdf.drawString(left, y, name)
        if quantity:
            pdf.drawRightString(right, y, quantity)
        y -= 5 * mm


def _fitted(pdf, text: str, font: str, size: int, room: float) -> str:
    """`text`, cut with "…" to fit `room`."""
    if pdf.stringWidth(text, font, size) <= room:
        return text
    while text and pdf.stringWidth(f"{text}…", font, size) > room:
        text = text[:-1]
    return f"{text}…"
