"""有赞云 stand-in: POST /api/{method}/{version}?access_token=…, JSON bodies, `gw_err_resp` for
gateway refusals (a bad token), `success`/`code`/`message` for business ones, update-time
windows of at most a year, page numbers with `total_results`."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from devkit.sandbox.shops import ShopsStore, address_id, gmt8_seconds, gmt8_text, mask_receiver

MAX_WINDOW = 366 * 86400
# The express ids the stand-in knows (youzan.logistics.express.get).
COMPANIES = {7, 2, 3, 4, 1, 138, 11}


def _gateway_error(code: int, msg: str):
    return jsonify({"gw_err_resp": {"err_code": code, "err_msg": msg}})


def _error(code: int, message: str):
    return jsonify({"success": False, "code": code, "message": message, "data": None})


def _ok(data):
    return jsonify({"success": True, "code": 200, "message": "successful", "data": data})


def _full(order: dict) -> dict:
    receiver = mask_receiver(order["receiver"])
    status = {"paid": "WAIT_SELLER_SEND_GOODS", "shipped": "WAIT_BUYER_CONFIRM_GOODS"}
    return {
        "full_order_info": {
            "order_info": {
                "tid": order["id"],
                "status": status.get(order["status"], "TRADE_CLOSED"),
                "pay_time": gmt8_text(order["paid"]),
                "update_time": gmt8_text(order["modified"]),
            },
            "buyer_info": {"yz_open_id": order["buyer"]},
            "address_info": {
                "receiver_name": receiver.get("name", ""),
                "receiver_tel": receiver.get("phone", ""),
                "delivery_province": receiver.get("province", ""),
                "delivery_city": receiver.get("city", ""),
                "delivery_district": receiver.get("district", ""),
                "delivery_address": receiver.get("address", ""),
                "open_address_id": address_id(order["receiver"]),
            },
            "orders": [
                {
                    "item_id": int(ln["item_id"]),
                    "sku_id": int(ln["sku_id"]),
                    "outer_sku_id": ln["sku"],
                    "num": ln["qty"],
                    "price": ln["price"],
                }
                for ln in order["lines"]
            ],
            "pay_info": {"payment": order["total"]},
        }
    }


def blueprint(store: ShopsStore) -> Blueprint:
    bp = Blueprint("sandbox_youzan", __name__)

    @bp.post("/api/<method>/<version>")
    def call(method, version):
        token = request.args.get("access_token", "")
        if not token:
            return _gateway_error(4203, "access_token不存在或已过期")
        # 有赞 knows which shop a token belongs to; the sandbox reads it from the app's client_id.
        app_key = request.args.get("client_id") or token
        if store.is_down("youzan", app_key):
            return "service unavailable", 503
        handler = HANDLERS.get(method)
        if handler is None:
            return _gateway_error(4001, "api不存在")
        return handler(store, app_key, request.get_json(silent=True) or {})

    return bp


def _sold(store, app_key, params):
    try:
        start, end = gmt8_seconds(params["start_update"]), gmt8_seconds(params["end_update"])
    except (KeyError, ValueError):
        return _error(141500101, "start_update 和 end_update 必填")
    if end - start > MAX_WINDOW or end < start:
        return _error(141500102, "查询时间跨度不能超过一年")
    page, size = int(params.get("page_no", 1)), min(int(params.get("page_size", 20)), 100)
    found = store.changed_between("youzan", app_key, start, end)
    chunk = found[(page - 1) * size : page * size]
    return _ok({"total_results": len(found), "full_order_info_list": [_full(o) for o in chunk]})


def _confirm(store, app_key, params):
    if params.get("out_stype") not in COMPANIES:
        return _error(101300002, "快递公司不存在")
    if not store.record_shipment(
        "youzan",
        app_key,
        params.get("tid", ""),
        params.get("out_stype", ""),
        params.get("out_sid", ""),
    ):
        return _error(101300001, "订单状态不允许发货")
    return _ok({"is_success": True})


def _quantity(store, app_key, params):
    """youzan.item.quantity.update: one SKU (sku_id) of the item `item_id`, full quantity."""
    item_id, sku_id, quantity = params.get("item_id"), params.get("sku_id"), params.get("quantity")
    if not item_id or not isinstance(quantity, int):
        return _error(141500101, "item_id 和 quantity 必填")
    wrong = store.set_stocks("youzan", app_key, str(item_id), [(None, str(sku_id), quantity)])
    if wrong:
        return _error(141500201, f"商品 {item_id} 下没有 SKU {wrong[0]}")
    return _ok(True)


def _skus_custom(store, app_key, params):
    outer_id = params.get("outer_id")
    if not outer_id:
        return _error(141500101, "outer_id 必填")
    item_id, sku_id = store.listing("youzan", app_key, str(outer_id))
    return _ok([{"item_id": int(item_id), "sku_id": int(sku_id), "outer_id": outer_id}])


def _shop(store, app_key, params):
    return _ok({"name": f"sandbox-{app_key}"})


HANDLERS = {
    "youzan.trades.sold.get": _sold,
    "youzan.logistics.online.confirm": _confirm,
    "youzan.item.quantity.update": _quantity,
    "youzan.skus.custom.get": _skus_custom,
    "youzan.shop.get": _shop,
}
