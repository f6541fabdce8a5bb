"""有赞云 client: `/api/{method}/{version}` with the shop's access token; no request signature
(有赞 authenticates the token, which the merchant's authorisation issued).

Orders come from youzan.trades.sold.get by update time (a year at most per call, page numbers,
`total_results`), the tracking number goes back with youzan.logistics.online.confirm. Stock goes
with youzan.item.quantity.update — one SKU a call (`item_id` and `sku_id`, full quantity): we
found no batch stock update among 有赞's public APIs, so the calls go out several at once over
keep-alive connections. Where a SKU is listed is asked with youzan.skus.custom.get by the SKU's
merchant code. A gateway refusal answers `gw_err_resp`; a business one `success: false` with
`code` and `message`.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from app.adapters.platforms import (
    HttpClient,
    Listing,
    PlatformOrder,
    Refusal,
    StockLevel,
    from_gmt8_text,
    gmt8_text,
    lines_from,
    receiver_from,
)

STATUSES = {
    "WAIT_BUYER_PAY": "unpaid",
    "WAIT_SELLER_SEND_GOODS": "paid",
    "WAIT_BUYER_CONFIRM_GOODS": "shipped",
    "TRADE_SUCCESS": "shipped",
    "TRADE_CLOSED": "cancelled",
}
# The platform's names for a line's SKU code, quantity, price, listing id and SKU id.
LINE = ("outer_sku_id", "num", "price", "item_id", "sku_id")
# The platform's names for a receiver's name, phone, province, city, district and street.
RECEIVER = (
    "receiver_name",
    "receiver_tel",
    "delivery_province",
    "delivery_city",
    "delivery_district",
    "delivery_address",
)
# The version of each API we call, when not 3.0.0.
VERSIONS = {"youzan.trades.sold.get": "4.0.4"}
# 有赞's express ids (youzan.logistics.express.get).
EXPRESS_IDS = {"SF": 7, "ZTO": 2, "YTO": 3, "YD": 4, "STO": 1, "JD": 138, "EMS": 11}


class YouzanClient(HttpClient):
    name = "youzan"
    label = "有赞"
    DEFAULT_BASE_URL = "https://open.youzanyun.com"
    max_window = dt.timedelta(days=365)

    def call(self, api: str, **business) -> dict:
        def send():
            return self._post(
                f"/api/{api}/{VERSIONS.get(api, '3.0.0')}",
                # client_id names the app the token was issued to (有赞 ignores it on calls).
                query={
                    "access_token": self.credentials.access_token,
                    "client_id": self.credentials.app_key,
                },
                body=json.dumps(business).encode(),
            )

        return self._answered(send).get("data") or {}

    RATE_LIMIT_CODES = frozenset({"4204", "429"})

    @staticmethod
    def _refusal(answer: dict) -> Refusal | None:
        """A gateway refusal (`gw_err_resp`) or a business one (`success` false)."""
        gateway = answer.get("gw_err_resp")
        if gateway is not None:
            return Refusal(str(gateway.get("err_code", "")), gateway.get("err_msg") or "未知错误")
        if not answer.get("success"):
            return Refusal(str(answer.get("code", "")), answer.get("message") or "未知错误")
        return None

    def _records(self, start: dt.datetime, end: dt.datetime, page: int) -> tuple[list[dict], bool]:
        data = self.call(
            "youzan.trades.sold.get",
            start_update=gmt8_text(start),
            end_update=gmt8_text(end),
            page_no=page,
            page_size=self.page_size,
        )
        records = [o["full_order_info"] for o in data.get("full_order_info_list") or []]
        return records, self._more_than(page, int(data.get("total_results", 0)))

    @staticmethod
    def _order(full: dict) -> PlatformOrder:
        info, address = full.get("order_info", {}), full.get("address_info", {})
        lines = lines_from(full.get("orders") or [], LINE)
        return PlatformOrder(
            platform_order_id=info["tid"],
            status=STATUSES.get(info.get("status", ""), "unpaid"),
            buyer=(full.get("buyer_info") or {}).get("yz_open_id", ""),
            receiver=receiver_from(address, RECEIVER),
            lines=lines,
            total=Decimal(str((full.get("pay_info") or {}).get("payment", "0"))),
            paid_at=from_gmt8_text(info["pay_time"]) if info.get("pay_time") else None,
            modified_at=from_gmt8_text(info["update_time"]),
            address_key=address.get("open_address_id", ""),
        )

    CARRIERS = EXPRESS_IDS
    SHIPPED = ("youzan.logistics.online.confirm", "tid", "out_stype", "out_sid")
    PARALLEL_CALLS = 8

    def _listing(self, sku: str) -> Listing | None:
        found = self.call("youzan.skus.custom.get", outer_id=sku)
        items = found if isinstance(found, list) else []
        return Listing(str(items[0]["item_id"]), str(items[0]["sku_id"])) if items else None

    def _set_stock(self, group: list[StockLevel]) -> None:
        (level,) = group
        self.call(
            "youzan.item.quantity.update",
            item_id=int(level.listing.item_id),
            sku_id=int(level.listing.sku_id),
            quantity=level.qty,
        )

    def check(self) -> None:
        self.call("youzan.shop.get")
