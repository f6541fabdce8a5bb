"""Who is calling: the signed token names a WeChat user, still bound, in the role the endpoint needs."""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING

from flask import g, request
from werkzeug.exceptions import HTTPException

from app.auth import tokens
from app.errors import AppError, Forbidden, Unauthorized
from app.mall import accounts

if TYPE_CHECKING:
    from app.core.models import Customer
    from app.mall.models import WechatUser


def _verified_subject() -> int:
    """The WeChat user a valid mini-program token names (its signature checked, nothing read).

    Raises: Unauthorized."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized()
    return int(tokens.verify(token, "mp")["sub"])


def _admitted(user: WechatUser, roles: tuple[str, ...]) -> None:
    """The caller, still bound, in one of `roles` (any role when none is named)."""
    if roles and user.role not in roles:
        if user.role is None:
            raise Forbidden("请先使用邀请码绑定账号")
        raise Forbidden("当前账号无权使用此功能")
    g.mp_user = user


def login_required(*roles: str, read_with=None):
    """Require a valid mini-program token; with roles, also a binding in one of them.
    `read_with()` gives subqueries read with the sign-in (`accounts.active_user_reading`): their
    values are `signed_in_also()`."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if read_with is None:
                user = accounts.active_user(_verified_subject())
            else:
                user, g.mp_read_with = accounts.active_user_reading(
                    _verified_subject(), read_with()
                )
            _admitted(user, roles)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def dealer_read_with_the_order(view):
    """`dealer_required` for submitting an order: the token is checked here, and the dealer's
    user and customer are read by the order's first statement, with the key's look-up, and
    admitted there before anything else that statement read is used (`sign_in()`, given to
    `ordering.place_order`). A request refused before that read (a body the schema refuses)
    is answered as `dealer_required` would answer it: a caller no longer bound hears 401, not
    the body's faults."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.mp_sign_in = accounts.SignIn(_verified_subject(), lambda u: _admitted(u, ("dealer",)))
        try:
            return view(*args, **kwargs)
        except (AppError, HTTPException):
            if not g.mp_sign_in.tried:
                g.mp_sign_in.read()
            raise

    return wrapper


def sign_in() -> accounts.SignIn:
    """The caller of a view under `dealer_read_with_the_order`, not read yet."""
    return g.mp_sign_in


dealer_required = login_required("dealer")


def signed_in_also() -> tuple:
    """What the sign-in read for `read_with`, a value per subquery."""
    return g.mp_read_with


def current_user() -> WechatUser:
    return g.mp_user


def current_customer() -> Customer:
    return g.mp_user.customer


def actor() -> str:
    """Who did it, as order events and logs name the caller (read or not yet)."""
    user = g.get("mp_user")
    return f"wechat:{user.id if user is not None else g.mp_sign_in.user_id}"


def token_for(user: WechatUser) -> str:
    return tokens.issue("mp", user.id, role=user.role)
