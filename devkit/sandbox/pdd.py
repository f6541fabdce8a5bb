"""拼多多 stand-in: POST /api/router, `type` names the API, 拼多多's upper-case MD5 signature,
UNIX-second timestamps (10 minutes), `error_response` with error_code and error_msg, update-time
windows of at most 24 hours and `has_next` paging."""

from __future__ import annotations

import hashlib

from flask import Blueprint, jsonify, request

from devkit.sandbox.shops import ShopsStore, address_id, is_stale, mask_receiver, secret_of

MAX_WINDOW = 24 * 3600
# The logistics company ids the stand-in knows (pdd.logistics.companies.get).
COMPANIES = {"44", "115", "85", "121", "1", "120", "118"}


def _error(code: int, msg: str, sub_msg: str = ""):
    return jsonify(
        {
            "error_response": {
                "error_code": code,
                "error_msg": msg,
                "sub_code": str(code),
                "sub_msg": sub_msg,
                "request_id": "sandbox",
            }
        }
    )


def _order(order: dict) -> dict:
    receiver = mask_receiver(order["receiver"])
    return {
        "order_sn": order["id"],
        "order_status": {"paid": 1, "shipped": 2}.get(order["status"], 1),
        "refund_status": 4 if order["status"] == "cancelled" else 1,
        "receiver_name": receiver.get("name", ""),
        "receiver_phone": receiver.get("phone", ""),
        "province": receiver.get("province", ""),
        "city": receiver.get("city", ""),
        "town": receiver.get("district", ""),
        "address": receiver.get("address", ""),
        "open_address_id": address_id(order["receiver"]),
        "pay_amount": float(order["total"]),
        "confirm_time": int(order["paid"]),
        "updated_at": int(order["modified"]),
        "item_list": [
            {
                "goods_id": int(ln["item_id"]),
                "sku_id": int(ln["sku_id"]),
                "outer_id": ln["sku"],
                "goods_count": ln["qty"],
                "goods_price": float(ln["price"]),
            }
            for ln in order["lines"]
        ],
    }


def blueprint(store: ShopsStore) -> Blueprint:
    bp = Blueprint("sandbox_pdd", __name__)

    @bp.post("/api/router")
    def router():
        params = {**request.args.to_dict(), **request.form.to_dict()}
        client_id = params.get("client_id", "")
        if not client_id:
            return _error(10001, "client_id不存在")
        if store.is_down("pdd", client_id):
            return "service unavailable", 503
        secret = secret_of(client_id)
        text = "".join(k + v for k, v in sorted(params.items()) if k != "sign")
        expected = hashlib.md5((secret + text + secret).encode()).hexdigest().upper()  # noqa: S324
        if params.get("sign") != expected:
            return _error(10016, "签名错误", "sign check fail")
        if is_stale(params.get("timestamp", ""), int):
            return _error(10003, "timestamp已过期", "时间戳与服务器时间相差超过10分钟")
        if not params.get("access_token"):
            return _error(10019, "access_token已过期", "请重新授权")
        handler = METHODS.get(params.get("type", ""))
        if handler is None:
            return _error(10002, "接口不存在")
        return handler(store, client_id, params)

    return bp


def _increment(store, client_id, params):
    try:
        start, end = int(params["start_updated_at"]), int(params["end_updated_at"])
    except (KeyError, ValueError):
        return _error(10000, "参数错误", "start_updated_at 和 end_updated_at 必填")
    if end - start > MAX_WINDOW or end < start:
        return _error(10000, "参数错误", "开始时间与结束时间间隔不能超过24小时")
    page, size = int(params.get("page", 1)), min(int(params.get("page_size", 100)), 100)
    found = store.changed_between("pdd", client_id, start, end)
    chunk = found[(page - 1) * size : page * size]
    return jsonify(
        {
            "order_sn_increment_get_response": {
                "total_count": len(found),
                "has_next": page * size < len(found),
                "order_sn_list": [_order(o) for o in chunk],
            }
        }
    )


def _online_send(store, client_id, params):
    if params.get("logistics_id") not in COMPANIES:
        return _error(52102, "快递公司不存在", f"logistics_id {params.get('logistics_id')} 无效")
    if not store.record_shipment(
        "pdd",
        client_id,
        params.get("order_sn", ""),
        params.get("logistics_id", ""),
        params.get("tracking_number", ""),
    ):
        return _error(52101, "订单状态不允许发货")
    return jsonify({"logistics_online_send_response": {"is_success": True}})


def _quantity(store, client_id, params):
    """pdd.goods.quantity.update: one SKU (sku_id or outer_id) of the goods `goods_id`."""
    goods_id, quantity = params.get("goods_id", ""), params.get("quantity", "")
    if not goods_id or not quantity.isascii() or not quantity.lstrip("-").isdigit():
        return _error(10000, "参数错误", "goods_id 和 quantity 必填")
    if params.get("update_type", "1") != "1":
        return _error(10000, "参数错误", "沙箱只支持全量更新")
    sku_id = params.get("sku_id") or None
    code = None if sku_id else params.get("outer_id") or None
    if sku_id is None and code is None:
        return _error(10000, "参数错误", "sku_id 和 outer_id 必填一个")
    wrong = store.set_stocks("pdd", client_id, goods_id, [(code, sku_id, int(quantity))])
    if wrong:
        return _error(52301, "商品sku不存在", f"商品 {goods_id} 下没有 {wrong[0]}")
    return jsonify({"goods_quantity_update_response": {"is_success": True}})


def _goods_list(store, client_id, params):
    outer_id = params.get("outer_id", "")
    if not outer_id:
        return _error(10000, "参数错误", "outer_id、is_onsale、goods_name 三选一")
    goods_id, sku_id = store.listing("pdd", client_id, outer_id)
    goods = {
        "goods_id": int(goods_id),
        "is_onsale": 1,
        "sku_list": [{"sku_id": int(sku_id), "outer_id": outer_id, "is_sku_onsale": 1}],
    }
    return jsonify({"goods_list_get_response": {"total_count": 1, "goods_list": [goods]}})


def _mall(store, client_id, params):
    return jsonify({"mall_info_get_response": {"mall_name": f"sandbox-{client_id}"}})


METHODS = {
    "pdd.order.number.list.increment.get": _increment,
    "pdd.logistics.online.send": _online_send,
    "pdd.goods.quantity.update": _quantity,
    "pdd.goods.list.get": _goods_list,
    "pdd.mall.info.get": _mall,
}
