"""The integration surface: webhooks, API keys, and the ERP's bulk sync (stock counts, level
prices, customers) — each bulk request all rows or none, with errors per row."""

from __future__ import annotations

from admin.schemas import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyListOut,
    ApiKeyOut,
    BulkOut,
    CustomersBulkIn,
    PricesIn,
    StockLevelsIn,
    StockLevelsOut,
    WebhookCreatedOut,
    WebhookDeliveryOut,
    WebhookDeliveryPageOut,
    WebhookIn,
    WebhookListOut,
)
from admin.security import current_staff, staff_required
from app.api import Blueprint
from app.backoffice import erp
from app.integrations import keys, webhooks
from app.validation import PageIn, page_of_query

bp = Blueprint("admin_integrations", __name__, url_prefix="/api/admin/v1", description="对接 ERP")


@bp.post("/webhooks")
@staff_required("integrations.manage")
@bp.arguments(WebhookIn)
@bp.response(201, WebhookCreatedOut)
def create_webhook(data):
    """Register an endpoint for events; the answer carries its signing secret, shown once."""
    return webhooks.register(current_staff(), data["url"], data["events"], data["active"])


@bp.get("/webhooks")
@staff_required("integrations.manage")
@bp.response(200, WebhookListOut)
def list_webhooks():
    return {"items": list(webhooks.endpoints(current_staff()))}


@bp.get("/webhooks/<id:webhook_id>/deliveries")
@staff_required("integrations.manage")
@bp.arguments(PageIn, location="query")
@bp.response(200, WebhookDeliveryPageOut)
def list_deliveries(args, webhook_id):
    """The delivery log: status, attempts, the receiver's response code and the time taken."""
    return page_of_query(webhooks.deliveries(current_staff(), webhook_id), args)


@bp.post("/webhooks/<id:webhook_id>/deliveries/<id:delivery_id>/redeliver")
@staff_required("integrations.manage")
@bp.response(200, WebhookDeliveryOut)
def redeliver(webhook_id, delivery_id):
    return webhooks.redeliver(current_staff(), webhook_id, delivery_id)


@bp.post("/api-keys")
@staff_required("integrations.manage")
@bp.arguments(ApiKeyIn)
@bp.response(201, ApiKeyCreatedOut)
def create_api_key(data):
    """A key with scopes and a data scope; the answer carries the key itself, shown once."""
    row, key = keys.create_key(
        current_staff(), data["name"], data["scopes"], data["data_scope"], data["branch_id"]
    )
    row.key = key
    return row


@bp.get("/api-keys")
@staff_required("integrations.manage")
@bp.response(200, ApiKeyListOut)
def list_api_keys():
    return {"items": list(keys.keys_of(current_staff()))}


@bp.delete("/api-keys/<id:key_id>")
@staff_required("integrations.manage")
@bp.response(200, ApiKeyOut)
def revoke_api_key(key_id):
    """Revoked at once: the key answers 401 from now on."""
    return keys.revoke(current_staff(), key_id)


@bp.put("/stock/levels")
@staff_required("stock.manage")
@bp.arguments(StockLevelsIn)
@bp.response(200, StockLevelsOut)
def put_stock_levels(data):
    """Absolute on-hand counts by SKU from an ERP count; each change an adjustment; a count below
    what is reserved refuses the whole request (errors per row)."""
    rows = erp.set_stock_levels(
        current_staff(), data["warehouse_id"], data["items"], data["reason"]
    )
    return {"items": rows}


@bp.put("/products/prices")
@staff_required("catalog.manage")
@bp.arguments(PricesIn)
@bp.response(200, BulkOut)
def put_prices(data):
    """List price and level prices ("1".."10") by SKU, all rows or none."""
    return {"count": len(erp.set_prices(current_staff(), data["items"]))}


@bp.put("/customers/by-code")
@staff_required("customers.manage")
@bp.arguments(CustomersBulkIn)
@bp.response(200, BulkOut)
def put_customers(data):
    """Customers by code: new codes created, known ones updated, all rows or none."""
    return {"count": len(erp.upsert_customers(current_staff(), data["items"]))}
