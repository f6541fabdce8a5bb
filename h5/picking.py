"""The warehouse on the phone (拣货): an order's picking list as a PDF, and the SKU check — scan
each picked item's barcode (a scanner that types, the phone's camera where the browser can read
barcodes, or the SKU typed) and the page says whether it belongs to the order, in words."""

from __future__ import annotations

from flask import render_template, request, url_for
from marshmallow import Schema, fields, validate

from app.backoffice import orders as staff_orders
from app.http import pdf_response
from app.inventory import printing
from app.inventory import services as inventory
from app.pages import perform
from h5.blueprint import bp
from h5.forms import parse_form
from h5.session import current_user, h5_login

staff_only = h5_login("staff")


class ScanForm(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))


@bp.get("/staff/orders/<int:order_id>/picking")
@staff_only
def staff_picking(order_id: int):
    staff = current_user().staff
    page = staff_orders.order_page(staff, order_id)
    return render_template(
        "h5/staff_picking.html",
        order=page.order,
        lines=page.entry.lines,
        picked=inventory.picked(order_id),
    )


@bp.post("/staff/orders/<int:order_id>/picking")
@staff_only
def staff_pick(order_id: int):
    """One scanned SKU: counted on its line, or refused in words (wrong SKU, already enough)."""

    def check():
        data = parse_form(ScanForm(), request.form)
        line, picked = inventory.check_pick(current_user().staff, order_id, data["code"])
        left = line.qty - line.shipped_qty
        return f"✓ {line.product.name}：已拣 {picked} / {left} {line.product.unit}"

    return perform(check, "", url_for("h5.staff_picking", order_id=order_id))


@bp.get("/staff/orders/<int:order_id>/picking-list.pdf")
@staff_only
def staff_picking_list(order_id: int):
    return pdf_response(*printing.picking_list(current_user().staff, order_id))
