"""What the worker does for payments (app/worker.py schedules it): WeChat Pay asked about what
it did not tell us, and yesterday's trade bill fetched and reconciled."""

from __future__ import annotations

from app.adapters.wechatpay import wechat_pay
from app.payments import payments, refunds
from app.payments.reconciliation import fetch_yesterday

__all__ = ["fetch_yesterday", "settle_due"]


def settle_due() -> dict:
    """Pending payments past their wait for a notification, and refunds not finished."""
    if not wechat_pay.gateway.configured:
        return {}
    return {"payments": payments.settle_pending(), "refunds": refunds.settle_processing()}
