"""The dealer's pages: home, catalogue, cart, orders, account and messages. Views parse the form,
call one mall use case and render; every read is the signed-in dealer's customer's."""

from __future__ import annotations

import uuid

from flask import current_app, flash, redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate

from app.core import receivables, units
from app.core.returns import RETURN_LABELS, RETURNABLE
from app.core.rules import ENTRY_LABELS, STATUS_LABELS, paid_money_words
from app.errors import AppError
from app.field import replenishment
from app.mall import (
    accounts,
    announcements,
    cart,
    catalog,
    favourites,
    ordering,
    returns,
    styles,
)
from app.mall import addresses as customer_addresses
from app.notify import inbox
from app.pages import perform
from app.schemas import EVENT_LABELS
from app.timeutil import local_today
from app.validation import business_date
from h5.blueprint import bp
from h5.forms import CatalogQuery, QtyForm, SubmitForm, parse_form
from h5.session import current_user, h5_login, low_threshold

PER_PAGE = 20
SPEC_ARG = "s-"  # a spec picker's choice in the query string: s-颜色=红
ORDER_TABS = [
    ("", "全部"),
    ("pending_review", "待审核"),
    ("approved", "待发货"),
    ("shipped", "待收货"),
    ("completed", "已完成"),
    ("cancelled", "已取消"),  # and rejected: the orders that will not come
]

dealer = h5_login("dealer")


def _customer():
    return current_user().customer


class StatementForm(Schema):
    date_from = business_date(data_key="from")
    date_to = business_date(data_key="to")


class OrderListQuery(Schema):
    status = fields.String(validate=validate.OneOf([s for s, _ in ORDER_TABS if s]))
    q = fields.String(validate=validate.Length(max=64, error="搜索词太长"))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))


# --- home and catalogue -----------------------------------------------------------------


@bp.get("/")
@dealer
def home():
    customer = _customer()
    notices, _ = announcements.for_branch(customer.branch_id, 1, 5)
    suggestions = replenishment.suggestions_view(customer.id)
    return render_template(
        "h5/home.html",
        customer=customer,
        notices=notices,
        categories=catalog.category_tree(),
        recent=ordering.recent_products(customer, low_threshold(), limit=6),
        suggested=[s for s in suggestions["items"] if s.qty > 0],
        bound=request.args.get("bound"),
    )


@bp.post("/replenishment/to-cart")
@dealer
def suggestions_to_cart():
    """The replenishment suggestions into the cart in one tap; the dealer reviews them there."""
    added = replenishment.fill_cart(current_user().id, _customer().id)
    flash(f"已按补货建议加入 {added} 种商品" if added else "暂无补货建议", "success")
    return redirect(url_for("h5.cart_page"))


@bp.get("/products")
@dealer
def products():
    args = parse_form(CatalogQuery(), request.args)
    items, total = catalog.list_products(
        _customer(),
        q=args.get("q"),
        category_id=args.get("category_id"),
        page=args["page"],
        per_page=PER_PAGE,
        low_threshold=low_threshold(),
        one_per_style=True,
    )
    more = args["page"] * PER_PAGE < total
    template = "h5/_product_items.html" if request.headers.get("HX-Request") else "h5/products.html"
    return render_template(
        template,
        items=items,
        style_cards=styles.style_cards(_customer(), items, low_threshold()),
        total=total,
        args=args,
        categories=catalog.category_tree(),
        next_page=args["page"] + 1 if more else None,
        marked=favourites.marked(_customer().id, [v.product.id for v in items]),
    )


@bp.get("/products/<int:product_id>")
@dealer
def product(product_id: int):
    view = catalog.product_view(_customer(), product_id, low_threshold())
    in_cart = {line.view.product.id: line.qty_words for line in _cart().lines}.get(product_id)
    picked = picked_unit(view.product, request.args.get("unit"), request.args.get("qty"))
    return render_template(
        "h5/product.html",
        view=view,
        in_cart=in_cart,
        picked=picked,
        marked=favourites.marked(_customer().id, [product_id]),
        style_args={SPEC_ARG + k: v for k, v in view.product.spec_values.items()},
    )


