"""Returns as the dealer sees them: ask for one on a shipped order (with up to 3 photos), list and
read their own; every read and write is the dealer's customer's (invariant 6)."""

from __future__ import annotations

from peewee import prefetch

from app.adapters.storage import LocalStorage, checked_image
from app.core import returns
from app.core.models import Product, ReturnEvent, ReturnLine, ReturnPhoto, ReturnRequest
from app.db import transaction
from app.errors import NotFound, ValidationFailed

MAX_PHOTOS = 3


def with_details(query) -> list[ReturnRequest]:
    """Returns with their lines (and products), events and photos, in a fixed number of queries."""
    return prefetch(
        query,
        ReturnLine.select(ReturnLine, Product).join(Product).order_by(ReturnLine.id),
        ReturnEvent.select().order_by(ReturnEvent.id),
        ReturnPhoto.select().order_by(ReturnPhoto.id),
    )


def customer_returns(customer_id: int, page: int, per_page: int, order_id: int | None = None):
    query = ReturnRequest.select().where(ReturnRequest.customer == customer_id)
    if order_id is not None:
        query = query.where(ReturnRequest.order == order_id)
    total = query.count()
    page_query = query.order_by(ReturnRequest.id.desc()).paginate(page, per_page)
    return with_details(page_query), total


def customer_return(customer_id: int, return_id: int) -> ReturnRequest:
    """Raises: NotFound, also for another customer's return."""
    found = with_details(
        ReturnRequest.select().where(
            (ReturnRequest.id == return_id) & (ReturnRequest.customer == customer_id)
        )
    )
    if not found:
        raise NotFound("退货单不存在", return_id=return_id)
    return found[0]


def request(customer_id: int, order_id: int, lines: list[dict], reason: str, actor: str):
    """Lines of a shipped order ({order_line_id, qty}) back, with a reason. Raises: NotFound,
    InvalidState (not shipped, or more than can still be returned), ValidationFailed."""
    created = returns.request_return(
        customer_id, order_id, [(ln["order_line_id"], ln["qty"]) for ln in lines], reason, actor
    )
    return customer_return(customer_id, created.id)


def add_photo(
    customer_id: int, return_id: int, data: bytes, storage: LocalStorage, max_bytes: int
) -> ReturnPhoto:
    """A photo of the goods (up to 3 a return). Raises: NotFound, ValidationFailed."""
    found = ReturnRequest.get_or_none(
        (ReturnRequest.id == return_id) & (ReturnRequest.customer == customer_id)
    )
    if found is None:
        raise NotFound("退货单不存在", return_id=return_id)
    extension, content_type = checked_image(data, max_bytes)
    with transaction():
        # Take the return's row first (a write that waits for any other upload's transaction):
        # counting and adding are then one step, and racing uploads cannot pass the limit.
        ReturnRequest.update(id=ReturnRequest.id).where(ReturnRequest.id == found.id).execute()
        if ReturnPhoto.select().where(ReturnPhoto.request == found.id).count() >= MAX_PHOTOS:
            raise ValidationFailed(f"每个退货单最多 {MAX_PHOTOS} 张照片", file=["照片已满"])
        key = storage.save(data, "returns", extension)
        return ReturnPhoto.create(
            request=found.id, storage_key=key, content_type=content_type, size=len(data)
        )


def photo(customer_id: int, return_id: int, photo_id: int, storage: LocalStorage):
    """One photo of this customer's return, to show the dealer what they sent: (bytes, type).
    Raises: NotFound, also for another customer's photo or a file that is gone."""
    found = (
        ReturnPhoto.select()
        .join(ReturnRequest)
        .where(
            (ReturnPhoto.id == photo_id)
            & (ReturnPhoto.request == return_id)
            & (ReturnRequest.customer == customer_id)
        )
        .first()
    )
    if found is None:
        raise NotFound("照片不存在", photo_id=photo_id)
    try:
        return storage.read(found.storage_key), found.content_type
    except (OSError, ValueError):
        raise NotFound("照片文件已丢失", photo_id=photo_id) from None
