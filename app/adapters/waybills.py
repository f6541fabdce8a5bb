"""The electronic waybill service (电子面单), a 快递鸟-style `EOrderService`: one form POST with
`RequestData` (JSON), `EBusinessID`, `RequestType` 1007, `DataType` 2 and `DataSign` — base64 of
the MD5 (hex) of RequestData followed by the API key. Asking again with the same `OrderCode`
gives the number already issued, so a retried batch never takes a second waybill.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

import requests

from app.adapters.contacts import Contact

TIMEOUT = 10


class WaybillError(Exception):
    """The service refused or could not be reached; `message` is Chinese prose."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def data_sign(request_data: str, app_key: str) -> str:
    digest = hashlib.md5((request_data + app_key).encode()).hexdigest()  # noqa: S324
    return base64.b64encode(digest.encode()).decode()


@dataclass(frozen=True)
class Party(Contact):
    def as_kdn(self) -> dict:
        return {
            "Name": self.name,
            "Mobile": self.phone,
            "ProvinceName": self.province,
            "CityName": self.city,
            "ExpAreaName": self.district,
            "Address": self.address,
        }


class WaybillClient:
    def __init__(self, business_id: str, app_key: str, base_url: str):
        self.business_id, self.app_key = business_id, app_key
        self.url = f"{base_url.rstrip('/')}/api/EOrderService"
        self.session = requests.Session()

    def issue(
        self, order_code: str, carrier: str, sender: Party, receiver: Party, goods: str, qty: int
    ) -> str:
        """The tracking number for our order `order_code` with `carrier` (SF, ZTO, …).

        Raises: WaybillError."""
        request_data = json.dumps(
            {
                "OrderCode": order_code,
                "ShipperCode": carrier,
                "PayType": 1,
                "ExpType": 1,
                "Sender": sender.as_kdn(),
                "Receiver": receiver.as_kdn(),
                "Commodity": [{"GoodsName": goods[:50], "Goodsquantity": qty}],
                "Quantity": 1,
                "IsReturnPrintTemplate": 0,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        form = {
            "RequestData": request_data,
            "EBusinessID": self.business_id,
            "RequestType": "1007",
            "DataType": "2",
            "DataSign": data_sign(request_data, self.app_key),
        }
        try:
            response = self.session.post(self.url, data=form, timeout=TIMEOUT)
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise WaybillError(f"电子面单服务无法连接（{type(exc).__name__}）") from exc
        order = body.get("Order") or {}
        if not body.get("Success") or not order.get("LogisticCode"):
            raise WaybillError(f"电子面单服务拒绝了请求：{body.get('Reason') or '未知原因'}")
        return order["LogisticCode"]