def picked_unit(product, unit: str | None, qty: str | None) -> dict:
    """The unit the product page's picker starts on, with its first count and multiple, and the
    count its stepper shows: what the dealer had chosen when they added it (the page comes back
    with `unit` and `qty`), where that is still an orderable count of one of the product's units;
    else the base unit from its first orderable count."""
    choices = units.choices(product)
    picked = next((c for c in choices if c["name"] == unit), choices[0])
    count = int(qty) if qty and qty.isdigit() and len(qty) < 6 else 0
    if count < picked["first"] or (count - picked["first"]) % picked["step"]:
        count = picked["first"]
    return {**picked, "qty": count}


@bp.get("/styles/<int:group_id>")
@dealer
def style(group_id: int):
    """A style (款) with its spec picker: the dealer taps a value per dimension; values no SKU
    in stock has with the other choices are greyed out; the chosen SKU's price and stock show,
    and it goes into the cart."""
    view = styles.style_view(_customer(), group_id, low_threshold())
    chosen = {
        k.removeprefix(SPEC_ARG): v for k, v in request.args.items() if k.startswith(SPEC_ARG)
    }
    picked = styles.picker(view, chosen)
    in_cart = None
    if picked.sku:
        in_cart = {line.view.product.id: line.qty for line in _cart().lines}.get(
            picked.sku.product.id
        )
    hrefs = {
        (name, c.value): url_for(
            "h5.style",
            group_id=group_id,
            **{SPEC_ARG + k: v for k, v in c.chosen_next.items()},
        )
        for name, choices in picked.dimensions
        for c in choices
    }
    return render_template("h5/style.html", style=view, picker=picked, hrefs=hrefs, in_cart=in_cart)


# --- cart and ordering ---------------------------------------------------------------------


def _cart():
    return cart.view_cart(current_user().id, _customer(), low_threshold())


@bp.post("/cart/items/<int:product_id>/add")
@dealer
def cart_add(product_id: int):
    """加入购物车 on a product page, 再订 on the home page, 加入 on a catalogue row (a product sold
    in several units), the style's spec picker: adds to what the cart holds."""
    back = {
        "home": lambda: url_for("h5.home"),
        "style": lambda: _style_back(product_id),  # the spec picker: the style, SKU chosen
        "favourites": lambda: url_for("h5.favourite_list", _anchor=f"product-{product_id}"),
        "products": lambda: url_for(
            "h5.products",
            q=request.form.get("q") or None,
            category_id=request.form.get("category_id") or None,
            _anchor=f"product-{product_id}",
        ),
    }.get(request.form.get("back", ""), lambda: None)()

    def add():
        qty = parse_form(QtyForm(), {"qty": request.form.get("qty", "")})["qty"]
        unit = request.form.get("unit") or None
        product, total = cart.add_item(current_user().id, product_id, qty, unit)
        return f"已加入购物车，购物车中共 {units.amount_words(product, total, unit)}"

    # Back on the product page, the unit and count the dealer chose stay chosen.
    here = url_for(
        "h5.product",
        product_id=product_id,
        unit=request.form.get("unit") or None,
        qty=request.form.get("qty") or None,
    )
    return perform(add, "", back or here)


def _style_back(product_id: int) -> str | None:
    try:
        view = catalog.product_view(_customer(), product_id, low_threshold())
    except AppError:
        return None
    if not view.product.group_id:
        return None
    spec = {SPEC_ARG + k: v for k, v in view.product.spec_values.items()}
    return url_for("h5.style", group_id=view.product.group_id, **spec)


@bp.post("/cart/items/<int:product_id>")
@dealer
def cart_set(product_id: int):
    """A stepper in the cart sets the line's quantity. From the page's script (htmx) the answer is
    the cart itself, swapped in place: the page keeps where the dealer was."""
    error, note = set_cart_line_said(product_id)
    if request.headers.get("HX-Request"):
        return _cart_view(line_error=error, line_note=note)
    if error:
        flash(error, "error")
    elif note:
        flash(note, "info")
    return redirect(url_for("h5.cart_page", _anchor=f"line-{product_id}"))


