"""Console sign-in and sign-out pages."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for

from admin.console.blueprint import bp
from admin.console.forms import describe, load_form
from admin.schemas import StaffLoginIn
from app.auth.services import authenticate
from app.errors import AppError, Unauthorized
from app.extensions import limiter


def _safe_next(target: str | None) -> str:
    """Only paths inside the console: never an open redirect to another site."""
    if target and target.startswith("/admin") and not urlsplit(target).netloc:
        return target
    return url_for("console.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["RATELIMIT_LOGIN"],
    key_func=lambda: f"console-login:{request.remote_addr}",
    methods=["POST"],
)
def login():
    if request.method == "GET":
        if g.get("staff") is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("console/login.html", next=request.args.get("next", ""))
    try:
        data = load_form(StaffLoginIn, request.form, only=("username", "password"))
        staff = authenticate(data["username"], data["password"])
        if staff is None:
            raise Unauthorized("用户名或密码错误")
    except AppError as exc:
        flash(describe(exc), "error")
        return render_template(
            "console/login.html",
            next=request.form.get("next", ""),
            username=request.form.get("username", ""),
        ), exc.status
    session.clear()  # a fresh session (and CSRF token) for every sign-in
    now = time.time()
    session.update(staff_id=staff.id, login_at=now, seen_at=now)
    session.permanent = True
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    session.clear()
    flash("已退出登录", "success")
    return redirect(url_for("console.login"))
