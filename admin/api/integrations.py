"""The integration surface: webhooks, API keys, and the ERP's bulk sync (stock counts, level
prices, customers) — each bulk request all rows or none, with errors per row."""

from __future__ import annotations

from admin.api.blueprint import StaffBlueprint
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
from admin.security import current_staff
from app.backoffice import erp
from app.integrations import keys, webhooks
from app.validation import PageIn, WholeListIn, page_of_list

bp = StaffBlueprint("admin_integrations", __name__, "对接 ERP")


@bp.post("/webhooks")
@bp.staff("integrations.manage", body=WebhookIn, status=201, out=WebhookCreatedOut)
def create_webhook(data):
    """Register an endpoint for events; the answer carries its signing secret, shown once."""
    return webhooks.register(current_staff(), data["url"], data["events"], data["active"])


@bp.get("/webhooks")
@bp.staff("integrations.manage", query=WholeListIn, out=WebhookListOut)
def list_webhooks(args):
    return page_of_list(webhooks.endpoints(current_staff()), args)


@bp.listing(
    "/webhooks/<id:webhook_id>/deliveries", "integrations.manage", PageIn, WebhookDeliveryPageOut
)
def list_deliveries(args, webhook_id):
    """The delivery log: status, attempts, the receiver's response code and the time taken."""
    return webhooks.deliveries(current_staff(), webhook_id)


@bp.post("/webhooks/<id:webhook_id>/deliveries/<id:delivery_id>/redeliver")
@bp.staff("integrations.manage", out=WebhookDeliveryOut)
def redeliver(webhook_id, delivery_id):
    return webhooks.redeliver(current_staff(), webhook_id, delivery_id)


@bp.post("/api-keys")
@bp.staff("integrations.manage", body=ApiKeyIn, status=201, out=ApiKeyCreatedOut)
def create_api_key(data):
    """A key with scopes and a data scope; the answer carries the key itself, shown once."""
    row, key = keys.create_key(
        current_staff(), data["name"], data["scopes"], data["data_scope"], data["branch_id"]
    )
    row.key = key
    return row


@bp.get("/api-keys")
@bp.staff("integrations.manage", query=WholeListIn, out=ApiKeyListOut)
def list_api_keys(args):
    return page_of_list(keys.keys_of(current_staff()), args)


@bp.delete("/api-keys/<id:key_id>")
@bp.staff("integrations.manage", out=ApiKeyOut)
def revoke_api_key(key_id):
    """Revoked at once: the key answers 401 from now on."""
    return keys.revoke(current_staff(), key_id)


@bp.put("/stock/levels")
@bp.staff("stock.manage", body=StockLevelsIn, out=StockLevelsOut)
def put_stock_levels(data):
    """Absolute on-hand counts by SKU from an ERP count; each change an adjustment; a count below
    what is reserved refuses the whole request (errors per row)."""
    rows = erp.set_stock_levels(
        current_staff(), data["warehouse_id"], data["items"], data["reason"]
    )
    return {"items": rows}


@bp.put("/products/prices")
@bp.staff("catalog.manage", body=PricesIn, out=BulkOut)
def put_prices(data):
    """List price and level prices ("1".."10") by SKU, all rows or none."""
    return {"count": len(erp.set_prices(current_staff(), data["items"]))}


@bp.put("/customers/by-code")
@bp.staff("customers.manage", body=CustomersBulkIn, out=BulkOut)
def put_customers(data):
    """Customers by code: new codes created, known ones updated, all rows or none."""
    return {"count": len(erp.upsert_customers(current_staff(), data["items"]))}
