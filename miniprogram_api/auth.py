"""Login with WeChat, bind by invitation, who am I."""

from __future__ import annotations

from app.api import Blueprint
from app.extensions import client_address, limited
from app.mall import accounts
from app.notify.settings import current as notify_settings
from app.wechat import official_account
from miniprogram_api.schemas import (
    BindIn,
    BindOut,
    LoginIn,
    LoginOut,
    MeOut,
    SubscriptionsIn,
    SubscriptionsOut,
)
from miniprogram_api.security import current_user, login_required, signed_in_also, token_for

bp = Blueprint("mp_auth", __name__, url_prefix="/api/mp/v1", description="登录与绑定")


def _signed_in(user) -> dict:
    return {
        "token": token_for(user),
        "bound": user.role is not None,
        "role": user.role,
        "customer": user.customer if user.role == "dealer" else None,
    }


@bp.sign_in("/auth/login", "mp-login", LoginIn, LoginOut)
def login(data):
    """Exchange a wx.login code for our token (session_key never leaves the server)."""
    return _signed_in(accounts.login(data["code"]))


@bp.sign_in("/auth/oauth", "mp-oauth", LoginIn, LoginOut)
def oauth_login(data):
    """H5 pages: exchange the official account's OAuth code for our token. The same person as in
    the mini-program (same unionid) gets the same account and binding."""
    return _signed_in(official_account.login_h5(data["code"]))


@bp.post("/subscriptions")
@login_required("dealer", "rep")
@bp.arguments(SubscriptionsIn)
@bp.response(200, SubscriptionsOut)
def grant_subscriptions(data):
    """After wx.requestSubscribeMessage: each accepted template allows one more message."""
    offered = notify_settings().subscribe_templates.values()
    return {"items": accounts.grant_subscriptions(current_user().id, data["template_ids"], offered)}


@bp.post("/auth/bind")
@limited("RATELIMIT_LOGIN", "mp-bind", key=client_address)
@login_required()
@bp.arguments(BindIn)
@bp.response(200, BindOut)
def bind(data):
    """Bind this WeChat user to a customer (dealer) or a rep with a single-use invitation code."""
    user = accounts.bind(current_user().id, data["invite_code"])
    return {
        "token": token_for(user),
        "role": user.role,
        "customer": user.customer,
        "staff": user.staff,
    }


@bp.get("/me")
@login_required(read_with=lambda: accounts.HOME)
@bp.response(200, MeOut)
def me():
    user = current_user()
    customer = user.customer if user.role == "dealer" else None
    branch_name, unread = signed_in_also()
    return {
        "role": user.role,
        "bound": user.role is not None,
        "customer": customer
        and {
            "id": customer.id,
            "code": customer.code,
            "name": customer.name,
            "price_level": customer.price_level,
            "price_level_name": f"{customer.price_level}级价",
            "settlement_method": customer.settlement_method,
            "branch_name": branch_name,
        },
        "staff": user.staff if user.role == "rep" else None,
        "unread": unread,
    }
