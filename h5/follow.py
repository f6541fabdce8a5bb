"""Asking every bound WeChat user who does not follow the official account to follow it: WeChat
delivers the account's messages (order approved, shipped, an order waiting for your signature)
only to followers, so without it they hear nothing. The prompt shows the account's QR code to
long-press, and says why; "稍后再说" puts it away for a few days."""

from __future__ import annotations

import time

from flask import current_app, g, redirect, request, session, url_for

from app.http import qr_data_uri
from app.notify import reach
from h5.blueprint import bp
from h5.session import HOMES, h5_login, safe_next

LATER_SECONDS = 3 * 24 * 3600


@bp.app_context_processor
def _follow_prompt():
    """`follow`: what the prompt shows ({name, qr, why}), or None when there is nothing to ask."""
    if request.blueprint != "h5":
        return {}
    user = g.get("h5_user")
    if user is None or user.role is None or reach.follows(user):
        return {"follow": None}
    cfg = current_app.config
    link = cfg.get("WECHAT_OA_FOLLOW_URL")
    return {
        "follow": {
            "name": cfg["WECHAT_OA_NAME"],
            "qr": qr_data_uri(link) if link else None,
            "why": WHY.get(user.role, WHY["dealer"]),
            "later": session.get("follow_later", 0) > time.time(),
        }
    }


WHY = {
    "dealer": "订单审核结果、发货和物流单号会通过公众号消息第一时间通知您。",
    "rep": "您为客户下的订单审核、发货进度会通过公众号消息通知您。",
    "staff": "有订单等您审核、审批或发货时，会通过公众号消息提醒您。",
}


@bp.post("/follow/later")
@h5_login()
def follow_later():
    """稍后再说: the prompt on the home page waits a few days (the 我的 page still shows it)."""
    session["follow_later"] = time.time() + LATER_SECONDS
    user = g.h5_user
    return redirect(safe_next(request.form.get("next")) or url_for(HOMES[user.role]))
