"""代客下单: customer service takes a dealer's order on the phone — picks the dealer, finds products by
SKU or name at that dealer's prices, and submits an order that awaits review like the dealer's own;
the dealer hears of it in their inbox."""

from __future__ import annotations

import uuid
from itertools import zip_longest

from flask import current_app, flash, g, redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate

from admin.console.blueprint import bp
from admin.console.forms import console_page, describe, load_form, load_query
from admin.console.session import console_login
from admin.schemas import StaffOrderIn
from app.backoffice import orders as staff_orders
from app.backoffice import queries
from app.errors import AppError
from app.validation import id_field

LABELS = {"customer_id": "经销商", "address_id": "收货地址", "lines": "商品行", "remark": "备注"}


class DeskQueryIn(Schema):
    customer_id = id_field(strict=False)


class ProductSearchIn(Schema):
    customer_id = id_field(strict=False, required=True)
    q = fields.String(load_default="", validate=validate.Length(max=64, error="搜索词太长"))


class KeyIn(Schema):
    idempotency_key = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9a-f]{32}$", error="页面已过期，请刷新后重新提交"),
    )


def _low() -> int:
    return current_app.config["LOW_STOCK_THRESHOLD"]


def _typed_lines() -> list[dict]:
    """The order's line rows as the form sent them (product, quantity and the unit it counts),
    blank ones left out; no unit is the product's base unit."""
    rows = []
    for product_id, qty, unit in zip_longest(
        request.form.getlist("product_id"),
        request.form.getlist("qty"),
        request.form.getlist("unit"),
        fillvalue="",
    ):
        if product_id.strip() or qty.strip():
            row = {"product_id": product_id.strip(), "qty": qty.strip()}
            if unit.strip():
                row["unit"] = unit.strip()
            rows.append(row)
    return rows


def _desk_page(customer_id: int | None, typed: list[dict] | None = None, error: str = "", **form):
    desk = staff_orders.order_desk(g.staff, customer_id) if customer_id else None
    lines = []
    if desk and typed:
        ids = [int(t["product_id"]) for t in typed if t["product_id"].isdigit()]
        _, views = staff_orders.dealer_products(g.staff, customer_id, _low(), product_ids=ids)
        by_id = {v.product.id: v for v in views}
        lines = [
            {"view": by_id[int(t["product_id"])], "qty": t["qty"], "unit": t.get("unit", "")}
            for t in typed
            if t["product_id"].isdigit() and int(t["product_id"]) in by_id
        ]
    return render_template(
        "console/new_order.html",
        desk=desk,
        customer_options=[
            (c.id, f"{c.code} {c.name}") for c in queries.customers_query(g.staff, active=True)
        ]
        if desk is None
        else [],
        lines=lines,
        error=error,
        form={"idempotency_key": uuid.uuid4().hex, "remark": "", "address_id": "", **form},
    ), 422 if error else 200


@console_page("/orders/new", "orders.place")
def new_order():
    args = load_query(DeskQueryIn, request.args)
    return _desk_page(args.get("customer_id"))


@console_page("/orders/new/products", "orders.place")
def new_order_products():
    """The search's results at the dealer's prices (swapped into the page by htmx)."""
    args = load_query(ProductSearchIn, request.args)
    customer, views = staff_orders.dealer_products(
        g.staff, args["customer_id"], _low(), q=args["q"]
    )
    return render_template(
        "console/_new_order_products.html", views=views, customer=customer, q=args["q"]
    )


@bp.post("/orders/new")
@console_login("orders.place")
def place_new_order():
    """提交订单 for the dealer: the same key sent again (a double click, a re-sent form) is the
    same order."""
    typed = _typed_lines()
    customer_id = request.form.get("customer_id", "")
    form = {k: request.form.get(k, "") for k in ("remark", "address_id", "idempotency_key")}
    try:
        key = load_form(KeyIn, {"idempotency_key": form["idempotency_key"]})["idempotency_key"]
        data = load_form(
            StaffOrderIn,
            {
                "customer_id": customer_id,
                "lines": typed,
                "remark": form["remark"],
                "address_id": form["address_id"],
            },
        )
        order, created = staff_orders.place_for_dealer(
            g.staff,
            data["customer_id"],
            data["lines"],
            idempotency_key=f"console:{key}",
            remark=data["remark"],
            address_id=data["address_id"],
        )
    except AppError as exc:
        if not customer_id.isdigit():
            raise
        return _desk_page(int(customer_id), typed, describe(exc, LABELS), **form)
    if created:
        flash(
            f"已为{order.customer.name}代下单 {order.number}（¥{order.total}），等待审核；"
            "已通知经销商",
            "success",
        )
        for warning in getattr(order, "warnings", []):
            flash(warning["message"], "warning")
    return redirect(url_for("console.order_detail", order_id=order.id), code=303)
