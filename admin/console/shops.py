"""网店管理 in the console: shops (authorise, test the connection, download now, push stock now,
share and safety stock) with their stock-sync status, the SKU mapping with unmapped SKUs, the
order workbench (打单发货: filter by shop and status, search by tracking number, select many for
merge, waybills, labels and ship, batches with a progress bar), the exceptions queue, and one
order with its split form."""

from __future__ import annotations

from flask import Response, g, jsonify, render_template, request
from marshmallow import Schema, fields, validate

from admin.api.shops import ShopIn, ShopPatchIn
from admin.console.blueprint import bp
from admin.console.forms import console_page, describe, form_post, list_page, load_form, load_query
from admin.console.session import console_login
from app.backoffice import choices
from app.errors import AppError, NotFound, ValidationFailed
from app.shops import labels, orders, queries, shops
from app.shops.rules import CARRIERS, PLATFORMS, STATUS_LABELS
from app.validation import PageIn, whole_number

PER_PAGE = 50


class WorkbenchQuery(PageIn):
    status = fields.String(validate=validate.OneOf(list(STATUS_LABELS)))
    shop_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    q = fields.String(validate=validate.Length(max=64))


class MappingForm(Schema):
    platform_sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    qty = fields.Integer(load_default=1, validate=validate.Range(min=1, max=99999))


class UnmapForm(Schema):
    platform_sku = fields.String(required=True, validate=validate.Length(min=1, max=64))


def _ids(text: str) -> list[int]:
    ids = [whole_number(part, low=1, what="订单编号") for part in text.split(",") if part.strip()]
    if not ids:
        raise ValidationFailed("请先勾选订单")
    return ids


@console_page("/shops", "shops.view")
def shops_page():
    found = list(shops.shops_query(g.staff))
    return render_template(
        "console/shops.html",
        shops=found,
        status=queries.sync_status([s.id for s in found]),
        platforms=PLATFORMS,
        warehouses=choices.warehouse_options(with_code=False),
    )


@form_post("/shops", "shops.manage", "已授权", "console.shops_page")
def shop_create():
    shop = shops.create_shop(g.staff, load_form(ShopIn, request.form))
    return f"店铺“{shop.name}”已授权，订单将自动下载"


@form_post("/shops/<int:shop_id>", "shops.manage", "已保存", "console.shops_page")
def shop_update(shop_id: int):
    data = load_form(ShopPatchIn, request.form)
    data["active"] = request.form.get("active") == "on"
    shop = shops.update_shop(g.staff, shop_id, data)
    return f"店铺“{shop.name}”已保存"


@form_post("/shops/<int:shop_id>/test", "shops.manage", "连接正常", "console.shops_page")
def shop_test(shop_id: int):
    return shops.test_connection(g.staff, shop_id)


@form_post("/shops/<int:shop_id>/sync", "shops.work", "已下载", "console.shops_page")
def shop_sync(shop_id: int):
    done = shops.sync_now(g.staff, shop_id)
    return f"已下载：共 {done.fetched} 单，新订单 {done.new} 单，状态变化 {done.updated} 单"


@form_post("/shops/<int:shop_id>/stock-sync", "shops.work", "已排队", "console.shops_page")
def shop_push(shop_id: int):
    return f"已排队推送 {shops.push_now(g.staff, shop_id)} 个 SKU 的库存"


@console_page("/shops/<int:shop_id>/skus", "shops.view")
def shop_skus(shop_id: int):
    shop = shops.shop_in_scope(g.staff, shop_id)
    return render_template(
        "console/shop_skus.html",
        shop=shop,
        mapping=list(shops.sku_map(g.staff, shop_id)),
        unmapped=shops.unmapped_skus(g.staff, shop_id),
        products=choices.products_for_picking(),
        platforms=PLATFORMS,
    )


