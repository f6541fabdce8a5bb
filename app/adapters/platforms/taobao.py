"""淘宝开放平台 (TOP) client: one router URL, `method` names the API, every request signed.

Signing (TOP "API调用方法详解"): the parameters but `sign`, sorted by name, concatenated as
name+value; md5 wraps that in the app secret (md5(secret + s + secret)), hmac and hmac-sha256
key the digest with the secret; the digest in upper-case hex. Timestamps are GMT+8
"yyyy-MM-dd HH:mm:ss" and must be within 10 minutes of TOP's clock.

Orders come from taobao.trades.sold.increment.get (by modification time, `use_has_next`; one
call spans a day at most, and nothing older than three months is listed), the
tracking number goes back with taobao.logistics.offline.send. Stock goes with
taobao.skus.quantity.update: the SKUs of one item (`num_iid`, required) in one call as
`outerid_quantities` "outerId:qty;outerId:qty" (at most 20 SKUs a call), `type` 1 = full
quantity. Where a SKU is listed is asked with taobao.skus.custom.get (one outer id a call).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from decimal import Decimal

from app.adapters.platforms import (
    Listing,
    PlatformOrder,
    RouterClient,
    StockLevel,
    from_gmt8_text,
    gmt8_text,
    lines_from,
    receiver_from,
    utcnow,
)

STATUSES = {
    "WAIT_BUYER_PAY": "unpaid",
    "WAIT_SELLER_SEND_GOODS": "paid",
    "SELLER_CONSIGNED_PART": "paid",
    "WAIT_BUYER_CONFIRM_GOODS": "shipped",
    "TRADE_BUYER_SIGNED": "shipped",
    "TRADE_FINISHED": "shipped",
    "TRADE_CLOSED": "cancelled",
    "TRADE_CLOSED_BY_TAOBAO": "cancelled",
}
# The platform's names for a line's SKU code (the item's own code when it has no SKUs), quantity,
# price, listing id and SKU id.
LINE = (("outer_sku_id", "outer_iid"), "num", "price", "num_iid", "sku_id")
# The platform's names for a receiver's name, phone, province, city, district and street.
RECEIVER = (
    "receiver_name",
    "receiver_mobile",
    "receiver_state",
    "receiver_city",
    "receiver_district",
    "receiver_address",
)
# TOP's logistics company codes (taobao.logistics.companies.get) for our carriers: 韵达 is YUNDA.
COMPANY_CODES = {
    "SF": "SF",
    "ZTO": "ZTO",
    "YTO": "YTO",
    "YD": "YUNDA",
    "STO": "STO",
    "JD": "JD",
    "EMS": "EMS",
}
FIELDS = (
    "tid,status,buyer_nick,receiver_name,receiver_mobile,receiver_state,receiver_city,"
    "receiver_district,receiver_address,payment,pay_time,modified,orders"
)


def sign(params: Mapping[str, str], secret: str, method: str = "md5") -> str:
    """TOP's signature of a request's parameters (`sign` itself and empty values left out)."""
    joined = "".join(f"{k}{v}" for k, v in sorted(params.items()) if k != "sign" and v != "")
    if method == "md5":
        digest = hashlib.md5(f"{secret}{joined}{secret}".encode()).hexdigest()  # noqa: S324
    elif method == "hmac":
        digest = hmac.new(secret.encode(), joined.encode(), hashlib.md5).hexdigest()
    elif method == "hmac-sha256":
        digest = hmac.new(secret.encode(), joined.encode(), hashlib.sha256).hexdigest()
    else:
        raise ValueError(f"unknown TOP sign method {method!r}")
    return digest.upper()


class TaobaoClient(RouterClient):
    name = "taobao"
    label = "淘宝"
    DEFAULT_BASE_URL = "https://eco.taobao.com"
    max_window = dt.timedelta(days=1)  # "end_modified - start_modified <= 1天"
    max_lookback = dt.timedelta(days=90)  # "只能获取到三个月以内的交易信息"
    sign_method = "md5"
    ROUTER = "/router/rest"
    RATE_LIMIT_CODES = frozenset({"7"})  # App Call Limited

    def _public(self, api: str) -> dict:
        return {
            "method": api,
            "app_key": self.credentials.app_key,
            "session": self.credentials.access_token,
            "timestamp": gmt8_text(utcnow()),
            "format": "json",
            "v": "2.0",
            "sign_method": self.sign_method,
        }

    def _sign(self, params: dict) -> str:
        return sign(params, self.credentials.app_secret, self.sign_method)

    def _records(self, start: dt.datetime, end: dt.datetime, page: int) -> tuple[list[dict], bool]:
        body = self.call(
            "taobao.trades.sold.increment.get",
            fields=FIELDS,
            start_modified=gmt8_text(start),
            end_modified=gmt8_text(end),
            page_no=page,
            page_size=self.page_size,
            use_has_next="true",
        )
        answer = body.get("trades_sold_increment_get_response", {})
        trades = (answer.get("trades") or {}).get("trade") or []
        return trades, bool(answer.get("has_next"))

    @staticmethod
    def _order(trade: dict) -> PlatformOrder:
        lines = lines_from((trade.get("orders") or {}).get("order") or [], LINE)
        return PlatformOrder(
            platform_order_id=str(trade["tid"]),
            status=STATUSES.get(trade["status"], "unpaid"),
            buyer=trade.get("buyer_nick", ""),
            receiver=receiver_from(trade, RECEIVER),
            lines=lines,
            total=Decimal(trade.get("payment") or "0"),
            paid_at=from_gmt8_text(trade["pay_time"]) if trade.get("pay_time") else None,
            modified_at=from_gmt8_text(trade["modified"]),
            address_key=trade.get("oaid", ""),
        )

    CARRIERS = COMPANY_CODES
    SHIPPED = ("taobao.logistics.offline.send", "tid", "company_code", "out_sid")
    SHIPPED_FLAG = ("logistics_offline_send_response", "shipping", "is_success")

    def _listing(self, sku: str) -> Listing | None:
        body = self.call("taobao.skus.custom.get", outer_id=sku, fields="sku_id,num_iid")
        found = (body.get("skus_custom_get_response", {}).get("skus") or {}).get("sku") or []
        return Listing(str(found[0]["num_iid"]), str(found[0]["sku_id"])) if found else None

    SKUS_PER_CALL = 20  # taobao.skus.quantity.update: "最多支持20个SKU同时修改"

    def _set_stock(self, group: list[StockLevel]) -> None:
        self.call(
            "taobao.skus.quantity.update",
            num_iid=group[0].listing.item_id,
            outerid_quantities=";".join(f"{level.sku}:{level.qty}" for level in group),
            type=1,
        )

    def check(self) -> None:
        self.call("taobao.user.seller.get", fields="nick")
