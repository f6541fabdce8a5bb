"""Staff login."""

from __future__ import annotations

from flask import current_app, request

from admin.schemas import StaffLoginIn, StaffLoginOut
from app.api import Blueprint
from app.auth import tokens
from app.auth.services import authenticate
from app.errors import Unauthorized
from app.extensions import limiter

bp = Blueprint("admin_session", __name__, url_prefix="/api/admin/v1", description="员工登录")


@bp.post("/auth/login")
@limiter.limit(
    lambda: current_app.config["RATELIMIT_LOGIN"],
    key_func=lambda: f"staff-login:{request.remote_addr}",
)
@bp.arguments(StaffLoginIn)
@bp.response(200, StaffLoginOut)
@bp.doc(security=[])  # public: this is how a token is obtained
def login(data):
    staff = authenticate(data["username"], data["password"])
    if staff is None:
        raise Unauthorized("用户名或密码错误")
    return {"token": tokens.issue("staff", staff.id, role=staff.role), "staff": staff}
