"""拼多多开放平台 client: one router URL, `type` names the API, every request signed.

Signing (拼多多 "开放平台接入指南", 签名): the parameters but `sign`, sorted by name, joined as
name+value, wrapped in the client secret, MD5, upper-case hex — the same recipe as TOP's md5.
`timestamp` is UNIX seconds within 10 minutes of the platform's clock.

Orders come from pdd.order.number.list.increment.get by update time (24 hours at most per call,
`has_next`), the tracking number goes back with pdd.logistics.online.send. Stock goes with
pdd.goods.quantity.update — one SKU a call (`goods_id` required, the SKU by `outer_id`,
`update_type` 1 = full quantity): 拼多多 has no batch stock update, so the calls go out several
at once over keep-alive connections. Where a SKU is listed is asked with pdd.goods.list.get by
`outer_id`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from decimal import Decimal

from app.adapters.platforms import (
    Listing,
    PlatformError,
    PlatformOrder,
    RouterClient,
    StockLevel,
    from_unix,
    lines_from,
    receiver_from,
    says_yes,
    unix,
    utcnow,
)

# The logistics company ids pdd.logistics.online.send takes (pdd.logistics.companies.get).
LOGISTICS_IDS = {"SF": 44, "ZTO": 115, "YTO": 85, "YD": 121, "STO": 1, "JD": 120, "EMS": 118}
# The platform's names for a line's SKU code, quantity, price, listing id and SKU id.
LINE = ("outer_id", "goods_count", "goods_price", "goods_id", "sku_id")
# The platform's names for a receiver's name, phone, province, city, district and street.
RECEIVER = ("receiver_name", "receiver_phone", "province", "city", "town", "address")


def sign(params: Mapping[str, str], secret: str) -> str:
    joined = "".join(f"{k}{v}" for k, v in sorted(params.items()) if k != "sign")
    return hashlib.md5(f"{secret}{joined}{secret}".encode()).hexdigest().upper()  # noqa: S324


def _status(order: dict) -> str:
    if int(order.get("refund_status", 1)) == 4:  # 退款成功: closed before it shipped
        return "cancelled"
    return {1: "paid", 2: "shipped", 3: "shipped"}.get(int(order.get("order_status", 0)), "unpaid")


class PddClient(RouterClient):
    name = "pdd"
    label = "拼多多"
    DEFAULT_BASE_URL = "https://gw-api.pinduoduo.com"
    max_window = dt.timedelta(hours=24)
    ROUTER = "/api/router"
    ERROR_FIELDS = ("error_code", "error_msg")
    # Calls per minute / per day over the app's quota.
    RATE_LIMIT_CODES = frozenset({"70031", "70032"})

    def _public(self, api: str) -> dict:
        return {
            "type": api,
            "client_id": self.credentials.app_key,
            "access_token": self.credentials.access_token,
            "timestamp": str(unix(utcnow())),
            "data_type": "JSON",
        }

    def _sign(self, params: dict) -> str:
        return sign(params, self.credentials.app_secret)

    def _records(self, start: dt.datetime, end: dt.datetime, page: int) -> tuple[list[dict], bool]:
        body = self.call(
            "pdd.order.number.list.increment.get",
            is_lucky_flag=0,
            order_status=5,
            refund_status=5,
            start_updated_at=unix(start),
            end_updated_at=unix(end),
            page=page,
            page_size=self.page_size,
            use_has_next="true",
        )
        answer = body.get("order_sn_increment_get_response", {})
        return answer.get("order_sn_list") or [], bool(answer.get("has_next"))

    @staticmethod
    def _order(order: dict) -> PlatformOrder:
        lines = lines_from(order.get("item_list") or [], LINE)
        confirmed = order.get("confirm_time")
        return PlatformOrder(
            platform_order_id=order["order_sn"],
            status=_status(order),
            # 拼多多 does not give the buyer's id to sellers: the receiver is who the order is for.
            buyer="",
            receiver=receiver_from(order, RECEIVER),
            lines=lines,
            total=Decimal(str(order.get("pay_amount", "0"))),
            paid_at=from_unix(confirmed) if confirmed else None,
            modified_at=from_unix(order["updated_at"]),
            address_key=order.get("open_address_id", ""),
        )

    CARRIERS = LOGISTICS_IDS
    SHIPPED = ("pdd.logistics.online.send", "order_sn", "logistics_id", "tracking_number")
    SHIPPED_FLAG = ("logistics_online_send_response", "is_success")

    PARALLEL_CALLS = 8

    def _listing(self, sku: str) -> Listing | None:
        body = self.call("pdd.goods.list.get", outer_id=sku, page=1, page_size=100)
        for goods in body.get("goods_list_get_response", {}).get("goods_list") or []:
            for found in goods.get("sku_list") or []:
                if found.get("outer_id") == sku:
                    return Listing(str(goods["goods_id"]), str(found["sku_id"]))
        return None

    def _set_stock(self, group: list[StockLevel]) -> None:
        (level,) = group
        body = self.call(
            "pdd.goods.quantity.update",
            goods_id=level.listing.item_id,
            outer_id=level.sku,
            quantity=level.qty,
            update_type=1,
        )
        if not says_yes(body, ("goods_quantity_update_response", "is_success")):
            raise PlatformError("拼多多未确认库存更新", "not_confirmed", True)

    def check(self) -> None:
        self.call("pdd.mall.info.get")
