"""Stock per warehouse and product; adjustments with a reason."""

from __future__ import annotations

from admin.api.blueprint import StaffBlueprint
from admin.schemas import StockAdjustmentIn, StockOut, StockPageOut, StockQueryIn
from admin.security import current_staff
from app.backoffice import catalog
from app.inventory import queries

bp = StaffBlueprint("admin_stock", __name__, "库存")


@bp.listing("/stock", "stock.view", StockQueryIn, StockPageOut, queries.with_in_transit_out)
def list_stock(args):
    """Stock rows in the caller's warehouses: on hand, reserved, available, the moving-average
    `unit_cost`, `value`, `in_transit` (on its way here) and `in_transit_out` (sent from here,
    not yet arrived)."""
    return catalog.stock_query(current_staff(), args)


@bp.post("/stock/adjustments")
@bp.staff("stock.manage", body=StockAdjustmentIn, status=201, out=StockOut)
def adjust(data):
    """Count stock in or out; on-hand never drops below what is reserved."""
    return catalog.adjust_stock(
        current_staff(), data["warehouse_id"], data["product_id"], data["qty_delta"], data["reason"]
    )
