"""淘宝开放平台 (TOP) stand-in: POST /router/rest, `method` names the API, TOP's signature
(md5, hmac, hmac-sha256), its timestamps (GMT+8, 10 minutes), its error envelope
(`error_response` with code, msg, sub_code, sub_msg) and its paging (`has_next`)."""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import Blueprint, jsonify, request

from devkit.sandbox.shops import (
    ShopsStore,
    address_id,
    gmt8_seconds,
    gmt8_text,
    is_stale,
    mask_receiver,
    secret_of,
)

MAX_WINDOW = 86400  # one call spans a day at most
MAX_LOOKBACK = 90 * 86400  # nothing older than three months is listed
# The logistics companies the stand-in knows (taobao.logistics.companies.get codes).
COMPANIES = {"SF", "ZTO", "YTO", "YUNDA", "STO", "JD", "EMS"}
STATUS = {"paid": "WAIT_SELLER_SEND_GOODS", "shipped": "WAIT_BUYER_CONFIRM_GOODS"}


def _expected_sign(params: dict, secret: str, method: str) -> str | None:
    text = "".join(k + v for k, v in sorted(params.items()) if k != "sign" and v)
    if method == "md5":
        return hashlib.md5((secret + text + secret).encode()).hexdigest().upper()  # noqa: S324
    algorithm = {"hmac": hashlib.md5, "hmac-sha256": hashlib.sha256}.get(method)
    if algorithm is None:
        return None
    return hmac.new(secret.encode(), text.encode(), algorithm).hexdigest().upper()


def _error(code: int, msg: str, sub_code: str = "", sub_msg: str = ""):
    return jsonify(
        {
            "error_response": {
                "code": code,
                "msg": msg,
                "sub_code": sub_code,
                "sub_msg": sub_msg,
                "request_id": "sandbox",
            }
        }
    )


def _trade(order: dict) -> dict:
    receiver = mask_receiver(order["receiver"])
    return {
        "tid": int(order["id"]),
        "status": STATUS.get(order["status"], "TRADE_CLOSED"),
        "buyer_nick": order["buyer"],
        "receiver_name": receiver.get("name", ""),
        "receiver_mobile": receiver.get("phone", ""),
        "receiver_state": receiver.get("province", ""),
        "receiver_city": receiver.get("city", ""),
        "receiver_district": receiver.get("district", ""),
        "receiver_address": receiver.get("address", ""),
        "oaid": address_id(order["receiver"]),
        "payment": order["total"],
        "pay_time": gmt8_text(order["paid"]),
        "modified": gmt8_text(order["modified"]),
        "orders": {
            "order": [
                {
                    "oid": f"{order['id']}{i}",
                    "num_iid": int(ln["item_id"]),
                    "sku_id": ln["sku_id"],
                    "outer_sku_id": ln["sku"],
                    "num": ln["qty"],
                    "price": ln["price"],
                }
                for i, ln in enumerate(order["lines"], 1)
            ]
        },
    }


def blueprint(store: ShopsStore) -> Blueprint:
    bp = Blueprint("sandbox_taobao", __name__)

    @bp.post("/router/rest")
    def router():
        params = {**request.args.to_dict(), **request.form.to_dict()}
        app_key = params.get("app_key", "")
        if not app_key:
            return _error(29, "Invalid app Key", "isv.appkey-not-exists")
        if store.is_down("taobao", app_key):
            return "service unavailable", 503
        expected = _expected_sign(params, secret_of(app_key), params.get("sign_method", ""))
        if expected is None or params.get("sign") != expected:
            return _error(25, "Invalid signature")
        if is_stale(params.get("timestamp", ""), gmt8_seconds):
            return _error(
                31, "Invalid timestamp", "isv.invalid-timestamp", "时间戳与服务器相差超过10分钟"
            )
        if not params.get("session"):
            return _error(27, "Invalid session", "invalid-sessionkey", "授权已失效，请重新授权")
        handler = METHODS.get(params.get("method", ""))
        if handler is None:
            return _error(22, "Invalid method", "isv.method-not-exists")
        return handler(store, app_key, params)

    return bp