def set_cart_line(product_id: int) -> str | None:
    """The quantity a cart's stepper sent, set on its line; what was wrong with it, if anything."""
    return set_cart_line_said(product_id)[0]


def set_cart_line_said(product_id: int) -> tuple[str | None, str | None]:
    """The quantity a cart's stepper sent, set on its line: what was wrong with it, and what was
    raised (the page's script rounds a typed 7 up to 10 and sends the 7 as `requested`)."""
    try:
        qty = parse_form(QtyForm(), {"qty": request.form.get("qty", "")})["qty"]
        requested = request.form.get("requested", "")
        note = cart.set_item(
            current_user().id,
            product_id,
            qty,
            request.form.get("unit") or None,
            int(requested) if requested.isdigit() and len(requested) < 7 else None,
        )
    except AppError as exc:
        return exc.message, None
    return None, note


@bp.post("/cart/items/<int:product_id>/remove")
@dealer
def cart_remove(product_id: int):
    cart.remove_item(current_user().id, product_id)
    return redirect(url_for("h5.cart_page"))


def _cart_view(form=None, error=None, line_error=None, line_note=None):
    return render_template(
        "h5/cart.html",
        cart=_cart(),
        addresses=customer_addresses.addresses_of(_customer().id),
        # One key per cart page: a double tap or a re-sent form makes one order.
        form=form or {"idempotency_key": uuid.uuid4().hex},
        error=error,
        line_error=line_error,
        line_note=line_note,
    )


@bp.get("/cart")
@dealer
def cart_page():
    return _cart_view()


@bp.post("/orders")
@dealer
def submit():
    """提交订单: the cart's lines at today's prices, with the form's Idempotency-Key."""
    user = current_user()
    try:
        order = order_from_cart(
            _customer(),
            key_prefix="h5",
            placed_by=f"wechat:{user.id}",
            source="mall",
            done="订单已提交，等待客服审核",
        )
    except AppError as exc:
        return _cart_view(form=request.form.to_dict(), error=exc.message), 422
    return redirect(url_for("h5.order", order_id=order.id))


def order_from_cart(customer, *, key_prefix: str, placed_by: str, source: str, done: str):
    """提交订单 from a cart page (the dealer's, or a rep's visit): the form's address and remark,
    the cart's lines; says `done` and the order's warnings when the order is new. Raises AppError."""
    data = parse_form(SubmitForm(), request.form)
    order, created = ordering.submit_cart(
        current_user().id,
        customer,
        low_threshold(),
        f"{key_prefix}:{data['idempotency_key']}",
        remark=data["remark"],
        address_id=data.get("address_id"),
        placed_by=placed_by,
        source=source,
    )
    if created:
        flash(done.format(number=order.number), "success")
        for warning in getattr(order, "warnings", []):
            flash(warning["message"], "warning")
    return order


# --- orders --------------------------------------------------------------------------------


@bp.get("/orders")
@dealer
def orders():
    args = parse_form(OrderListQuery(), request.args)
    status = args.get("status")
    statuses = {
        "shipped": ["partially_shipped", "shipped"],
        "cancelled": ["cancelled", "rejected"],
    }.get(status, [status] if status else None)
    found, total = ordering.customer_orders(
        _customer().id, statuses, args["page"], PER_PAGE, args.get("q")
    )
    return render_template(
        "h5/orders.html",
        orders=found,
        total=total,
        tabs=ORDER_TABS,
        status=status or "",
        q=args.get("q", ""),
        page=args["page"],
        more=args["page"] * PER_PAGE < total,
        labels=STATUS_LABELS,
        placed_for=ordering.placed_for_dealer(found),
    )


@bp.get("/orders/<int:order_id>")
@dealer
def order(order_id: int):
    found = ordering.customer_order(_customer().id, order_id)
    order_returns, _ = returns.customer_returns(_customer().id, 1, 20, order_id=order_id)
    return render_template(
        "h5/order.html",
        order=found,
        placed_for=ordering.placed_for_dealer([found]).get(found.id),
        labels=STATUS_LABELS,
        actions=EVENT_LABELS,
        returns=order_returns,
        return_labels=RETURN_LABELS,
        can_return=found.status in RETURNABLE
        and any(ln.shipped_qty > ln.returned_qty for ln in found.lines),
    )