@form_post("/shops/<int:shop_id>/skus", "shops.map", "已保存", "console.shop_skus")
def shop_sku_add(shop_id: int):
    form = load_form(MappingForm, request.form)
    mapped = shops.map_sku(g.staff, shop_id, form["platform_sku"], form["sku"], form["qty"])
    return f"平台 SKU {mapped.platform_sku} 已对应到 {mapped.product.name}"


@form_post("/shops/<int:shop_id>/skus/remove", "shops.map", "已取消", "console.shop_skus")
def shop_sku_remove(shop_id: int):
    form = load_form(UnmapForm, request.form)
    gone = shops.unmap_sku(g.staff, shop_id, form["platform_sku"])
    return f"已取消平台 SKU {gone.platform_sku} 与 {gone.product.name} 的对应"


@console_page("/shop-orders", "shop_orders.view")
def shop_orders():
    args = load_query(WorkbenchQuery, request.args)
    return list_page(
        "console/shop_orders.html",
        queries.search(g.staff, args.get("status"), args.get("shop_id"), args.get("q")),
        args["page"],
        PER_PAGE,
        rows=queries.with_details,
        args=args,
        shop_choices=shops.shop_names(g.staff),
        pager_args={k: v for k, v in args.items() if k in ("status", "shop_id", "q")},
        statuses=STATUS_LABELS,
        carriers=CARRIERS,
        platforms=PLATFORMS,
    )


@console_page("/shop-orders/<int:order_id>", "shop_orders.view")
def shop_order(order_id: int):
    return render_template(
        "console/shop_order.html",
        o=(order := queries.order_detail(g.staff, order_id)),
        troubles=queries.write_back_troubles(order),
        statuses=STATUS_LABELS,
        carriers=CARRIERS,
        platforms=PLATFORMS,
    )


@form_post("/shop-orders/<int:order_id>/split", "shops.work", "已拆分", "console.shop_order")
def shop_order_split(order_id: int):
    # A line's field is "split-<line id>": the id, like the quantity, read as ASCII digits
    # within the column's range ("split-²" is a digit to str.isdigit(), not to int()).
    lines = [
        {
            "line_id": whole_number(key.removeprefix("split-"), low=1, what="拆分明细"),
            "qty": whole_number(value, low=1, what="拆分数量"),
        }
        for key, value in request.form.items()
        if key.startswith("split-") and value.strip() not in ("", "0")
    ]
    if not lines:
        raise ValidationFailed("请填写要拆出的数量")
    kept, moved = orders.split(g.staff, order_id, lines)
    return f"已拆分：{kept.number}（{STATUS_LABELS[kept.status]}）与 {moved.number}（{STATUS_LABELS[moved.status]}）"


@form_post("/shop-orders/merge", "shops.work", "已合并", "console.shop_orders")
def shop_orders_merge():
    merged = orders.merge(g.staff, _ids(request.form.get("ids", "")))
    return f"已合并为 {merged.number}"


@bp.post("/shop-orders/batch/<kind>")
@console_login("shops.work")
def shop_orders_batch(kind: str):
    """One chunk of a batch the page sends (waybills or ship): JSON for its progress bar."""
    try:
        ids = _ids(request.form.get("ids", ""))
        if kind == "waybills":
            done = orders.waybills(g.staff, ids, request.form.get("carrier", ""))
            ok = [item["id"] for item in done["items"]]
        elif kind == "ship":
            done = orders.ship(g.staff, ids)
            ok = done["shipped"]
        else:
            raise NotFound("没有这种批量操作")
    except AppError as exc:
        return jsonify({"ok": [], "failed": [{"id": None, "error": describe(exc)}]}), exc.status
    numbers = queries.order_numbers(g.staff, ids)
    failed = [
        {"id": f["id"], "number": numbers.get(f["id"], ""), "error": f["error"]}
        for f in done["failed"]
    ]
    return jsonify({"ok": ok, "failed": failed})


@console_page("/shop-orders/labels.pdf", "shops.work")
def shop_orders_labels():
    pdf = labels.labels_pdf(g.staff, _ids(request.args.get("ids", "")))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": "inline; filename=labels.pdf"},
    )
