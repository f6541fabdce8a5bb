"""Who is calling the admin API: a signed staff token, an active account, a role with the permission."""

from __future__ import annotations

from functools import wraps

from flask import g, request

from app.auth.scopes import require
from app.auth.services import staff_for_token
from app.core.models import Staff
from app.errors import Unauthorized


def staff_required(permission: str | None):
    """A current staff token; with a permission, also a role that has it."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthorized()
            staff = staff_for_token(token)
            if permission is not None:
                require(staff, permission)
            g.staff = staff
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_staff() -> Staff:
    return g.staff
