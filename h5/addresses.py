"""Delivery addresses on the phone: the dealer's own address book, and a rep's for each of their
stores. One address book, one set of pages; what differs is whose customer it is and where its
pages live."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, flash, redirect, render_template, request, url_for

from app.errors import AppError
from app.field import visits
from app.mall import addresses, regions
from app.schemas import ADDRESS_LABELS, AddressIn
from app.validation import relax
from h5.blueprint import bp
from h5.forms import parse_form
from h5.session import current_user, h5_login, safe_next

dealer = h5_login("dealer")
rep = h5_login("rep")


@dataclass(frozen=True)
class Book:
    """Whose address book a page shows, and the endpoints of its pages."""

    customer_id: int
    title: str
    layout: str
    prefix: str  # "h5.address" (the dealer's) or "h5.rep_address" (a store's, for its rep)
    args: dict

    def url(self, page: str, **kwargs) -> str:
        return url_for(f"{self.prefix}_{page}", **self.args, **kwargs)


def _dealer_book() -> Book:
    return Book(current_user().customer_id, "收货地址", "h5/_dealer.html", "h5.address", {})


def _rep_book(customer_id: int) -> Book:
    customer = visits.own_customer(current_user().staff, customer_id)
    return Book(
        customer.id,
        f"{customer.name} 的收货地址",
        "h5/_rep.html",
        "h5.rep_address",
        {"customer_id": customer.id},
    )


def _next() -> str:
    """The page that sent the dealer here (the cart), to go back to; only our own pages."""
    target = request.values.get("next")
    return safe_next(target) if target else ""


def _back(book: Book) -> str:
    return _next() or book.url("list")


def _list(book: Book):
    return render_template(
        "h5/addresses.html",
        book=book,
        items=addresses.addresses_of(book.customer_id),
        next=_next(),
    )


def _form(book: Book, address=None, typed=None, error=None):
    values = typed if typed is not None else _values(address)
    return render_template(
        "h5/address_form.html",
        book=book,
        address=address,
        values=values,
        provinces=regions.regions(),
        error=error,
        next=_next(),
    ), 422 if error else 200


def _values(address) -> dict:
    if address is None:
        return {"is_default": False}
    return {k: getattr(address, k) for k in (*addresses.FIELDS, "is_default")}


def _save(book: Book, address_id: int | None):
    """Create or change an address from the form; a mistake keeps what was typed."""
    typed = request.form.to_dict()
    typed["is_default"] = "default" in request.form
    try:
        # The schema is the API's: the page's names for its fields are ADDRESS_LABELS.
        data = parse_form(relax(AddressIn()), request.form, ADDRESS_LABELS)
        if address_id is None:
            addresses.add(book.customer_id, data)
        else:
            addresses.update(book.customer_id, address_id, data)
    except AppError as exc:
        if exc.status == 404:
            raise
        found = addresses.address_of(book.customer_id, address_id) if address_id else None
        return _form(book, found, typed, exc.message)
    flash("收货地址已保存", "success")
    return redirect(_back(book))


def _delete(book: Book, address_id: int):
    removed = addresses.delete(book.customer_id, address_id)
    flash(f"已删除收货地址：{removed.place_text()}", "success")
    return redirect(book.url("list"))


def _make_default(book: Book, address_id: int):
    addresses.update(book.customer_id, address_id, {"is_default": True})
    flash("已设为默认收货地址", "success")
    return redirect(_back(book))


def _pages(name: str, rule: str, login, book: Callable[..., Book]) -> None:
    """The address book's pages under `rule`, for the users `login` lets in; `book` gives the
    address book from the rule's arguments."""

    def page(suffix: str, path: str, method: str, handler) -> None:
        def view(address_id: int | None = None, **kwargs):
            return handler(book(**kwargs), address_id)

        endpoint = f"{name}_{suffix}"
        view.__name__ = endpoint
        bp.add_url_rule(f"{rule}{path}", endpoint, login(view), methods=[method])

    page("list", "", "GET", lambda b, _: _list(b))
    page("new", "/new", "GET", lambda b, _: _form(b))
    page("create", "", "POST", lambda b, _: _save(b, None))
    page(
        "edit",
        "/<int:address_id>",
        "GET",
        lambda b, a: _form(b, addresses.address_of(b.customer_id, a)),
    )
    page("update", "/<int:address_id>", "POST", _save)
    page("delete", "/<int:address_id>/delete", "POST", _delete)
    page("default", "/<int:address_id>/default", "POST", _make_default)


# The dealer's own address book, and each store's for its rep.
_pages("address", "/addresses", dealer, _dealer_book)
_pages("rep_address", "/rep/customers/<int:customer_id>/addresses", rep, _rep_book)


@bp.get("/regions.json")
def region_data():
    """省/市/区 for the address pickers: the same for everyone, cached by the phone for a day."""
    # The file as vendored, not jsonify (which sorts keys): provinces in the official order.
    return Response(
        regions.DATA.read_bytes(),
        mimetype="application/json",
        headers={"Cache-Control": "public, max-age=86400"},
    )
