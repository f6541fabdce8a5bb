"""How a dealer can be reached, and the invitation SMS (邀请短信) that brings them in."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from app.core.models import Customer
from app.db import transaction, utcnow
from app.errors import RateLimited, SmsUnavailable, ValidationFailed
from app.mall import accounts
from app.mall.models import Invitation, SubscribeGrant, WechatUser
from app.notify import channels
from app.notify.models import SmsQuota
from app.notify.settings import NotifySettings, current
from app.timeutil import local_today


@dataclass(frozen=True)
class Reach:
    """One bound WeChat user of a customer, and the channels that reach them."""

    user: WechatUser
    follows_oa: bool
    grants: dict[str, int]  # subscribe template's name (templates.SUBSCRIBE_LABELS) → messages left


def reachability(customer: Customer, settings: NotifySettings | None = None) -> dict:
    """What the customer page shows: each dealer user's follow and subscribe grants, the phone,
    and whether any channel reaches them at all."""
    settings = settings or current()
    users = list(
        WechatUser.select().where(
            (WechatUser.customer == customer.id) & (WechatUser.role == "dealer")
        )
    )
    grants: dict[int, dict[str, int]] = {u.id: {} for u in users}
    for g in SubscribeGrant.select().where(SubscribeGrant.wechat_user << [u.id for u in users]):
        grants[g.wechat_user_id][g.template_id] = g.remaining
    reaches = [
        Reach(
            u,
            follows(u),
            {name: grants[u.id].get(t, 0) for name, t in settings.subscribe_templates.items()},
        )
        for u in users
    ]
    wechat = any(r.follows_oa or any(r.grants.values()) for r in reaches)
    return {"users": reaches, "phone": customer.phone, "reachable": wechat or bool(customer.phone)}


def mobile_number(text: str) -> str:
    """A mobile number as E.164 ("+8613912345678"), however it was typed: 139…, +86139…,
    86139…, 0086139…, +0086139…, with spaces or dashes, in full-width digits. One number is
    one number, so a limit per number cannot be walked around by spelling it another way.

    Raises: ValidationFailed (not a mobile number)."""
    text = (text or "").strip()
    if len(text) > 32:
        raise ValidationFailed("请填写正确的手机号", phone=["手机号格式不正确"])
    if text.startswith("+00"):  # "+" and the international prefix typed together
        text = text[1:]
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationFailed("请填写正确的手机号", phone=["手机号格式不正确"]) from None
    mobile = (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in mobile:
        raise ValidationFailed("请填写正确的手机号", phone=["须为手机号码"])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _take_sms_quota(phone: str, limit: int) -> bool:
    """One more invitation SMS to this number today, if today's are not spent: one guarded
    upsert, so racing requests cannot send more than `limit` between them."""
    taken = (
        SmsQuota.insert(phone=phone, day=local_today(), sent=1)
        .on_conflict(
            conflict_target=[SmsQuota.phone, SmsQuota.day],
            update={SmsQuota.sent: SmsQuota.sent + 1},
            where=SmsQuota.sent < limit,
        )
        .as_rowcount()
        .execute()
    )
    return taken == 1


def send_invitation_sms(
    customer: Customer, phone: str, created_by: int, settings: NotifySettings | None = None
) -> Invitation:
    """A new binding code sent to the dealer's phone as a link; at most
    `sms_invitations_per_phone_day` to one number (E.164) in a business day. The quota is taken
    in the transaction that sends: a send that fails gives it back.

    Raises: ValidationFailed (no or bad number), RateLimited, SmsUnavailable.
    """
    settings = settings or current()
    phone = mobile_number(phone or customer.phone)
    limit = settings.sms_invitations_per_phone_day
    with transaction():
        if not _take_sms_quota(phone, limit):
            raise RateLimited(f"该手机号今天已发送 {limit} 条邀请短信，请明天再试", phone=phone)
        invitation = accounts.create_invitation(
            "dealer", customer_id=customer.id, created_by=created_by
        )
        link = settings.binding_link(invitation.code)
        try:
            channels.send_sms(phone, "invitation", [customer.name[:12], link], settings)
        except channels.ChannelError as exc:  # nothing is kept: no code went out
            raise SmsUnavailable(detail=str(exc)[:200]) from None
        Invitation.update(sms_phone=phone, sms_sent_at=utcnow()).where(
            Invitation.id == invitation.id
        ).execute()
        invitation.sms_phone = phone
        return invitation


def follows(user: WechatUser) -> bool:
    """Whether template messages reach this WeChat user: they follow the official account."""
    return bool(user.follows_oa and user.oa_openid)


def staff_wechat(staff_ids: list[int]) -> dict[int, str]:
    """How each staff member's to-do messages can reach them on WeChat: "following" (a WeChat
    bound to them follows the official account), "not_following" (bound, but not followed: their
    messages cannot be delivered there) or "unbound"."""
    state = dict.fromkeys(staff_ids, "unbound")
    for user in WechatUser.select().where(WechatUser.staff << staff_ids):
        if follows(user):
            state[user.staff_id] = "following"
        elif state[user.staff_id] == "unbound":
            state[user.staff_id] = "not_following"
    return state
