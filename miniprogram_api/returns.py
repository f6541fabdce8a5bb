"""Returns (退货) as the dealer asks for and follows them."""

from __future__ import annotations

from app.api import Blueprint
from app.mall import returns
from app.schemas import ReturnOut, ReturnPageOut, ReturnRequestIn
from miniprogram_api.listing import dealer_page, dealer_record
from miniprogram_api.schemas import PhotoOut
from miniprogram_api.security import actor, current_customer, dealer_required
from miniprogram_api.uploads import PHOTO_UPLOAD, uploaded_photo

bp = Blueprint("mp_returns", __name__, url_prefix="/api/mp/v1", description="退货")


@bp.post("/orders/<id:order_id>/returns")
@dealer_required
@bp.arguments(ReturnRequestIn)
@bp.response(201, ReturnOut)
def request_return(data, order_id):
    """Shipped lines back with a reason: at most shipped minus what is already asked for,
    approved or received on each line (else invalid_state 409, as for an order not shipped)."""
    return returns.request(current_customer().id, order_id, data["lines"], data["reason"], actor())


dealer_page(bp, "list_returns", "/returns", ReturnPageOut, returns.customer_returns)


dealer_record(bp, "get_return", "/returns/<id:return_id>", ReturnOut, returns.customer_return)


@bp.post("/returns/<id:return_id>/photos")
@dealer_required
@bp.response(201, PhotoOut)
@bp.doc(**PHOTO_UPLOAD)
def upload_photo(return_id):
    """A photo of the goods (JPEG, PNG or WebP), up to 3 a return."""
    return returns.add_photo(current_customer().id, return_id, *uploaded_photo())
