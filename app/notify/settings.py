"""What notification delivery needs to know, set once per process by init_services."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class NotifySettings:
    template_order_status: str = "order-status"
    subscribe_order_status: str = "order-status"
    h5_base_url: str = "http://127.0.0.1:5000/h5"
    sms_provider: str = "console"
    sms_api_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Mapping) -> NotifySettings:
        return cls(
            template_order_status=settings["WECHAT_TEMPLATE_ORDER_STATUS"],
            subscribe_order_status=settings["WECHAT_SUBSCRIBE_ORDER_STATUS"],
            h5_base_url=settings["H5_BASE_URL"],
            sms_provider=settings["SMS_PROVIDER"],
            sms_api_url=settings.get("SMS_API_URL"),
        )


_current = NotifySettings()


def configure(settings: NotifySettings) -> None:
    global _current
    _current = settings


def current() -> NotifySettings:
    return _current
