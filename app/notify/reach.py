"""How a dealer can be reached, and the invitation SMS (邀请短信) that brings them in."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from peewee import fn

from app.core.models import Customer
from app.db import transaction, utcnow
from app.errors import RateLimited, SmsUnavailable, ValidationFailed
from app.mall import accounts
from app.mall.models import Invitation, SubscribeGrant, WechatUser
from app.notify import channels
from app.notify.settings import NotifySettings, current

PHONE = re.compile(r"^\+?\d{6,20}$")


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
            bool(u.follows_oa and u.oa_openid),
            {name: grants[u.id].get(t, 0) for name, t in settings.subscribe_templates.items()},
        )
        for u in users
    ]
    wechat = any(r.follows_oa or any(r.grants.values()) for r in reaches)
    return {"users": reaches, "phone": customer.phone, "reachable": wechat or bool(customer.phone)}


def send_invitation_sms(
    customer: Customer, phone: str, created_by: int, settings: NotifySettings | None = None
) -> Invitation:
    """A new binding code sent to the dealer's phone as a link; at most
    `sms_invitations_per_phone_day` to one number in a day.

    Raises: ValidationFailed (no or bad number), RateLimited, SmsUnavailable.
    """
    settings = settings or current()
    phone = (phone or customer.phone or "").strip().replace(" ", "")
    if not PHONE.match(phone):
        raise ValidationFailed("请填写正确的手机号", phone=["手机号格式不正确"])
    since = utcnow() - dt.timedelta(days=1)
    with transaction():
        sent = (
            Invitation.select(fn.COUNT(Invitation.id))
            .where((Invitation.sms_phone == phone) & (Invitation.sms_sent_at > since))
            .scalar()
        )
        if sent >= settings.sms_invitations_per_phone_day:
            raise RateLimited(f"该手机号今天已发送 {sent} 条邀请短信，请明天再试", phone=phone)
        invitation = accounts.create_invitation(
            "dealer", customer_id=customer.id, created_by=created_by
        )
        link = f"{settings.h5_base_url}/bind?code={invitation.code}"
        try:
            channels.send_sms(phone, "invitation", [customer.name[:12], link], settings)
        except channels.ChannelError as exc:  # nothing is kept: no code went out
            raise SmsUnavailable(detail=str(exc)[:200]) from None
        Invitation.update(sms_phone=phone, sms_sent_at=utcnow()).where(
            Invitation.id == invitation.id
        ).execute()
        invitation.sms_phone = phone
        return invitation
