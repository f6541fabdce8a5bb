"""What notification delivery needs to know, set once per process by app.bootstrap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.runtime import SettingsHolder


@dataclass(frozen=True)
class NotifySettings:
    # Official-account template ids and mini-program subscribe template ids, by template name
    # (app/notify/templates.py names them).
    oa_templates: dict[str, str] = field(
        default_factory=lambda: {
            "order_status": "order-status",
            "order_shipped": "order-shipped",
            "staff_task": "staff-task",
        }
    )
    subscribe_templates: dict[str, str] = field(
        default_factory=lambda: {"order_status": "order-status", "order_shipped": "order-shipped"}
    )
    h5_base_url: str = "http://127.0.0.1:5000/h5"
    sms_provider: str = "console"  # console | tencent
    sms_endpoint: str = "sms.tencentcloudapi.com"
    sms_region: str = "ap-guangzhou"
    sms_secret_id: str | None = None
    sms_secret_key: str | None = None
    sms_app_id: str | None = None
    sms_sign_name: str = "订货商城"
    sms_invitations_per_phone_day: int = 3
    sms_templates: dict[str, str] = field(
        default_factory=lambda: {
            "order_status": "1000001",
            "staff_task": "1000002",
            "invitation": "1000003",
        }
    )

    def binding_link(self, code: str) -> str:
        """Where an invitation's QR code, SMS and API answer send a person: the H5 binding page
        with the code filled in, on the address the app is reached at."""
        return f"{self.h5_base_url}/bind?code={code}"

    @property
    def subscribe_order_status(self) -> str:
        return self.subscribe_templates["order_status"]

    @classmethod
    def from_settings(cls, settings: Mapping) -> NotifySettings:
        return cls(
            oa_templates={
                "order_status": settings["WECHAT_TEMPLATE_ORDER_STATUS"],
                "order_shipped": settings["WECHAT_TEMPLATE_ORDER_SHIPPED"],
                "staff_task": settings["WECHAT_TEMPLATE_STAFF_TASK"],
            },
            subscribe_templates={
                "order_status": settings["WECHAT_SUBSCRIBE_ORDER_STATUS"],
                "order_shipped": settings["WECHAT_SUBSCRIBE_ORDER_SHIPPED"],
            },
            h5_base_url=settings["H5_BASE_URL"],
            sms_provider=settings["SMS_PROVIDER"],
            sms_endpoint=settings["SMS_ENDPOINT"],
            sms_region=settings["SMS_REGION"],
            sms_secret_id=settings.get("SMS_SECRET_ID"),
            sms_secret_key=settings.get("SMS_SECRET_KEY"),
            sms_app_id=settings.get("SMS_SDK_APP_ID"),
            sms_sign_name=settings["SMS_SIGN_NAME"],
            sms_invitations_per_phone_day=settings["SMS_INVITATIONS_PER_PHONE_DAY"],
            sms_templates={
                "order_status": settings["SMS_TEMPLATE_ORDER_STATUS"],
                "staff_task": settings["SMS_TEMPLATE_STAFF_TASK"],
                "invitation": settings["SMS_TEMPLATE_INVITATION"],
            },
        )


_holder = SettingsHolder(NotifySettings())
configure = _holder.configure
current = _holder.current
