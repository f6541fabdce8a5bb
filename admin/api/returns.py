"""Returns for staff: the queue in scope, one return, approve, reject, receive into the warehouse."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from admin.api.blueprint import StaffBlueprint
from admin.security import current_staff
from app.backoffice import returns
from app.mall.returns import with_details
from app.schemas import ReturnOut, ReturnPageOut, ReturnQueryIn
from app.validation import id_qty_line, lines_of

bp = StaffBlueprint("admin_returns", __name__, "退货")


class ReturnApproveIn(Schema):
    comment = fields.String(load_default="", validate=validate.Length(max=500))


class ReturnRejectIn(Schema):
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=500, error="请填写驳回原因")
    )


class ReceiveIn(Schema):
    lines = lines_of(id_qty_line("ReceiveLineIn", "return_line_id"), "入库")


@bp.listing("/returns", "orders.view", ReturnQueryIn, ReturnPageOut, with_details)
def list_returns(args):
    """Returns in the caller's scope: pending first, then newest."""
    return returns.returns_query(current_staff(), args.get("status"))


bp.detail(
    "get_return", "/returns/<id:return_id>", "orders.view", ReturnOut, returns.return_in_scope
)


bp.sign_or_reject(
    "/returns/<id:return_id>",
    "return",
    ReturnOut,
    returns,
    (ReturnApproveIn, ReturnRejectIn),
    "Customer service reviews; an approval rule may add steps signed in order by its roles.",
)


@bp.post("/returns/<id:return_id>/receive")
@bp.staff("orders.ship", body=ReceiveIn, out=ReturnOut)
def receive_return(data, return_id):
    """Goods back on hand in the order's warehouse; the receivable (or prepaid balance) credited
    at the order's prices. Receiving more than was approved is invalid_state 409."""
    return returns.receive(current_staff(), return_id, data["lines"])
