"""Who is calling the admin API: a signed staff token, an active account, a role with the permission."""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING

from flask import current_app, g, request

from app.auth.scopes import require
from app.auth.services import staff_for_token
from app.errors import Forbidden, Unauthorized
from app.extensions import count_against
from app.integrations import keys

if TYPE_CHECKING:
    from app.core.models import Staff


def staff_required(permission: str | None):
    """A current staff token; with a permission, also a role that has it."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthorized()
            if token.startswith(keys.KEY_START):
                staff = _key_staff(token, permission)
            else:
                staff = staff_for_token(token)
                if permission is not None:
                    require(staff, permission)
            g.staff = staff
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _key_staff(token: str, permission: str | None) -> Staff:
    """An API key: only the endpoints its scopes and its maker's role allow, rate limited per key."""
    key = keys.authenticate(token)
    staff = keys.acting_staff(key)
    if permission is None or not keys.permits(key, permission):
        raise Forbidden("该 API 密钥无权访问此接口", permission=permission)
    require(staff, permission)  # and never more than its maker's role may do
    count_against(current_app.config["RATELIMIT_API_KEYS"], "apikey", key.prefix)
    return staff


def current_staff() -> Staff:
    return g.staff