@bp.post("/orders/<int:order_id>/cancel")
@dealer
def cancel(order_id: int):
    paid = ordering.paid_for(_customer().id, order_id)
    said = f"订单已取消。{paid_money_words(paid, done=True)}" if paid > 0 else "订单已取消"
    return _on_order(order_id, ordering.cancel, said)


@bp.post("/orders/<int:order_id>/confirm-receipt")
@dealer
def confirm_receipt(order_id: int):
    return _on_order(order_id, ordering.confirm_receipt, "已确认收货，感谢您的订购")


def _on_order(order_id: int, action, done: str):
    """A button on the order page: the dealer's action, said how it went, back to the order."""

    def act():
        action(_customer().id, order_id, f"wechat:{current_user().id}")

    return perform(act, done, url_for("h5.order", order_id=order_id))


@bp.post("/orders/<int:order_id>/reorder")
@dealer
def reorder(order_id: int):
    """再来一单: that order's lines in the cart at today's prices and rules."""
    again = ordering.reorder(current_user().id, _customer(), order_id, low_threshold())
    for skipped in again.skipped:
        flash(f"{skipped['name']} {skipped['reason']}，未加入购物车", "warning")
    flash("已按原订单加入购物车，请确认后提交", "success")
    return redirect(url_for("h5.cart_page"))


# --- account and messages -------------------------------------------------------------------


@bp.get("/account")
@dealer
def account():
    customer = _customer()
    error, statement = None, None
    try:
        period = parse_form(StatementForm(), request.args)
        statement = receivables.account_statement(
            customer.id, period.get("date_from"), period.get("date_to"), local_today()
        )
    except AppError as exc:
        error = exc.message
    return render_template(
        "h5/account.html",
        customer=customer,
        position=receivables.account_position(customer.id),
        awaiting=ordering.awaiting_review(customer.id),
        service_phone=current_app.config["SERVICE_PHONE"],
        statement=statement,
        error=error,
        args=request.args,
        kinds=ENTRY_LABELS,
    ), 422 if error else 200


@bp.post("/account/unbind")
@dealer
def unbind():
    """解除绑定: this WeChat user stops being the customer's dealer (a shared or handed-over
    phone); binding again takes a new invitation."""
    name = _customer().name
    accounts.unbind(current_user().id)
    flash(f"已解除与“{name}”的绑定。如需再次订货，请向客服索取新的邀请码。", "success")
    return redirect(url_for("h5.bind"))


# A rep's inbox holds the news of orders they placed for their customers.
inbox_reader = h5_login("dealer", "rep")


@bp.get("/messages")
@inbox_reader
def messages():
    """The in-app inbox: every message about this dealer's (or rep's) orders, newest first."""
    page = parse_form(OrderListQuery(only=("page",)), request.args)["page"]
    items, total, unread = inbox.messages(_owner(), False, page, PER_PAGE)
    return render_template(
        "h5/messages.html",
        layout="h5/_rep.html" if current_user().role == "rep" else "h5/_dealer.html",
        items=items,
        unread=unread,
        page=page,
        more=page * PER_PAGE < total,
    )


@bp.get("/messages/<int:message_id>")
@inbox_reader
def message(message_id: int):
    """Opening a message marks it read and shows its order (a rep: that customer's page)."""
    found = inbox.mark_read(_owner(), message_id)
    if found.order_id is None:
        return redirect(url_for("h5.messages"))
    if current_user().role == "rep":
        return redirect(url_for("h5.rep_customer", customer_id=found.order.customer_id))
    return redirect(url_for("h5.order", order_id=found.order_id))


@bp.post("/messages/read-all")
@inbox_reader
def messages_read_all():
    inbox.mark_all_read(_owner())
    return redirect(url_for("h5.messages"))


def _owner() -> inbox.Owner:
    return inbox.Owner.of(current_user())
