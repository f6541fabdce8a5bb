"""Staff login."""

from __future__ import annotations

from flask import request

from admin.api.blueprint import StaffBlueprint
from admin.schemas import PasswordChangeIn, StaffLoginIn, StaffLoginOut, StaffOut
from admin.security import current_staff
from app.auth.services import authenticate, staff_token
from app.auth.services import change_password as change_own_password

bp = StaffBlueprint("admin_session", __name__, "员工登录")


@bp.sign_in("/auth/login", "staff-login", StaffLoginIn, StaffLoginOut)
def login(data):
    """A staff token; after 10 failed passwords in 15 minutes the account is locked for 15
    minutes (`account_locked` 429 with Retry-After), console and API alike."""
    staff = authenticate(
        data["username"], data["password"], address=request.remote_addr, surface="api"
    )
    return {"token": staff_token(staff), "staff": staff}


@bp.post("/auth/password")
@bp.staff(None, body=PasswordChangeIn, out=StaffOut)
def change_password(data):
    """Change one's own password: every token and console session of the account, including the
    token used here, stops working; sign in again with the new password."""
    return change_own_password(current_staff(), data["current_password"], data["new_password"])
