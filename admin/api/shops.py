"""Online shops (网店管理): shops, SKU mapping, downloading orders, the shop-order workbench
(merge, split, waybills, labels, ship) and stock sync."""

from __future__ import annotations

from flask import Response

from admin.api.blueprint import StaffBlueprint
from admin.schemas import (
    IdsIn,
    LabelsQueryIn,
    MessageOut,
    PushedOut,
    ShipOut,
    ShopIn,
    ShopOrderQueryIn,
    ShopPatchIn,
    SkuMapIn,
    SkuMapOut,
    SplitIn,
    SplitOut,
    SyncOut,
    WaybillsIn,
    WaybillsOut,
)
from admin.security import current_staff
from app.shops import labels, orders, queries, shops
from app.shops.queries import ShopOrderOut, ShopOut
from app.validation import PageIn, page_of

bp = StaffBlueprint("admin_shops", __name__, "网店管理")


def _sku_map(shop_id: int, items) -> dict:
    """The shop's SKU map, `items`, with the platform SKUs its orders carry that none maps."""
    return {"items": items, "unmapped": shops.unmapped_skus(current_staff(), shop_id)}


def _detail(order_id: int):
    return queries.order_detail(current_staff(), order_id)


@bp.post("/shops")
@bp.staff("shops.manage", body=ShopIn, status=201, out=ShopOut)
def create_shop(data):
    """Authorise a shop; its secret and token are never shown again."""
    return shops.create_shop(current_staff(), data)


@bp.listing("/shops", "shops.view", PageIn, page_of(ShopOut))
def list_shops(args):
    return shops.shops_query(current_staff())


@bp.patch("/shops/<id:shop_id>")
@bp.staff("shops.manage", body=ShopPatchIn, out=ShopOut)
def update_shop(data, shop_id):
    return shops.update_shop(current_staff(), shop_id, data)


@bp.post("/shops/<id:shop_id>/test")
@bp.staff("shops.manage", out=MessageOut)
def test_shop(shop_id):
    """One authorised call to the platform: 200 with words, or 409 with the platform's refusal."""
    return {"message": shops.test_connection(current_staff(), shop_id)}


@bp.post("/shops/<id:shop_id>/sync")
@bp.staff("shops.work", out=SyncOut)
def sync_shop(shop_id):
    """Download new and changed orders now; platform_error 409 says what went wrong, in words."""
    return shops.sync_now(current_staff(), shop_id)


@bp.post("/shops/<id:shop_id>/stock-sync")
@bp.staff("shops.work", out=PushedOut)
def push_stock(shop_id):
    return {"pushed": shops.push_now(current_staff(), shop_id)}


@bp.get("/shops/<id:shop_id>/sku-map")
@bp.staff("shops.view", out=SkuMapOut)
def get_sku_map(shop_id):
    return _sku_map(shop_id, shops.sku_map(current_staff(), shop_id))


@bp.put("/shops/<id:shop_id>/sku-map")
@bp.staff("shops.map", body=SkuMapIn, out=SkuMapOut)
def put_sku_map(data, shop_id):
    return _sku_map(shop_id, shops.set_sku_map(current_staff(), shop_id, data["items"]))


@bp.listing(
    "/shop-orders",
    "shop_orders.view",
    ShopOrderQueryIn,
    page_of(ShopOrderOut),
    queries.with_details,
)
def list_shop_orders(args):
    return queries.search(current_staff(), args.get("status"), args.get("shop_id"), args.get("q"))


@bp.get("/shop-orders/labels.pdf")
@bp.staff("shops.work", query=LabelsQueryIn)
def shop_order_labels(args):
    """Printable 100×150 mm labels, one page per order, in the order given."""
    ids = [int(i) for i in args["ids"].split(",")]
    pdf = labels.labels_pdf(current_staff(), ids)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": "inline; filename=labels.pdf"},
    )


@bp.get("/shop-orders/<id:order_id>")
@bp.staff("shop_orders.view", out=ShopOrderOut)
def get_shop_order(order_id):
    orders.order_in_scope(current_staff(), order_id)
    return _detail(order_id)


@bp.post("/shop-orders/merge")
@bp.staff("shops.work", body=IdsIn, out=ShopOrderOut)
def merge_shop_orders(data):
    """Same shop, buyer and receiver; else invalid_state 409."""
    return _detail(orders.merge(current_staff(), data["ids"]).id)


@bp.post("/shop-orders/<id:order_id>/split")
@bp.staff("shops.work", body=SplitIn, out=SplitOut)
def split_shop_order(data, order_id):
    """The lines (or parts) named move to a new order; what is there ships first."""
    kept, moved = orders.split(current_staff(), order_id, data["lines"])
    return {"kept": _detail(kept.id), "split": _detail(moved.id)}


@bp.post("/shop-orders/waybills")
@bp.staff("shops.work", body=WaybillsIn, out=WaybillsOut)
def shop_order_waybills(data):
    return orders.waybills(current_staff(), data["ids"], data["carrier"])


@bp.post("/shop-orders/ship")
@bp.staff("shops.work", body=IdsIn, out=ShipOut)
def ship_shop_orders(data):
    return orders.ship(current_staff(), data["ids"])
