"""Stock per warehouse and product; adjustments with a reason."""

from __future__ import annotations

from admin.schemas import StockAdjustmentIn, StockOut, StockPageOut, StockQueryIn
from admin.security import current_staff, staff_required
from app.api import Blueprint
from app.backoffice import catalog
from app.inventory import queries
from app.validation import page_of_query

bp = Blueprint("admin_stock", __name__, url_prefix="/api/admin/v1", description="库存")


@bp.get("/stock")
@staff_required("stock.view")
@bp.arguments(StockQueryIn, location="query")
@bp.response(200, StockPageOut)
def list_stock(args):
    """Stock rows in the caller's warehouses: on hand, reserved, available, the moving-average
    `unit_cost`, `value`, `in_transit` (on its way here) and `in_transit_out` (sent from here,
    not yet arrived)."""
    query = catalog.stock_query(current_staff(), args)
    return page_of_query(query, args, queries.with_in_transit_out)


@bp.post("/stock/adjustments")
@staff_required("stock.manage")
@bp.arguments(StockAdjustmentIn)
@bp.response(201, StockOut)
def adjust(data):
    """Count stock in or out; on-hand never drops below what is reserved."""
    return catalog.adjust_stock(
        current_staff(), data["warehouse_id"], data["product_id"], data["qty_delta"], data["reason"]
    )
