"""The shops' settings, set once per process by app.bootstrap from the app's configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.runtime import SettingsHolder


@dataclass(frozen=True)
class ShopSettings:
    api_base_url: str | None = None
    sync_seconds: int = 60
    stock_sync_seconds: int = 10
    waybill_base_url: str = ""
    waybill_business_id: str = ""
    waybill_app_key: str = ""
    sender_name: str = "发货仓"
    sender_phone: str = ""

    @classmethod
    def from_settings(cls, settings: Mapping) -> ShopSettings:
        return cls(
            api_base_url=settings.get("SHOP_API_BASE_URL"),
            sync_seconds=int(settings.get("SHOP_SYNC_SECONDS", 60)),
            stock_sync_seconds=int(settings.get("STOCK_SYNC_SECONDS", 10)),
            waybill_base_url=settings.get("WAYBILL_API_BASE_URL") or "",
            waybill_business_id=settings.get("WAYBILL_BUSINESS_ID") or "",
            waybill_app_key=settings.get("WAYBILL_APP_KEY") or "",
            sender_name=settings.get("SHOP_SENDER_NAME") or "发货仓",
            sender_phone=settings.get("SHOP_SENDER_PHONE") or "",
        )


_holder = SettingsHolder(ShopSettings())
configure = _holder.configure
current = _holder.current
