"""Staff account use cases: create with a hashed password, verify a login."""

from __future__ import annotations

from peewee import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.permissions import DATA_SCOPES, ROLES
from app.core.models import Branch, Staff
from app.db import db
from app.errors import Conflict, NotFound, ValidationFailed

MIN_PASSWORD_LENGTH = 8


def create_staff(
    username: str,
    password: str,
    role: str,
    *,
    name: str = "",
    branch_id: int | None = None,
    data_scope: str | None = None,
    phone: str = "",
) -> Staff:
    """Create a staff account; the password is stored only as a salted hash.

    Raises: ValidationFailed (role, scope, short password), NotFound (branch), Conflict (username).
    """
    if role not in ROLES:
        raise ValidationFailed("角色无效", role=[f"须为 {', '.join(ROLES)} 之一"])
    # Defaults: reps see their own customers, branch staff their branch, HQ staff everything.
    scope = data_scope or ("own" if role == "rep" else "branch" if branch_id else "all")
    if scope not in DATA_SCOPES:
        raise ValidationFailed("数据范围无效", data_scope=["须为 all、branch 或 own"])
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed("密码至少 8 位", password=["密码至少 8 位"])
    if scope == "branch" and branch_id is None:
        raise ValidationFailed("按分支机构授权的员工须指定分支机构", branch_id=["必填"])
    with db.atomic():
        if branch_id is not None and Branch.get_or_none(Branch.id == branch_id) is None:
            raise NotFound("分支机构不存在", branch_id=branch_id)
        try:
            with db.atomic():
                return Staff.create(
                    username=username,
                    password_hash=generate_password_hash(password, _hash_method()),
                    name=name or username,
                    role=role,
                    branch=branch_id,
                    data_scope=scope,
                    phone=phone,
                )
        except IntegrityError:
            raise Conflict("用户名已存在", username=username) from None


# scrypt by default; the test suite configures a cheaper method to stay fast.
_settings = {"hash_method": "scrypt"}


def configure(password_hash_method: str) -> None:
    _settings["hash_method"] = password_hash_method


def _hash_method() -> str:
    return _settings["hash_method"]


# Checked against when the username is unknown, so both answers take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def authenticate(username: str, password: str) -> Staff | None:
    staff = Staff.get_or_none((Staff.username == username) & Staff.active)
    if staff is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return staff if check_password_hash(staff.password_hash, password) else None


def set_active(staff_id: int, active: bool, by: Staff) -> Staff:
    """Disable or re-enable an account; a disabled account's tokens and sessions stop working.

    Raises: NotFound, ValidationFailed (disabling oneself).
    """
    if staff_id == by.id and not active:
        raise ValidationFailed("不能停用自己的账号")
    with db.atomic():
        if not Staff.update(active=active).where(Staff.id == staff_id).execute():
            raise NotFound("员工不存在", staff_id=staff_id)
        return Staff.get_by_id(staff_id)
