"""Who is using the H5 pages: a WeChat user signed in through the official account's OAuth
(snsapi_base), kept in the server-side session with idle expiry; CSRF on every POST (checked by
the blueprint); a strict Content-Security-Policy; errors shown as pages in words."""

from __future__ import annotations

import secrets
import time
from functools import wraps
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from flask import (
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException

from app.errors import AppError, Unauthorized
from app.http import page_security_headers
from app.mall import accounts, cart
from app.notify import inbox
from h5.blueprint import bp

if TYPE_CHECKING:
    from app.mall.models import WechatUser


@bp.before_request
def _load_user():
    g.h5_user = None
    user_id = session.get("h5_user")
    if user_id is None:
        return
    if time.time() - session.get("h5_seen", 0) > current_app.config["H5_IDLE_MINUTES"] * 60:
        for key in ("h5_user", "h5_seen"):
            session.pop(key, None)
        return
    try:
        # The cart's line count for the navigation's badge, read with the user: no query more.
        g.h5_user, (g.h5_cart_lines,) = accounts.active_user_reading(
            user_id, (cart.lines_of_signed_in(),)
        )
    except Unauthorized as exc:
        # A disabled account or a deactivated customer: say so, rather than sending the browser
        # back through WeChat's OAuth, which would sign the same person in again, and again.
        session.pop("h5_user", None)
        return render_template("h5/error.html", message=exc.message), exc.status
    session["h5_seen"] = time.time()


@bp.after_request
def _security_headers(response):
    response.headers.setdefault("Cache-Control", "no-store")  # a shared phone keeps no pages
    return page_security_headers(response)


@bp.app_context_processor
def _unread():
    """The unread badge in the dealer's navigation and on the rep's home page; the cart's line
    count on the 购物车 tab."""
    if request.blueprint != "h5":
        return {}
    user = g.get("h5_user")
    if user is None or user.role not in ("dealer", "rep"):
        return {"unread": 0, "cart_lines": 0}
    return {
        "unread": inbox.unread_count(inbox.Owner.of(user)),
        "cart_lines": g.get("h5_cart_lines") or 0,
    }


@bp.errorhandler(AppError)
def _app_error(exc: AppError):
    return render_template("h5/error.html", message=exc.message), exc.status, exc.headers


@bp.errorhandler(HTTPException)
def http_error_page(exc: HTTPException):
    messages = {404: "页面不存在", 400: "请求无效，请刷新页面后重试", 405: "不支持的操作"}
    message = messages.get(exc.code, "请求无法完成，请稍后再试")
    response = make_response(render_template("h5/error.html", message=message), exc.code)
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    response.headers.setdefault("Cache-Control", "no-store")
    return page_security_headers(response)


def safe_next(target: str | None) -> str:
    """Only our own H5 paths: never an open redirect."""
    if target and target.startswith("/h5") and not urlsplit(target).netloc:
        return target
    return url_for("h5.home")


def oauth_redirect(next_path: str):
    """Send the browser to WeChat's OAuth page (snsapi_base: silent, no consent screen); it comes
    back to /h5/oauth with a code and the state we remember for this browser."""
    state = secrets.token_hex(8)
    session["h5_oauth"] = {"state": state, "next": safe_next(next_path)}
    cfg = current_app.config
    query = urlencode(
        {
            "appid": cfg["WECHAT_OA_APPID"],
            # From the configured address, never the Host header a request brought.
            "redirect_uri": f"{cfg['H5_BASE_URL']}/oauth",
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
        }
    )
    base = cfg["WECHAT_OPEN_BASE_URL"].rstrip("/")
    return redirect(f"{base}/connect/oauth2/authorize?{query}#wechat_redirect")


def sign_in(user: WechatUser) -> None:
    session.pop("h5_oauth", None)
    session.regenerate()  # a new session id once signed in
    session["h5_user"] = user.id
    session["h5_seen"] = time.time()


# Where each kind of user starts.
HOMES = {"dealer": "h5.home", "rep": "h5.rep_home", "staff": "h5.staff_home"}


def h5_login(*roles: str):
    """Signed in through WeChat (else off to OAuth and back to this page); with roles, bound in
    one of them (else to the binding page)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = g.get("h5_user")
            if user is None:
                return oauth_redirect(request.full_path.rstrip("?"))
            if roles and user.role not in roles:
                if user.role is None:
                    return redirect(url_for("h5.bind"))
                return redirect(url_for(HOMES.get(user.role, "h5.home")))
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_user() -> WechatUser:
    return g.h5_user


def low_threshold() -> int:
    return current_app.config["LOW_STOCK_THRESHOLD"]
