"""Dealer and rep accounts: WeChat login, invitations, binding a WeChat user to a customer or a rep."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable

from app.core.models import Customer, Staff
from app.db import columns_of, execute, from_row, is_postgres, transaction, utcnow
from app.errors import InvalidInvitation, NotFound, Unauthorized, ValidationFailed
from app.events import StaffSignedOut
from app.mall.models import Invitation, WechatUser
from app.notify import inbox
from app.wechat import gateway

# No 0/O, 1/I/L: codes are read aloud over the phone and typed on small screens.
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INVITE_LENGTH = 8
INVITE_TTL = dt.timedelta(days=7)


# A login in one statement written once (both engines): the user made on their first login, or
# their session key and last login renewed, and the row as it now stands.
_LOGIN = (
    "INSERT INTO wechat_user"
    " (openid, unionid, session_key, follows_oa, nickname, created_at, last_login_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (openid) DO UPDATE"
    " SET session_key = excluded.session_key, last_login_at = excluded.last_login_at"
    " RETURNING " + ", ".join(f'"{f.column_name}"' for f in WechatUser._meta.sorted_fields)
)


def login(js_code: str) -> WechatUser:
    """Log in with a wx.login code: find or create the WeChat user; session_key stays here.

    On PostgreSQL the user is written and read back with their customer (a dealer's: the answer
    names it) in one statement, which needs no transaction of its own; SQLite reads the customer
    in a second one.

    Raises: InvalidLoginCode, WeChatUnavailable.
    """
    wx = gateway.code_to_session(js_code)
    now = WechatUser.last_login_at.db_value(utcnow())
    params = [wx.openid, wx.unionid, wx.session_key, False, "", now, now]
    if is_postgres():
        user = signed_in(execute(_LOGIN_WITH_CUSTOMER, params).fetchone())
    else:
        user = from_row(WechatUser, execute(_LOGIN, params).fetchone())
        if user.role == "dealer" and user.customer_id is not None:
            user.customer = from_row(Customer, execute(_CUSTOMER, [user.customer_id]).fetchone())
    if wx.unionid and user.unionid != wx.unionid:  # learnt after the first login: kept
        user.unionid = wx.unionid
        user.save(only=[WechatUser.unionid])
    return user


_CUSTOMER = f"SELECT {columns_of(Customer, 'c')} FROM customer c WHERE c.id = %s"


def create_invitation(
    role: str,
    *,
    customer_id: int | None = None,
    staff_id: int | None = None,
    created_by: int | None = None,
    ttl: dt.timedelta = INVITE_TTL,
) -> Invitation:
    """A single-use code binding a WeChat user as a dealer of a customer, as a rep, or as
    another staff member (role "staff": WeChat messages and the staff pages on the phone).

    Raises: ValidationFailed (role), NotFound (customer or staff member).
    """
    with transaction():
        if role == "dealer":
            if not Customer.select().where(Customer.id == customer_id, Customer.active).exists():
                raise NotFound("客户不存在", customer_id=customer_id)
            staff_id = None
        elif role in ("rep", "staff"):
            person = Staff.get_or_none(Staff.id == staff_id)
            if person is None or not person.active or (person.role == "rep") != (role == "rep"):
                raise NotFound("业务员不存在" if role == "rep" else "员工不存在", staff_id=staff_id)
            customer_id = None
        else:
            raise ValidationFailed("邀请角色无效", role=["须为 dealer、rep 或 staff"])
        code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
        return Invitation.create(
            code=code,
            role=role,
            customer=customer_id,
            staff=staff_id,
            created_by=created_by,
            expires_at=utcnow() + ttl,
        )


def bind(wechat_user_id: int, invite_code: str) -> WechatUser:
    """Use an invitation: the code is taken by one guarded UPDATE, so it binds exactly once.

    Raises: InvalidInvitation (unknown, used or expired).
    """
    code = invite_code.strip().upper()
    now = utcnow()
    with transaction():
        taken = (
            Invitation.update(used_at=now, used_by=wechat_user_id)
            .where(
                (Invitation.code == code)
                & Invitation.used_at.is_null()
                & (Invitation.expires_at > now)
            )
            .execute()
        )
        if not taken:
            raise _why_not(code, now)
        invitation = Invitation.get(Invitation.code == code)
        user = WechatUser.get_by_id(wechat_user_id)
        user.role = invitation.role
        user.customer = invitation.customer_id
        user.staff = invitation.staff_id
        user.save(only=[WechatUser.role, WechatUser.customer, WechatUser.staff])
        return user


def end_bindings(*, customer_id: int | None = None, staff_id: int | None = None) -> int:
    """Every WeChat user bound to this customer (its dealers) or this staff member loses the
    binding, in the caller's transaction: their tokens and H5 sessions then carry no role."""
    if customer_id is not None:
        bound = WechatUser.customer == customer_id
    elif staff_id is not None:
        bound = WechatUser.staff == staff_id
    else:
        raise ValueError("end_bindings needs a customer or a staff member")
    return WechatUser.update(role=None, customer=None, staff=None).where(bound).execute()


