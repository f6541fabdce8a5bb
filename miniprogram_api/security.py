"""Who is calling: the signed token names a WeChat user, still bound, in the role the endpoint needs."""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING

from flask import g, request

from app.auth import tokens
from app.errors import Forbidden, Unauthorized
from app.mall import accounts

if TYPE_CHECKING:
    from app.core.models import Customer
    from app.mall.models import WechatUser


def _authenticate() -> WechatUser:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized()
    payload = tokens.verify(token, "mp")
    return accounts.active_user(int(payload["sub"]))


def login_required(*roles: str):
    """Require a valid mini-program token; with roles, also a binding in one of them."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = _authenticate()
            if roles and user.role not in roles:
                if user.role is None:
                    raise Forbidden("请先使用邀请码绑定账号")
                raise Forbidden("当前账号无权使用此功能")
            g.mp_user = user
            return view(*args, **kwargs)

        return wrapper

    return decorator


dealer_required = login_required("dealer")


def current_user() -> WechatUser:
    return g.mp_user


def current_customer() -> Customer:
    return g.mp_user.customer


def actor() -> str:
    return f"wechat:{g.mp_user.id}"


def token_for(user: WechatUser) -> str:
    return tokens.issue("mp", user.id, role=user.role)
