"""Stock per warehouse and product; adjustments with a reason."""

from __future__ import annotations

from admin.queries import warehouses_in_scope
from admin.schemas import StockAdjustmentIn, StockOut, StockPageOut, StockQueryIn
from admin.security import BEARER, current_staff, staff_required
from app.api import Blueprint
from app.core import stock
from app.core.models import Stock, Warehouse
from app.errors import Forbidden
from app.validation import paged

bp = Blueprint("admin_stock", __name__, url_prefix="/api/admin/v1", description="库存")


@bp.get("/stock")
@staff_required("stock.view")
@bp.arguments(StockQueryIn, location="query")
@bp.response(200, StockPageOut)
@bp.doc(security=BEARER)
def list_stock(args):
    query = Stock.select().where(Stock.warehouse << warehouses_in_scope(current_staff()))
    if args.get("warehouse_id"):
        query = query.where(Stock.warehouse == args["warehouse_id"])
    if args.get("product_id"):
        query = query.where(Stock.product == args["product_id"])
    total = query.count()
    items = query.order_by(Stock.warehouse, Stock.product).paginate(args["page"], args["per_page"])
    return paged(items, args["page"], args["per_page"], total)


@bp.post("/stock/adjustments")
@staff_required("stock.manage")
@bp.arguments(StockAdjustmentIn)
@bp.response(201, StockOut)
@bp.doc(security=BEARER)
def adjust(data):
    """Count stock in or out; on-hand never drops below what is reserved."""
    staff = current_staff()
    if not warehouses_in_scope(staff).where(Warehouse.id == data["warehouse_id"]).exists():
        raise Forbidden("无权调整该仓库库存", warehouse_id=data["warehouse_id"])
    return stock.adjust(
        data["warehouse_id"],
        data["product_id"],
        data["qty_delta"],
        data["reason"],
        f"staff:{staff.id}",
    )
