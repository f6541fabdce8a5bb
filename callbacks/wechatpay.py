"""WeChat Pay's notifications: POST /api/pay/wechatpay/notify (payments and refunds).

WeChat Pay reads only the status: 204 takes the notification; anything else (4xx here, with the
error envelope) makes it send again on its schedule, which a forged or stale one never passes."""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.payments import notifications

bp = Blueprint("wechatpay", __name__)


@bp.post("/api/pay/wechatpay/notify")
def notify():
    notifications.receive(request.headers, request.get_data(cache=False))
    return Response(status=204)
