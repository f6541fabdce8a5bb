"""The electronic waybill service stand-in (快递鸟-style EOrderService, RequestType 1007):
checks DataSign = base64(md5(RequestData + AppKey)) with AppKey "key-" + EBusinessID, issues one
tracking number per (business id, OrderCode) — asking again gives the same number, answered with
ResultCode 106 as 快递鸟 does, never one number twice — and lists what it issued at GET
/_sandbox/waybills (POST there seeds one issued earlier)."""

from __future__ import annotations

import base64
import hashlib
import json
import time

from flask import Blueprint, jsonify, request

from devkit.sandbox.shops import ShopsStore

PREFIXES = {"SF": "SF", "ZTO": "7", "YTO": "YT", "YD": "43", "STO": "77", "JD": "JDV", "EMS": "98"}


def app_key_of(business_id: str) -> str:
    return f"key-{business_id}"


def blueprint(store: ShopsStore) -> Blueprint:
    bp = Blueprint("sandbox_waybills", __name__)

    def answer(business_id, success, code, reason, order=None):
        return jsonify(
            {
                "EBusinessID": business_id,
                "Success": success,
                "ResultCode": code,
                "Reason": reason,
                "Order": order or {},
                "UniquerRequestNumber": f"sandbox-{time.time_ns()}",
            }
        )

    @bp.post("/api/EOrderService")
    def eorder():
        business_id = request.form.get("EBusinessID", "")
        data = request.form.get("RequestData", "")
        digest = hashlib.md5((data + app_key_of(business_id)).encode()).hexdigest()  # noqa: S324
        if request.form.get("DataSign") != base64.b64encode(digest.encode()).decode():
            return answer(business_id, False, "101", "数据签名验证失败（DataSign）")
        if request.form.get("RequestType") != "1007":
            return answer(business_id, False, "101", "RequestType 须为 1007")
        try:
            body = json.loads(data)
        except ValueError:
            return answer(business_id, False, "101", "RequestData 不是合法的 JSON")
        carrier, code = body.get("ShipperCode", ""), body.get("OrderCode", "")
        if carrier not in PREFIXES or not code:
            return answer(business_id, False, "101", "ShipperCode 或 OrderCode 无效")
        with store.lock:
            found = store.waybills.get((business_id, code))
            repeated = found is not None
            if found is None:
                issued = {w["tracking_no"] for w in store.waybills.values()}
                serial = 7000000000 + len(store.waybills) + 1
                while f"{PREFIXES[carrier]}{serial}" in issued:  # after seeding: never twice
                    serial += 1
                number = f"{PREFIXES[carrier]}{serial}"
                found = {
                    "order_code": code,
                    "carrier": carrier,
                    "tracking_no": number,
                    "receiver": body.get("Receiver", {}),
                    "commodity": body.get("Commodity", []),
                    "at": time.time(),
                }
                store.waybills[(business_id, code)] = found
        order = {"OrderCode": code, "ShipperCode": carrier, "LogisticCode": found["tracking_no"]}
        if repeated:
            return answer(business_id, True, "106", "该订单号已下单成功", order)
        return answer(business_id, True, "100", "成功", order)

    @bp.post("/_sandbox/waybills")
    def seed():
        """Seeding: a waybill issued earlier (`business_id`, `order_code`, `carrier`,
        `tracking_no`): asked for again it is the same, and its number is not issued again.
        One the service has is kept as it is (200)."""
        body = request.get_json(silent=True) or {}
        key = (str(body.get("business_id", "")), str(body.get("order_code", "")))
        if not all(key) or body.get("carrier") not in PREFIXES or not body.get("tracking_no"):
            return jsonify({"error": "business_id, order_code, carrier, tracking_no required"}), 400
        with store.lock:
            if key in store.waybills:
                return jsonify({"tracking_no": store.waybills[key]["tracking_no"]}), 200
            store.waybills[key] = {
                "order_code": key[1],
                "carrier": body["carrier"],
                "tracking_no": str(body["tracking_no"]),
                "receiver": {},
                "commodity": [],
                "at": time.time(),
            }
        return jsonify({"tracking_no": str(body["tracking_no"])}), 201

    @bp.get("/_sandbox/waybills")
    def issued():
        with store.lock:
            items = sorted(store.waybills.values(), key=lambda w: w["at"])
        return jsonify({"items": items})

    return bp
