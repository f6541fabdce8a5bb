"""What the payment use cases read from settings, set once per process by app.bootstrap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.runtime import SettingsHolder


@dataclass(frozen=True)
class PaymentSettings:
    oa_appid: str = ""  # the official account: JSAPI payments from the H5 pages
    mp_appid: str = ""  # the mini-program: payments from POST /api/mp/v1/payments
    expire_minutes: int = 30
    query_after_seconds: int = 120
    invoice_file_max_bytes: int = 5 * 1024 * 1024
    upload_dir: str = "instance/uploads"

    @classmethod
    def from_settings(cls, settings: Mapping) -> PaymentSettings:
        return cls(
            oa_appid=settings.get("WECHAT_OA_APPID") or "",
            mp_appid=settings.get("WECHAT_APPID") or "",
            expire_minutes=int(settings.get("PAYMENT_EXPIRE_MINUTES", 30)),
            query_after_seconds=int(settings.get("PAYMENT_QUERY_AFTER_SECONDS", 120)),
            invoice_file_max_bytes=int(settings.get("INVOICE_FILE_MAX_BYTES", 5 * 1024 * 1024)),
            upload_dir=settings.get("UPLOAD_DIR") or "instance/uploads",
        )


_holder = SettingsHolder(PaymentSettings())
configure = _holder.configure
current = _holder.current
