"""Plugin: online shops under test — a shop on a platform of the sandbox with its own app key,
orders made on the platform through the sandbox's controls, the outbox sinks sent by hand."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
import requests

from app import outbox
from app.db import utcnow
from app.shops.models import Shop
from app.shops.stock_sync import STOCK_PUSHES, WRITE_BACKS
from devkit.testing.clients import ADMIN

RECEIVER = {
    "name": "张三",
    "phone": "13812345678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "address": "文三路 100 号",
}


class PlatformShop:
    """A shop of ours and the same shop on the sandbox's platform."""

    def __init__(self, client, headers, sandbox_url, platform, warehouse, **fields):
        self.client, self.headers, self.platform = client, headers, platform
        self.app_key = f"{platform}-{uuid.uuid4().hex[:10]}"
        self.controls = f"{sandbox_url}/_sandbox/shops/{platform}/{self.app_key}"
        body = {
            "name": fields.pop("name", f"{platform} 旗舰店"),
            "platform": platform,
            "app_key": self.app_key,
            "app_secret": f"secret-{self.app_key}",
            "access_token": "token-1",
            "warehouse_id": warehouse.id,
            **fields,
        }
        response = client.post(f"{ADMIN}/shops", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        self.id = response.get_json()["id"]

    def sell(self, *lines, buyer="买家一号", receiver=None) -> str:
        """A paid order on the platform: lines as (sku, qty[, price])."""
        body = {
            "buyer": buyer,
            "receiver": receiver or RECEIVER,
            "lines": [
                {"sku": ln[0], "qty": ln[1], "price": ln[2] if len(ln) > 2 else "10.00"}
                for ln in lines
            ],
        }
        answer = requests.post(f"{self.controls}/orders", json=body, timeout=10)
        assert answer.status_code == 201, answer.text
        return answer.json()["platform_order_id"]

    def sell_many(self, count: int, sku: str) -> None:
        """`count` paid orders of one unit of `sku`, each from a buyer of its own."""
        body = {
            "buyer": "b",
            "receiver": {"name": "李四", "phone": "13900000000"},
            "lines": [{"sku": sku, "qty": 1, "price": "1"}],
            "repeat": count,
        }
        requests.post(f"{self.controls}/orders", json=body, timeout=60).raise_for_status()

    def cancel(self, platform_order_id: str) -> None:
        requests.post(
            f"{self.controls}/orders/{platform_order_id}/cancel", timeout=10
        ).raise_for_status()

    def down(self, seconds: float) -> None:
        requests.post(
            f"{self.controls}/down", json={"seconds": seconds}, timeout=10
        ).raise_for_status()

    def shipments(self) -> list[dict]:
        return requests.get(f"{self.controls}/shipments", timeout=10).json()["items"]

    def stock(self) -> dict[str, int]:
        items = requests.get(f"{self.controls}/stock", timeout=10).json()["items"]
        return {i["sku"]: i["qty"] for i in items}

    def sync(self):
        # The platforms list by whole seconds: what changed in this second is listed from the
        # next one on, as on the real platforms.
        time.sleep(1.02 - time.time() % 1)
        return self.client.post(f"{ADMIN}/shops/{self.id}/sync", headers=self.headers)

    def orders(self, **params) -> list[dict]:
        response = self.client.get(
            f"{ADMIN}/shop-orders",
            query_string={"shop_id": self.id, **params},
            headers=self.headers,
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    def map_skus(self, *items):
        """The shop's SKU map set (PUT, as its admin): items as (platform SKU, product[, qty])."""
        rows = []
        for platform_sku, product, *qty in items:
            row = {"platform_sku": platform_sku, "product_id": product.id}
            rows.append({**row, "qty": qty[0]} if qty else row)
        return self.client.put(
            f"{ADMIN}/shops/{self.id}/sku-map", json={"items": rows}, headers=self.headers
        )

    def look_back(self, **delta) -> None:
        """The next download starts this far back (as if authorised that long ago)."""
        Shop.update(sync_cursor=utcnow() - dt.timedelta(**delta), sync_page=1).where(
            Shop.id == self.id
        ).execute()


@pytest.fixture
def platform_shop(client, co, sandbox):
    """platform_shop("pdd", warehouse=co.sh, stock_share_pct=50): a shop authorised through
    the admin API by the company's admin."""

    def make(platform: str = "taobao", warehouse=None, **fields) -> PlatformShop:
        return PlatformShop(
            client, co.headers("admin"), sandbox.url, platform, warehouse or co.sh, **fields
        )

    return make


def ask_waybills(client, headers, ids: list[int], carrier: str):
    """POST /shop-orders/waybills: waybills of `carrier` for those shop orders."""
    body = {"ids": ids, "carrier": carrier}
    return client.post(f"{ADMIN}/shop-orders/waybills", json=body, headers=headers)


def ship_shop_orders(client, headers, ids: list[int]):
    """POST /shop-orders/ship: those shop orders shipped on their waybills."""
    return client.post(f"{ADMIN}/shop-orders/ship", json={"ids": ids}, headers=headers)


def send_pushes() -> dict:
    return outbox.deliver_due(STOCK_PUSHES)


def send_write_backs() -> dict:
    return outbox.deliver_due(WRITE_BACKS)
