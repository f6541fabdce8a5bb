"""WeChat Pay's notifications (POST /api/pay/wechatpay/notify): a payment or a refund that
WeChat Pay says happened. One counts only when its signature verifies with WeChat Pay's key
chosen by `Wechatpay-Serial`, its timestamp is within 5 minutes, its nonce is new and its
resource decrypts; anything else is refused and changes nothing. The nonce is used in the
transaction that applies the notification: one that fails leaves WeChat Pay's next try to work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from app.adapters.wechatpay import BadNotification, NotConfigured, wechat_pay
from app.db import db
from app.errors import Forbidden, NotFound
from app.notify.nonces import use_once
from app.payments import payments, refunds

log = logging.getLogger(__name__)

FRESH_FOR = 300  # seconds either way: older notifications are refused (replays)


def receive(headers: Mapping[str, str], body: bytes) -> str:
    """Verify and apply one notification; returns its event type.

    Raises: Forbidden (signature, staleness, replay), NotFound (not our payment or refund, or
    WeChat Pay not configured), InvalidState (not what we placed)."""
    try:
        notification = wechat_pay.gateway.verify_notification(headers, body)
    except NotConfigured:
        raise NotFound("未开通微信支付") from None
    except BadNotification as exc:
        log.warning("WeChat Pay notification refused: %s", exc)
        raise Forbidden(f"通知校验失败：{exc}") from None
    if abs(time.time() - notification.timestamp) > FRESH_FOR:
        raise Forbidden("通知已过期", timestamp=notification.timestamp)
    event_type = notification.event_type
    with db.atomic():
        use_once(f"wxpay:{notification.nonce}")
        if event_type.startswith("TRANSACTION."):
            payments.settle(notification.resource)
        elif event_type.startswith("REFUND."):
            refunds.settle(notification.resource)
        else:
            log.info("WeChat Pay notification %s ignored", event_type)
    return event_type
