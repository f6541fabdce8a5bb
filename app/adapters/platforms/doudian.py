"""抖店开放平台 client: the method in the path (order.searchList → /order/searchList), business
parameters as `param_json`, every request signed.

Signing (抖店 "API调用指南", 签名算法): `param_json` is the business parameters serialised with
their keys sorted and no spaces; the string app_key…method…param_json…timestamp…v (each name
followed by its value) wrapped in the app secret, then md5 (sign_method md5) or HMAC-SHA256
keyed with the secret (sign_method hmac-sha256), lower-case hex. Timestamps are GMT+8
"yyyy-MM-dd HH:mm:ss", within 10 minutes of the platform's clock. Success is `code` 10000.

Orders come from order.searchList by update time (pages from 0), the tracking number goes back
with order.logisticsAdd. Stock goes with sku.syncStockBatch: the SKUs of one product
(`product_id`) in one call as `sku_sync_list` [{sku_id, sku_type 0, stock_num}], `incremental`
false = full quantity; all or nothing (one bad SKU and none is updated). Where a SKU is listed
is asked with sku.detail by its merchant code (`code`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from decimal import Decimal

from app.adapters.platforms import (
    HttpClient,
    Listing,
    PlatformOrder,
    Refusal,
    StockLevel,
    from_unix,
    gmt8_text,
    lines_from,
    unix,
    utcnow,
)
from app.adapters.platforms.types import Receiver

# The platform's names for a line's SKU code, quantity, price (fen), listing id and SKU id.
LINE = ("code", "item_num", "goods_price", "product_id", "sku_id")
OK = 10000
# 抖店's logistics company codes (order.getServiceList / logistics.listShopNetsite).
COMPANY_CODES = {
    "SF": "shunfeng",
    "ZTO": "zhongtong",
    "YTO": "yuantong",
    "YD": "yunda",
    "STO": "shentong",
    "JD": "jd",
    "EMS": "ems",
}


def param_json(business: dict) -> str:
    """The business parameters as 抖店's SDKs serialise them to sign: keys sorted (nested ones
    too), no spaces, non-ASCII, "/" and & < > as they are, U+2028 and U+2029 escaped (the
    official PHP SDK's SignUtil::marshal, json_encode with JSON_UNESCAPED_UNICODE |
    JSON_UNESCAPED_SLASHES)."""
    text = json.dumps(business, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def sign_string(app_key: str, method: str, params: str, timestamp: str, secret: str) -> str:
    inner = f"app_key{app_key}method{method}param_json{params}timestamp{timestamp}v2"
    return f"{secret}{inner}{secret}"


def sign(app_key: str, method: str, params: str, timestamp: str, secret: str, how="md5") -> str:
    text = sign_string(app_key, method, params, timestamp, secret).encode()
    if how == "md5":
        return hashlib.md5(text).hexdigest()  # noqa: S324 - the platform's algorithm
    if how == "hmac-sha256":
        return hmac.new(secret.encode(), text, hashlib.sha256).hexdigest()
    raise ValueError(f"unknown 抖店 sign method {how!r}")


def _status(order: dict) -> str:
    return {1: "unpaid", 2: "paid", 3: "shipped", 4: "cancelled", 5: "shipped"}.get(
        int(order.get("order_status", 1)), "unpaid"
    )


class DoudianClient(HttpClient):
    name = "doudian"
    label = "抖店"
    DEFAULT_BASE_URL = "https://openapi-fxg.jinritemai.com"
    max_window = dt.timedelta(days=90)
    sign_method = "hmac-sha256"

    def call(self, method: str, **business) -> dict:
        def send():
            params = param_json(business)
            timestamp = gmt8_text(utcnow())
            query = {
                "app_key": self.credentials.app_key,
                "method": method,
                "access_token": self.credentials.access_token,
                "timestamp": timestamp,
                "v": "2",
                "sign_method": self.sign_method,
                "sign": sign(
                    self.credentials.app_key,
                    method,
                    params,
                    timestamp,
                    self.credentials.app_secret,
                    self.sign_method,
                ),
            }
            return self._post(f"/{method.replace('.', '/')}", query=query, body=params.encode())

        return self._answered(send).get("data") or {}

    RATE_LIMIT_CODES = frozenset({"isv.frequency-limit", "isp.frequency-limit"})

    @staticmethod
    def _refusal(answer: dict) -> Refusal | None:
        if answer.get("code") == OK:
            return None
        text = answer.get("sub_msg") or answer.get("msg") or "未知错误"
        return Refusal(answer.get("sub_code", ""), text, str(answer.get("code")))

    def _records(self, start: dt.datetime, end: dt.datetime, page: int) -> tuple[list[dict], bool]:
        data = self.call(
            "order.searchList",
            update_time_start=unix(start),
            update_time_end=unix(end),
            page=page - 1,  # 抖店 pages count from 0
            size=self.page_size,
            order_by="update_time",
            order_asc=True,
        )
        records = data.get("shop_order_list") or []
        return records, self._more_than(page, int(data.get("total", 0)))

    @staticmethod
    def _order(order: dict) -> PlatformOrder:
        address = order.get("post_addr") or {}
        lines = lines_from(order.get("sku_order_list") or [], LINE, in_fen=True)
        return PlatformOrder(
            platform_order_id=str(order["order_id"]),
            status=_status(order),
            buyer=order.get("doudian_open_id", ""),
            receiver=Receiver(
                order.get("post_receiver", ""),
                order.get("post_tel", ""),
                (address.get("province") or {}).get("name", ""),
                (address.get("city") or {}).get("name", ""),
                (address.get("town") or {}).get("name", ""),
                address.get("detail", ""),
            ),
            lines=lines,
            total=Decimal(int(order.get("pay_amount", 0))) / 100,  # fen
            paid_at=from_unix(order["pay_time"]) if order.get("pay_time") else None,
            modified_at=from_unix(order["update_time"]),
            address_key=order.get("open_address_id", ""),
        )

    CARRIERS = COMPANY_CODES
    SHIPPED = ("order.logisticsAdd", "order_id", "company_code", "logistics_code")

    def _listing(self, sku: str) -> Listing:
        data = self.call("sku.detail", code=sku)  # refused: no SKU with that code
        return Listing(str(data["product_id"]), str(data["id"]))

    SKUS_PER_CALL = 50  # sku_sync_list: we send at most this many SKUs of a product a call

    def _set_stock(self, group: list[StockLevel]) -> None:
        self.call(
            "sku.syncStockBatch",
            product_id=int(group[0].listing.item_id),
            incremental=False,
            sku_sync_list=[
                {"sku_id": int(level.listing.sku_id), "sku_type": 0, "stock_num": level.qty}
                for level in group
            ],
        )

    def check(self) -> None:
        self.call("shop.getShopCategory", cid=0)
