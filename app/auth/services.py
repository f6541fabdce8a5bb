"""Staff account use cases: create (never granting more than the creator holds), sign in with
lockout and an audit of every attempt, disable, change passwords, and revoke every token and
session at once through a per-staff token version."""

from __future__ import annotations

import datetime as dt

from peewee import Case, IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth import tokens
from app.auth.models import LoginAttempt
from app.auth.permissions import DATA_SCOPES, ROLES
from app.auth.scopes import require, require_grant, staff_in_scope
from app.core.models import Branch, Staff
from app.db import db, utcnow
from app.errors import AccountLocked, Conflict, NotFound, Unauthorized, ValidationFailed
from app.events import StaffSignedOut, emit

MIN_PASSWORD_LENGTH = 8
# After this many failed passwords for one account within the window, from any address, the
# account is locked for LOCKED_FOR (console and API alike); an admin can unlock it earlier.
MAX_FAILURES = 10
FAILURE_WINDOW = dt.timedelta(minutes=15)
LOCKED_FOR = dt.timedelta(minutes=15)


def default_scope(role: str, branch_id: int | None) -> str:
    """Reps see their own customers, branch staff their branch, HQ staff everything."""
    return "own" if role == "rep" else "branch" if branch_id else "all"


def create_staff(
    username: str,
    password: str,
    role: str,
    *,
    name: str = "",
    branch_id: int | None = None,
    data_scope: str | None = None,
    phone: str = "",
    by: Staff | None = None,
) -> Staff:
    """Create a staff account; the password is stored only as a salted hash. `by`: the staff
    member creating it (None only for the command line and the demo seed).

    Raises: ValidationFailed (role, scope, short password), NotFound (branch), Conflict
    (username), Forbidden (a role, scope or branch above the creator's).
    """
    scope = _checked_scope(role, data_scope, branch_id)
    _check_password(password)
    if by is not None:
        require(by, "staff.manage")
        require_grant(by, role, scope, branch_id)
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


def _checked_scope(role: str, data_scope: str | None, branch_id: int | None) -> str:
    """The data scope a role gets (its default when none is given). Raises: ValidationFailed."""
    if role not in ROLES:
        raise ValidationFailed("角色无效", role=[f"须为 {', '.join(ROLES)} 之一"])
    scope = data_scope or default_scope(role, branch_id)
    if scope not in DATA_SCOPES:
        raise ValidationFailed("数据范围无效", data_scope=["须为 all、branch 或 own"])
    if scope == "branch" and branch_id is None:
        raise ValidationFailed("按分支机构授权的员工须指定分支机构", branch_id=["必填"])
    return scope


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed("密码至少 8 位", password=["密码至少 8 位"])


# scrypt by default; the test suite configures a cheaper method to stay fast.
_settings = {"hash_method": "scrypt"}


def configure(password_hash_method: str) -> None:
    _settings["hash_method"] = password_hash_method


def _hash_method() -> str:
    return _settings["hash_method"]


# Checked against when the username is unknown, so both answers take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def authenticate(username: str, password: str, *, address: str = "", surface: str = "api") -> Staff:
    """Check a password; every attempt is audited. Each check of an account's password is first
    claimed by one guarded UPDATE, counted as a failure until it succeeds: racing attempts can
    never check more than MAX_FAILURES passwords between them before the lock lands, and a
    locked account is refused before its password is checked, so guessing on learns nothing.

    Raises: AccountLocked (429, with how many seconds remain), Unauthorized.
    """
    now = utcnow()
    staff = Staff.get_or_none(Staff.username == username)
    if staff is None or not staff.active:
        check_password_hash(_DUMMY_HASH, password)
        _audit(username, staff, address, surface, succeeded=False)
        raise Unauthorized("用户名或密码错误")
    if not _claim_attempt(staff.id, now):
        _audit(username, staff, address, surface, succeeded=False)
        raise AccountLocked(_seconds_locked(staff.id, now))
    if not check_password_hash(staff.password_hash, password):
        _audit(username, staff, address, surface, succeeded=False)
        _lock_if_spent(staff.id, now)
        raise Unauthorized("用户名或密码错误")
    with db.atomic():
        _audit(username, staff, address, surface, succeeded=True)
        Staff.update(failed_logins=0, failures_reset_at=now).where(Staff.id == staff.id).execute()
    return staff


def _audit(username: str, staff: Staff | None, address: str, surface: str, succeeded: bool):
    LoginAttempt.create(
        username=username[:64],
        staff=staff.id if staff else None,
        address=(address or "")[:64],
        surface=surface,
        succeeded=succeeded,
    )


def _claim_attempt(staff_id: int, now: dt.datetime) -> bool:
    """Count one password check against the account, unless it is locked or its failures in the
    window are spent. One guarded UPDATE: concurrent claims are serialised on the row."""
    window_over = Staff.failures_reset_at.is_null() | (
        Staff.failures_reset_at <= now - FAILURE_WINDOW
    )
    claimed = (
        Staff.update(
            failed_logins=Case(None, [(window_over, 1)], Staff.failed_logins + 1),
            failures_reset_at=Case(None, [(window_over, now)], Staff.failures_reset_at),
        )
        .where(
            (Staff.id == staff_id)
            & (Staff.locked_until.is_null() | (Staff.locked_until <= now))
            & (window_over | (Staff.failed_logins < MAX_FAILURES))
        )
        .execute()
    )
    if not claimed:
        _lock_if_spent(staff_id, now)
    return bool(claimed)