def staff_signed_out(event: StaffSignedOut) -> None:
    """A staff member's credentials ended: so do their WeChat bindings."""
    end_bindings(staff_id=event.staff_id)


def unbind(wechat_user_id: int) -> WechatUser:
    """One WeChat user loses its binding (a lost phone): it can sign in to WeChat, but is no one
    here until it binds again with a new invitation. Raises: NotFound."""
    with transaction():
        user = WechatUser.get_or_none(WechatUser.id == wechat_user_id)
        if user is None or user.role is None:
            raise NotFound("微信用户不存在或未绑定", wechat_user_id=wechat_user_id)
        WechatUser.update(role=None, customer=None, staff=None).where(
            WechatUser.id == wechat_user_id
        ).execute()
        return WechatUser.get_by_id(wechat_user_id)


def _why_not(code: str, now) -> InvalidInvitation:
    """Say in words why a code did not bind: unknown, already used, or expired."""
    found = Invitation.get_or_none(Invitation.code == code)
    if found is None:
        return InvalidInvitation("邀请码不存在，请核对后重新输入", reason="unknown")
    if found.used_at is not None:
        return InvalidInvitation("该邀请码已被使用，请联系客服重新获取", reason="used")
    return InvalidInvitation("该邀请码已过期，请联系客服重新获取", reason="expired")


def grant_subscriptions(wechat_user_id: int, template_ids: list[str], offered) -> list:
    """Count one more allowed subscribe message per accepted template; returns what remains.
    Raises: ValidationFailed (a template not among those `offered` to the mini-program)."""
    from app.mall.models import SubscribeGrant

    unknown = [t for t in dict.fromkeys(template_ids) if t not in set(offered)]
    if unknown:
        raise ValidationFailed(
            "订阅的消息模板不是本应用提供的模板，请先获取模板列表再订阅", template_ids=unknown
        )
    with transaction():
        for template_id in dict.fromkeys(template_ids):
            (
                SubscribeGrant.insert(
                    wechat_user=wechat_user_id,
                    template_id=template_id,
                    remaining=1,
                    updated_at=utcnow(),
                )
                .on_conflict(
                    conflict_target=[SubscribeGrant.wechat_user, SubscribeGrant.template_id],
                    update={SubscribeGrant.remaining: SubscribeGrant.remaining + 1},
                )
                .execute()
            )
        return list(
            SubscribeGrant.select().where(
                (SubscribeGrant.wechat_user == wechat_user_id)
                & (SubscribeGrant.template_id << template_ids)
            )
        )


