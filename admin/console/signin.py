"""Console sign-in and sign-out pages."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for

from admin.console.blueprint import bp
from admin.console.forms import describe, load_form
from admin.console.session import console_login
from admin.schemas import PasswordChangeIn, StaffLoginIn
from app.auth.services import authenticate, change_password
from app.errors import AppError
from app.extensions import client_address, count_against


def _safe_next(target: str | None) -> str:
    """Only paths inside the console: never an open redirect to another site."""
    if target and target.startswith(("/admin", "/api/docs")) and not urlsplit(target).netloc:
        return target
    return url_for("console.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if g.get("staff") is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("console/login.html", next=request.args.get("next", ""))
    try:
        # Only attempts count, and a refused one is answered on the sign-in page itself.
        count_against(current_app.config["RATELIMIT_LOGIN"], "console-login", client_address())
        data = load_form(StaffLoginIn, request.form, only=("username", "password"))
        staff = authenticate(
            data["username"], data["password"], address=request.remote_addr, surface="console"
        )
    except AppError as exc:
        flash(describe(exc), "error")
        return (
            render_template(
                "console/login.html",
                next=request.form.get("next", ""),
                username=request.form.get("username", ""),
            ),
            exc.status,
            exc.headers,
        )
    session.clear()  # a fresh session (new id, new CSRF token) for every sign-in
    session.regenerate()
    now = time.time()
    session.update(staff_id=staff.id, ver=staff.token_version, login_at=now, seen_at=now)
    session.permanent = True
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    session.clear()
    flash("已退出登录", "success")
    return redirect(url_for("console.login"))


@bp.route("/password", methods=["GET", "POST"])
@console_login(None)
def password():
    """Change one's own password; every session of the account ends, this one too."""
    if request.method == "GET":
        return render_template("console/password.html")
    try:
        data = load_form(PasswordChangeIn, request.form)
        change_password(g.staff, data["current_password"], data["new_password"])
    except AppError as exc:
        flash(describe(exc), "error")
        return render_template("console/password.html"), exc.status
    session.clear()
    flash("密码已修改，请用新密码重新登录", "success")
    return redirect(url_for("console.login"))
