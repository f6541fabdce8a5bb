"""Signing in through the official account's OAuth, and binding a WeChat user with an invitation."""

from __future__ import annotations

from flask import current_app, g, redirect, render_template, request, session, url_for

from app.errors import AppError, Forbidden, ValidationFailed
from app.extensions import client_address, count_against, limited
from app.mall import accounts
from app.wechat import official_account
from h5.blueprint import bp
from h5.session import HOMES, h5_login, oauth_redirect, safe_next, sign_in


@bp.get("/oauth")
@limited("RATELIMIT_LOGIN", "h5-oauth", key=client_address)
def oauth_callback():
    """WeChat sends the browser back here with a code for the user it knows."""
    pending = session.get("h5_oauth") or {}
    if not pending or request.args.get("state") != pending.get("state"):
        # Not the sign-in this browser started (an old link, or someone else's): start afresh.
        if g.get("h5_user") is not None:
            return redirect(safe_next(pending.get("next")))
        return oauth_redirect(pending.get("next") or url_for("h5.home"))
    code = request.args.get("code", "")
    if not code or len(code) > 128:
        raise Forbidden("微信授权失败，请重新打开页面")
    user = official_account.login_h5(code)
    accounts.active_user(user.id)  # Unauthorized (a page in words) for a disabled account
    sign_in(user)
    return redirect(pending["next"])


@bp.route("/bind", methods=["GET", "POST"])
@h5_login()
def bind():
    """Bind this WeChat user to a customer (or as a rep) with an invitation code; the code comes
    prefilled from the welcome message's link or the invitation QR code."""
    user = g.h5_user
    code = (
        request.form.get("code") if request.method == "POST" else request.args.get("code")
    ) or ""
    if request.method == "GET":
        return render_template("h5/bind.html", code=code.strip(), user=user, error=None)
    try:
        # Only attempts count; a refused one is answered on the binding page itself.
        count_against(current_app.config["RATELIMIT_LOGIN"], "h5-bind", client_address())
        if not code.strip() or len(code) > 32:
            raise ValidationFailed("请输入邀请码")
        bound = accounts.bind(user.id, code)
    except AppError as exc:
        page = render_template("h5/bind.html", code=code, user=user, error=exc.message)
        return page, 429 if exc.status == 429 else 422, exc.headers
    return redirect(url_for(HOMES.get(bound.role, "h5.home"), bound=1))