# Read on every signed-in request: written once. An order's first statement selects the same
# columns from the same tables (app/mall/ordering.py), and `signed_in` reads either row.
SIGNED_IN_COLUMNS = f"{columns_of(WechatUser, 'u')}, {columns_of(Customer, 'c')}"
SIGNED_IN_FROM = "wechat_user u LEFT JOIN customer c ON c.id = u.customer_id"
SIGNED_IN_WIDTH = len(WechatUser._meta.sorted_fields) + len(Customer._meta.sorted_fields)
_USER_WITH_CUSTOMER = f"SELECT {SIGNED_IN_COLUMNS} FROM {SIGNED_IN_FROM} WHERE u.id = %s"
_USER_COLUMNS = len(WechatUser._meta.sorted_fields)
# The login and the dealer's customer, on PostgreSQL (a data-modifying WITH): as the sign-in
# reads them (`signed_in`).
_LOGIN_WITH_CUSTOMER = (
    f"WITH u AS ({_LOGIN}) SELECT {SIGNED_IN_COLUMNS}"
    " FROM u LEFT JOIN customer c ON c.id = u.customer_id AND u.role = 'dealer'"
)


def signed_in(row) -> WechatUser | None:
    """The user of a row of SIGNED_IN_COLUMNS (None for no row), with their customer if bound."""
    if row is None:
        return None
    user = from_row(WechatUser, row[:_USER_COLUMNS])
    if row[_USER_COLUMNS] is not None:
        user.customer = from_row(Customer, row[_USER_COLUMNS:SIGNED_IN_WIDTH])
    return user


def active_user(wechat_user_id: int) -> WechatUser:
    """The WeChat user behind a token, still bound to an active customer or rep.

    Raises: Unauthorized when the user is gone or the binding no longer holds.
    """
    return still_bound(signed_in(execute(_USER_WITH_CUSTOMER, [wechat_user_id]).fetchone()))


def active_user_reading(wechat_user_id: int, also: tuple[str, ...]) -> tuple[WechatUser, tuple]:
    """`active_user`, and the values of `also`, scalar subqueries that may name the user `u` and
    their customer `c`, read in the same statement: what the endpoint needs next, one round trip
    less.

    Raises: Unauthorized."""
    extra = "".join(f", ({sql})" for sql in also)
    sql = f"SELECT {SIGNED_IN_COLUMNS}{extra} FROM {SIGNED_IN_FROM} WHERE u.id = %s"
    row = execute(sql, [wechat_user_id]).fetchone()
    user = still_bound(signed_in(row))  # raises for no row
    return user, tuple(row[SIGNED_IN_WIDTH:])


def still_bound(user: WechatUser | None) -> WechatUser:
    """`active_user`'s checks on a user already read (None: no such user).

    Raises: Unauthorized."""
    if user is None:
        raise Unauthorized("登录凭证无效，请重新登录")
    if user.role == "dealer" and (user.customer is None or not user.customer.active):
        raise Unauthorized("账号已停用，请联系客服")
    if user.role in ("rep", "staff") and (user.staff is None or not user.staff.active):
        raise Unauthorized("账号已停用，请联系管理员")
    return user


class SignIn:
    """A caller known so far by a verified token alone, whose user (with their customer) the
    first statement of the request's work reads (`SIGNED_IN_COLUMNS` from `SIGNED_IN_FROM`),
    saving the sign-in a round trip of its own. `admit` takes the row, checks it as
    `active_user` does and as the endpoint requires (`admit_with`: its role), and returns the
    user; `read` reads it alone, where no such statement comes first."""

    def __init__(self, user_id: int, admit_with: Callable[[WechatUser], None]):
        self.user_id = user_id
        self._admit_with = admit_with
        self.tried = False  # whether the user was read and checked (admitted or refused)

    def admit(self, row) -> WechatUser:
        """Raises: Unauthorized, and what `admit_with` raises (Forbidden)."""
        self.tried = True
        user = still_bound(signed_in(row))
        self._admit_with(user)
        return user

    def read(self) -> WechatUser:
        return self.admit(execute(_USER_WITH_CUSTOMER, [self.user_id]).fetchone())


# What the home screen (/me) shows beside the user, read with the sign-in
# (`active_user_reading`): their customer's branch name (None for anyone but a dealer) and how
# many of their inbox's messages are unread (none for a user bound to no one).
HOME = (
    "SELECT name FROM branch WHERE id = c.branch_id AND u.role = 'dealer'",
    inbox.unread_of_signed_in(),
)
