"""Online shops (网店管理): shops, SKU mapping, downloading orders, the shop-order workbench
(merge, split, waybills, labels, ship) and stock sync."""

from __future__ import annotations

from flask import Response
from marshmallow import Schema, fields, validate

from admin.api.blueprint import StaffBlueprint
from admin.security import current_staff
from app.shops import labels, orders, queries, shops
from app.shops.queries import ShopOrderOut, ShopOut
from app.shops.rules import CARRIERS, PLATFORMS, STATUS_LABELS
from app.validation import PageIn, id_field, page_of, qty_field

bp = StaffBlueprint("admin_shops", __name__, "网店管理")


def _text(max_length: int, **kwargs):
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class ShopIn(Schema):
    name = _text(100, required=True)
    platform = fields.String(required=True, validate=validate.OneOf(list(PLATFORMS)))
    app_key = _text(64, required=True)
    app_secret = _text(128, required=True)
    access_token = _text(255, required=True)
    warehouse_id = id_field(required=True)
    stock_share_pct = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=100, error="须在 0 到 100 之间")
    )
    safety_stock = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=9999999, error="不能为负数")
    )
    active = fields.Boolean()


class ShopPatchIn(Schema):
    name = _text(100)
    app_secret = _text(128)
    access_token = _text(255)
    warehouse_id = id_field()
    stock_share_pct = ShopIn._declared_fields["stock_share_pct"]
    safety_stock = ShopIn._declared_fields["safety_stock"]
    active = fields.Boolean()


class SyncOut(Schema):
    fetched = fields.Integer()
    new = fields.Integer()
    updated = fields.Integer()


class SkuMapItemIn(Schema):
    platform_sku = _text(64, required=True)
    product_id = id_field(required=True)
    qty = qty_field(load_default=1)


class SkuMapIn(Schema):
    items = fields.List(
        fields.Nested(SkuMapItemIn),
        required=True,
        validate=validate.Length(max=5000, error="一次最多 5000 项"),
    )


class SkuMapItemOut(Schema):
    platform_sku = fields.String()
    product_id = fields.Integer()
    sku = fields.Function(lambda m: m.product.sku)
    name = fields.Function(lambda m: m.product.name)
    qty = fields.Integer()
    auto = fields.Boolean()


class UnmappedOut(Schema):
    platform_sku = fields.String()
    orders = fields.Integer()


class SkuMapOut(Schema):
    items = fields.List(fields.Nested(SkuMapItemOut))
    unmapped = fields.List(fields.Nested(UnmappedOut))


class ShopOrderQueryIn(PageIn):
    status = fields.String(validate=validate.OneOf(list(STATUS_LABELS)))
    shop_id = id_field(strict=False)
    q = fields.String(validate=validate.Length(max=64))


class IdsIn(Schema):
    ids = fields.List(
        id_field(),
        required=True,
        validate=validate.Length(min=1, max=500, error="一次 1 到 500 个订单"),
    )


class WaybillsIn(IdsIn):
    carrier = fields.String(required=True, validate=validate.OneOf(list(CARRIERS)))


class SplitLineIn(Schema):
    line_id = id_field(required=True)
    qty = qty_field(required=True)


class SplitIn(Schema):
    lines = fields.List(
        fields.Nested(SplitLineIn),
        required=True,
        validate=validate.Length(min=1, max=200, error="拆分行数须在 1 到 200 之间"),
    )


class SplitOut(Schema):
    kept = fields.Nested(ShopOrderOut)
    split = fields.Nested(ShopOrderOut)


class _ShopOrderResultOut(Schema):
    """What became of one shop order in a batch, by its id."""

    id = fields.Integer()


class WaybillItemOut(_ShopOrderResultOut):
    tracking_no = fields.String()


class FailedOut(_ShopOrderResultOut):
    error = fields.String()


class _BatchOut(Schema):
    """A batch over shop orders: those it could not do, each with the reason."""

    failed = fields.List(fields.Nested(FailedOut))


class WaybillsOut(_BatchOut):
    items = fields.List(fields.Nested(WaybillItemOut))


class ShipOut(_BatchOut):
    shipped = fields.List(fields.Integer())


class PushedOut(Schema):
    pushed = fields.Integer()


class MessageOut(Schema):
    message = fields.String()


class LabelsQueryIn(Schema):
    ids = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{1,10}(,\d{1,10}){0,499}$", error="须为逗号分隔的订单编号"),
    )


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
@bp.staff("shops.manage", body=SkuMapIn, out=SkuMapOut)
def put_sku_map(data, shop_id):
    return _sku_map(shop_id, shops.set_sku_map(current_staff(), shop_id, data["items"]))


@bp.listing(
    "/shop-orders", "shops.view", ShopOrderQueryIn, page_of(ShopOrderOut), queries.with_details
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
@bp.staff("shops.view", out=ShopOrderOut)
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