def _lock_if_spent(staff_id: int, now: dt.datetime) -> None:
    """The window's failures are spent: lock the account; counting starts afresh after it."""
    Staff.update(locked_until=now + LOCKED_FOR, failed_logins=0, failures_reset_at=now).where(
        (Staff.id == staff_id)
        & (Staff.failed_logins >= MAX_FAILURES)
        & (Staff.locked_until.is_null() | (Staff.locked_until <= now))
    ).execute()


def _seconds_locked(staff_id: int, now: dt.datetime) -> int:
    locked_until = Staff.select(Staff.locked_until).where(Staff.id == staff_id).scalar()
    if locked_until is None or locked_until <= now:
        return int(LOCKED_FOR.total_seconds())
    return int((locked_until - now).total_seconds()) + 1


def unlock(staff_id: int, by: Staff) -> Staff:
    """An admin lifts a lockout early; earlier failures no longer count."""
    require(by, "staff.manage")
    target = staff_in_scope(by, staff_id)
    require_grant(by, target.role, target.data_scope, target.branch_id)
    with db.atomic():
        Staff.update(locked_until=None, failed_logins=0, failures_reset_at=utcnow()).where(
            Staff.id == staff_id
        ).execute()
        return Staff.get_by_id(staff_id)


def _revoke(staff_id: int, **changes) -> None:
    """Bump the token version with `changes`: every older API token, console session and API key
    of the account stops working; StaffSignedOut ends its WeChat bindings too (the rep's
    mini-program token and H5 pages then carry no role): a new binding takes a new invitation."""
    Staff.update(token_version=Staff.token_version + 1, **changes).where(
        Staff.id == staff_id
    ).execute()
    emit(StaffSignedOut(staff_id))


def set_active(staff_id: int, active: bool, by: Staff) -> Staff:
    """Disable or re-enable an account in the caller's scope; either way every older token and
    session of it stops working at once.

    Raises: NotFound (also outside the scope), Forbidden, ValidationFailed (disabling oneself).
    """
    require(by, "staff.manage")
    if staff_id == by.id and not active:
        raise ValidationFailed("不能停用自己的账号")
    target = staff_in_scope(by, staff_id)
    require_grant(by, target.role, target.data_scope, target.branch_id)
    with db.atomic():
        _revoke(staff_id, active=active)
        return Staff.get_by_id(staff_id)


def reset_password(staff_id: int, new: str, by: Staff) -> Staff:
    """An admin sets a new password for a staff member in their scope who forgot theirs: every
    older token and session of that account stops working, and a lockout is lifted.

    Raises: NotFound (also outside the scope), Forbidden, ValidationFailed (short password).
    """
    require(by, "staff.manage")
    target = staff_in_scope(by, staff_id)
    require_grant(by, target.role, target.data_scope, target.branch_id)
    _check_password(new)
    with db.atomic():
        _revoke(
            staff_id,
            password_hash=generate_password_hash(new, _hash_method()),
            locked_until=None,
            failures_reset_at=utcnow(),
        )
        return Staff.get_by_id(staff_id)


def change_role(
    staff_id: int, role: str, by: Staff, *, data_scope: str | None, branch_id: int | None
) -> Staff:
    """An admin changes a staff member's role, data scope and branch — never to more than their
    own, never their own account; the old permissions end with every older token and session.

    Raises: NotFound (staff or branch; also outside the scope), Forbidden, ValidationFailed.
    """
    require(by, "staff.manage")
    if staff_id == by.id:
        raise ValidationFailed("不能修改自己的角色")
    scope = _checked_scope(role, data_scope, branch_id)
    target = staff_in_scope(by, staff_id)
    require_grant(by, target.role, target.data_scope, target.branch_id)
    require_grant(by, role, scope, branch_id)
    with db.atomic():
        if branch_id is not None and Branch.get_or_none(Branch.id == branch_id) is None:
            raise NotFound("分支机构不存在", branch_id=branch_id)
        _revoke(staff_id, role=role, data_scope=scope, branch=branch_id)
        return Staff.get_by_id(staff_id)


def change_password(staff: Staff, current: str, new: str) -> Staff:
    """A staff member changes their own password: every token and session, including the one
    used for this, stops working; they sign in again. Raises: Unauthorized, ValidationFailed."""
    if not check_password_hash(staff.password_hash, current):
        raise Unauthorized("当前密码不正确")
    _check_password(new)
    with db.atomic():
        _revoke(staff.id, password_hash=generate_password_hash(new, _hash_method()))
        return Staff.get_by_id(staff.id)


def active_staff(staff_id: int) -> Staff | None:
    """The staff member with this id, unless disabled."""
    return Staff.get_or_none((Staff.id == staff_id) & Staff.active)


def staff_token(staff: Staff) -> str:
    """A signed, expiring API token for this staff member, bound to their token version."""
    return tokens.issue("staff", staff.id, role=staff.role, ver=staff.token_version)


def staff_for_token(token: str) -> Staff:
    """The active staff member a token names, if the token is still current.

    Raises: Unauthorized (bad or expired token, disabled account, revoked token)."""
    payload = tokens.verify(token, "staff")
    staff = Staff.get_or_none((Staff.id == int(payload["sub"])) & Staff.active)
    if staff is None:
        raise Unauthorized("账号已停用，请联系管理员")
    if payload.get("ver") != staff.token_version:
        raise Unauthorized("登录已失效，请重新登录")
    return staff
