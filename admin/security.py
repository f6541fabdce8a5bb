"""Who is calling the admin API: a signed staff token, an active account, a role with the permission."""

from __future__ import annotations

from functools import wraps

from flask import g, request

from app.auth import tokens
from app.auth.scopes import require
from app.core.models import Staff
from app.errors import Unauthorized


def staff_required(permission: str):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthorized()
            payload = tokens.verify(token, "staff")
            staff = Staff.get_or_none((Staff.id == int(payload["sub"])) & Staff.active)
            if staff is None:
                raise Unauthorized("账号已停用，请联系管理员")
            require(staff, permission)
            g.staff = staff
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_staff() -> Staff:
    return g.staff