def _sold_increment(store, app_key, params):
    try:
        start, end = gmt8_seconds(params["start_modified"]), gmt8_seconds(params["end_modified"])
    except (KeyError, ValueError):
        return _error(40, "Missing required arguments:start_modified,end_modified")
    if end - start > MAX_WINDOW or end < start:
        return _error(
            15, "Remote service error", "isv.invalid-parameter", "修改时间跨度不能大于一天"
        )
    if start < time.time() - MAX_LOOKBACK:
        return _error(
            15, "Remote service error", "isv.invalid-parameter", "只能查询三个月以内的交易"
        )
    page, size = int(params.get("page_no", 1)), min(int(params.get("page_size", 40)), 100)
    # TOP lists the newest change first.
    found = store.changed_between("taobao", app_key, start, end)[::-1]
    chunk = found[(page - 1) * size : page * size]
    return jsonify(
        {
            "trades_sold_increment_get_response": {
                "total_results": len(found),
                "has_next": page * size < len(found),
                "trades": {"trade": [_trade(o) for o in chunk]},
            }
        }
    )


def _offline_send(store, app_key, params):
    if params.get("company_code") not in COMPANIES:
        return _error(
            15, "Remote service error", "isv.logistics-company-not-exists", "物流公司编码不存在"
        )
    if not store.record_shipment(
        "taobao",
        app_key,
        params.get("tid", ""),
        params.get("company_code", ""),
        params.get("out_sid", ""),
    ):
        return _error(
            15,
            "Remote service error",
            "isv.logistics-offline-service-error:B04",
            "订单状态不允许发货",
        )
    return jsonify({"logistics_offline_send_response": {"shipping": {"is_success": True}}})


def _skus_quantity_update(store, app_key, params):
    """taobao.skus.quantity.update: the SKUs of one item (num_iid), by outer id, at most 20;
    refused whole when one of them is not a SKU of that item or the list is malformed."""
    num_iid, text = params.get("num_iid", ""), params.get("outerid_quantities", "")
    if not num_iid or not text:
        return _error(40, "Missing required arguments:num_iid,outerid_quantities")
    if params.get("type", "1") != "1":
        return _error(15, "Remote service error", "isv.invalid-parameter", "沙箱只支持全量更新")
    levels = []
    for part in text.split(";"):
        code, _, qty = part.rpartition(":")
        if not code or not qty.isascii() or not qty.isdigit():
            return _error(41, "Invalid arguments:outerid_quantities", "isv.invalid-parameter")
        levels.append((code, None, int(qty)))
    if len(levels) > 20:
        return _error(
            15, "Remote service error", "isv.invalid-parameter", "最多支持20个SKU同时修改"
        )
    wrong = store.set_stocks("taobao", app_key, num_iid, levels)
    if wrong:
        return _error(
            15,
            "Remote service error",
            "isv.item-sku-not-exist",
            f"商品 {num_iid} 下没有商家编码为 {'、'.join(wrong)} 的SKU",
        )
    return jsonify(
        {
            "skus_quantity_update_response": {
                "item": {
                    "num_iid": int(num_iid),
                    "skus": {"sku": [{"outer_id": code, "quantity": q} for code, _, q in levels]},
                }
            }
        }
    )


def _skus_custom(store, app_key, params):
    outer_id = params.get("outer_id", "")
    if not outer_id:
        return _error(40, "Missing required arguments:outer_id")
    item_id, sku_id = store.listing("taobao", app_key, outer_id)
    sku = {"sku_id": int(sku_id), "num_iid": int(item_id), "outer_id": outer_id}
    return jsonify({"skus_custom_get_response": {"skus": {"sku": [sku]}}})


def _seller(store, app_key, params):
    return jsonify({"user_seller_get_response": {"user": {"nick": f"sandbox-{app_key}"}}})


METHODS = {
    "taobao.trades.sold.increment.get": _sold_increment,
    "taobao.logistics.offline.send": _offline_send,
    "taobao.skus.quantity.update": _skus_quantity_update,
    "taobao.skus.custom.get": _skus_custom,
    "taobao.user.seller.get": _seller,
}
