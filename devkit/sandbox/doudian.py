"""抖店 stand-in: POST /{method with dots as slashes}, the public parameters in the query, the
business ones as a JSON body (`param_json`), 抖店's signature (md5 or hmac-sha256 over
app_key…method…param_json…timestamp…v wrapped in the secret), GMT+8 timestamps (10 minutes),
`code` 10000 for success, pages counted from 0 with `total`."""

from __future__ import annotations

import hashlib
import hmac
import json

from flask import Blueprint, jsonify, request

from devkit.sandbox.shops import (
    ShopsStore,
    address_id,
    gmt8_seconds,
    is_stale,
    mask_receiver,
    secret_of,
)

MAX_WINDOW = 90 * 86400
# The logistics company codes the stand-in knows (logistics.listShopNetsite).
COMPANIES = {"shunfeng", "zhongtong", "yuantong", "yunda", "shentong", "jd", "ems"}
METHOD_PATHS = (
    "order/searchList",
    "order/logisticsAdd",
    "sku/syncStockBatch",
    "sku/detail",
    "shop/getShopCategory",
)


def _error(code: int, msg: str, sub_code: str, sub_msg: str = ""):
    return jsonify({"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg, "data": {}})


def _ok(data: dict):
    return jsonify({"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "data": data})


def _sign(query: dict, params: dict, secret: str) -> str | None:
    # The body as the platform re-serialises it: keys sorted, no spaces, only the JSON line
    # terminators U+2028 and U+2029 escaped.
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    canonical = canonical.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    text = (
        f"{secret}app_key{query.get('app_key', '')}method{query.get('method', '')}"
        f"param_json{canonical}timestamp{query.get('timestamp', '')}v{query.get('v', '')}{secret}"
    ).encode()
    method = query.get("sign_method", "md5")
    if method == "md5":
        return hashlib.md5(text).hexdigest()  # noqa: S324
    if method == "hmac-sha256":
        return hmac.new(secret.encode(), text, hashlib.sha256).hexdigest()
    return None


def _order(order: dict) -> dict:
    receiver = mask_receiver(order["receiver"])
    return {
        "order_id": order["id"],
        "order_status": {"paid": 2, "shipped": 3, "cancelled": 4}[order["status"]],
        "doudian_open_id": order["buyer"],
        "post_receiver": receiver.get("name", ""),
        "post_tel": receiver.get("phone", ""),
        "open_address_id": address_id(order["receiver"]),
        "post_addr": {
            "province": {"name": receiver.get("province", "")},
            "city": {"name": receiver.get("city", "")},
            "town": {"name": receiver.get("district", "")},
            "detail": receiver.get("address", ""),
        },
        "pay_amount": round(float(order["total"]) * 100),
        "pay_time": int(order["paid"]),
        "update_time": int(order["modified"]),
        "sku_order_list": [
            {
                "product_id": ln["item_id"],
                "sku_id": int(ln["sku_id"]),
                "code": ln["sku"],
                "item_num": ln["qty"],
                "goods_price": round(float(ln["price"]) * 100),
            }
            for ln in order["lines"]
        ],
    }


def blueprint(store: ShopsStore) -> Blueprint:
    bp = Blueprint("sandbox_doudian", __name__)

    def call(path: str):
        query = request.args.to_dict()
        app_key = query.get("app_key", "")
        if not app_key:
            return _error(30001, "app_key不存在", "isv.app-key-not-exist")
        if store.is_down("doudian", app_key):
            return "service unavailable", 503
        if query.get("method", "").replace(".", "/") != path:
            return _error(30002, "method与路径不符", "isv.method-mismatch")
        try:  # parsed once: the signature is over it, and the handler reads it
            params = json.loads(request.get_data(as_text=True) or "{}")
        except ValueError:
            params = None
        if params is None or query.get("sign") != _sign(query, params, secret_of(app_key)):
            return _error(30002, "签名校验失败", "isv.sign-invalid", "sign不正确")
        if is_stale(query.get("timestamp", ""), gmt8_seconds):
            return _error(
                30002, "timestamp已过期", "isv.timestamp-expired", "与服务器时间相差超过10分钟"
            )
        if not query.get("access_token"):
            return _error(30005, "access_token不存在", "isv.access-token-no-exist")
        return HANDLERS[path](store, app_key, params)

    for path in METHOD_PATHS:
        bp.add_url_rule(
            f"/{path}",
            f"call_{path.replace('/', '_')}",
            call,
            methods=["POST"],
            defaults={"path": path},
        )
    return bp


def _search(store, app_key, params):
    try:
        start, end = int(params["update_time_start"]), int(params["update_time_end"])
    except (KeyError, ValueError):
        return _error(40004, "参数错误", "isv.parameter-invalid", "update_time_start/end 必填")
    if end - start > MAX_WINDOW or end < start:
        return _error(40004, "参数错误", "isv.parameter-invalid", "查询时间跨度不能超过90天")
    page, size = int(params.get("page", 0)), min(int(params.get("size", 20)), 100)
    found = store.changed_between("doudian", app_key, start, end)
    chunk = found[page * size : (page + 1) * size]
    return _ok(
        {
            "shop_order_list": [_order(o) for o in chunk],
            "page": page,
            "size": size,
            "total": len(found),
        }
    )


def _logistics(store, app_key, params):
    if params.get("company_code") not in COMPANIES:
        return _error(40004, "参数错误", "isv.parameter-invalid", "物流公司编码不存在")
    if not store.record_shipment(
        "doudian",
        app_key,
        str(params.get("order_id", "")),
        params.get("company_code", ""),
        params.get("logistics_code", ""),
    ):
        return _error(50002, "订单状态不允许发货", "isv.business-failed")
    return _ok({})


def _stock_batch(store, app_key, params):
    """sku.syncStockBatch: the SKUs of one product, all or nothing."""
    product_id, items = params.get("product_id"), params.get("sku_sync_list")
    if not product_id or not isinstance(items, list) or not items:
        return _error(40004, "参数错误", "isv.parameter-invalid", "product_id、sku_sync_list 必填")
    if params.get("incremental"):
        return _error(40004, "参数错误", "isv.parameter-invalid", "沙箱只支持全量库存")
    levels = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("stock_num"), int):
            return _error(40004, "参数错误", "isv.parameter-invalid", "stock_num 须为整数")
        if item.get("sku_type", 0) != 0:
            return _error(40004, "参数错误", "isv.parameter-invalid", "沙箱只支持普通库存")
        levels.append((None, item.get("sku_id"), item["stock_num"]))
    wrong = store.set_stocks("doudian", app_key, str(product_id), levels)
    if wrong:
        return _error(
            50002,
            "业务处理失败",
            "isv.business-failed:sku-not-in-product",
            f"商品 {product_id} 下没有 SKU {'、'.join(wrong)}，本次库存均未更新",
        )
    return _ok({})


def _sku_detail(store, app_key, params):
    code = params.get("code")
    if not code:
        return _error(40004, "参数错误", "isv.parameter-invalid", "sku_id 或 code 必填")
    product_id, sku_id = store.listing("doudian", app_key, str(code))
    return _ok({"id": int(sku_id), "product_id": int(product_id), "code": code})


def _category(store, app_key, params):
    return _ok([])


HANDLERS = {
    "order/searchList": _search,
    "order/logisticsAdd": _logistics,
    "sku/syncStockBatch": _stock_batch,
    "sku/detail": _sku_detail,
    "shop/getShopCategory": _category,
}
