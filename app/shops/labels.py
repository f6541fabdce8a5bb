"""Shipping labels (快递面单) as a PDF of 100×150 mm pages: receiver, sender, carrier, the
tracking number as a Code 128 barcode and in digits, the order number and its goods. Chinese
is set in WenQuanYi Micro Hei (Debian's fonts-wqy-microhei)."""

from __future__ import annotations

import io

from reportlab.graphics.barcode import code128
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from app.adapters.pdf import cjk_font
from app.core.models import Product, Staff
from app.errors import InvalidState, ValidationFailed
from app.shops import settings
from app.shops.models import Shop, ShopOrderLine
from app.shops.orders import order_in_scope
from app.shops.rules import CARRIERS

PAGE = (100 * mm, 150 * mm)


def labels_pdf(staff: Staff, order_ids: list[int]) -> bytes:
    """One label per order, in the order given. Raises: ValidationFailed (no ids), NotFound,
    InvalidState (an order without a waybill)."""
    if not order_ids:
        raise ValidationFailed("请选择要打印的订单", ids=["至少一个"])
    orders = [order_in_scope(staff, i) for i in dict.fromkeys(order_ids)]
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
        lines = list(
            ShopOrderLine.select(ShopOrderLine, Product)
            .join(Product, on=ShopOrderLine.product == Product.id)
            .where(ShopOrderLine.order == order.id)
        )
        y = height - 96 * mm
        for line in lines[:8]:
            pdf.drawString(6 * mm, y, f"{line.product.name[:22]} × {line.qty}")
            y -= 5 * mm
        if len(lines) > 8:
            pdf.drawString(6 * mm, y, f"等共 {len(lines)} 种商品")
        pdf.showPage()
    pdf.save()
    return out.getvalue()
