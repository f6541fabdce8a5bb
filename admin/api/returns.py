"""Returns for staff: the queue in scope, one return, approve, reject, receive into the warehouse."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from admin.security import current_staff, staff_required
from app.api import Blueprint
from app.backoffice import returns
from app.mall.returns import with_details
from app.schemas import ReturnOut, ReturnPageOut, ReturnQueryIn
from app.validation import id_qty_line, lines_of, page_of_query

bp = Blueprint("admin_returns", __name__, url_prefix="/api/admin/v1", description="退货")


class ReturnApproveIn(Schema):
    comment = fields.String(load_default="", validate=validate.Length(max=500))


class ReturnRejectIn(Schema):
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=500, error="请填写驳回原因")
    )


class ReceiveIn(Schema):
    lines = lines_of(id_qty_line("ReceiveLineIn", "return_line_id"), "入库")


@bp.get("/returns")
@staff_required("orders.view")
@bp.arguments(ReturnQueryIn, location="query")
@bp.response(200, ReturnPageOut)
def list_returns(args):
    """Returns in the caller's scope: pending first, then newest."""
    return page_of_query(
        returns.returns_query(current_staff(), args.get("status")), args, with_details
    )


@bp.get("/returns/<id:return_id>")
@staff_required("orders.view")
@bp.response(200, ReturnOut)
def get_return(return_id):
    return returns.return_in_scope(current_staff(), return_id)


@bp.post("/returns/<id:return_id>/approve")
@staff_required("orders.approve")
@bp.arguments(ReturnApproveIn)
@bp.response(200, ReturnOut)
def approve_return(data, return_id):
    """Customer service reviews; an approval rule may add steps signed in order by its roles."""
    return returns.approve(current_staff(), return_id, data["comment"])


@bp.post("/returns/<id:return_id>/reject")
@staff_required("orders.approve")
@bp.arguments(ReturnRejectIn)
@bp.response(200, ReturnOut)
def reject_return(data, return_id):
    return returns.reject(current_staff(), return_id, data["reason"])


@bp.post("/returns/<id:return_id>/receive")
@staff_required("orders.ship")
@bp.arguments(ReceiveIn)
@bp.response(200, ReturnOut)
def receive_return(data, return_id):
    """Goods back on hand in the order's warehouse; the receivable (or prepaid balance) credited
    at the order's prices. Receiving more than was approved is invalid_state 409."""
    return returns.receive(current_staff(), return_id, data["lines"])
