"""The notification sink of the outbox engine: one notification reaches its recipients by the
first channel that works for each (official-account template message, mini-program subscribe
message, SMS), each recipient once (a retry skips recipients already reached).

Claiming, backoff, dead letters and the sweep are the engine's (app/outbox.py).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field

from app import outbox
from app.core.models import Customer, Staff
from app.db import utcnow
from app.mall.models import SubscribeGrant, WechatUser
from app.notify import channels, templates
from app.notify.models import Notification, NotificationDelivery
from app.notify.settings import NotifySettings, current
from app.notify.templates import describe

log = logging.getLogger(__name__)

STAFF_AUDIENCES = ("customer_service", "approver", "warehouse")


def message_for(n: Notification) -> dict:
    """What the notification says (title, detail, to-do) and the facts its templates carry."""
    return describe(n.kind, n.audience, json.loads(n.payload))


@dataclass
class Recipient:
    key: str
    attempts: list = field(default_factory=list)  # [(channel, send())] tried in order


# Where a template message links to, by audience (the H5 pages).
LINKS = {"dealer": "orders/{order_id}", "rep": "rep/"}


def _followers_attempt(user: WechatUser, n: Notification, message: dict, settings):
    """A template message to a WeChat user who follows the official account."""
    template = templates.oa_template(n.kind, n.audience)
    data = templates.template_data(template, message)
    link = LINKS.get(n.audience, "staff/orders/{order_id}").format(order_id=message["order_id"])
    url = f"{settings.h5_base_url}/{link}"
    return (
        "template",
        lambda: channels.send_wechat("template", user.oa_openid, template, data, url, settings),
    )


def _dealer_recipients(
    customer: Customer, n: Notification, message: dict, settings: NotifySettings
) -> tuple[list[Recipient], Recipient | None]:
    users = WechatUser.select().where(
        (WechatUser.customer == customer.id) & (WechatUser.role == "dealer")
    )
    subscribe = templates.subscribe_template(n.kind)
    template_id = settings.subscribe_templates[subscribe]
    granted = {
        g.wechat_user_id
        for g in SubscribeGrant.select().where(
            (SubscribeGrant.template_id == template_id) & (SubscribeGrant.remaining > 0)
        )
    }
    recipients = []
    for user in users:
        r = Recipient(f"user:{user.id}")
        if user.follows_oa and user.oa_openid:
            r.attempts.append(_followers_attempt(user, n, message, settings))
        if user.openid and user.id in granted:
            r.attempts.append(
                ("subscribe", lambda u=user: _send_subscribe(u, subscribe, message, settings))
            )
        if r.attempts:
            recipients.append(r)
    sms = None
    if customer.phone:
        params = templates.sms_params("order_status", message)
        sms = Recipient(
            f"sms:{customer.phone}",
            [("sms", lambda: channels.send_sms(customer.phone, "order_status", params, settings))],
        )
    return recipients, sms


def _send_subscribe(user: WechatUser, subscribe: str, message: dict, settings) -> str:
    template_id = settings.subscribe_templates[subscribe]
    data = templates.subscribe_data(subscribe, message)
    page = f"pages/order/detail?id={message['order_id']}"
    reference = channels.send_wechat("subscribe", user.openid, subscribe, data, page, settings)
    # One grant is one message: spend it only once WeChat took the message.
    SubscribeGrant.update(remaining=SubscribeGrant.remaining - 1).where(
        (SubscribeGrant.wechat_user == user.id)
        & (SubscribeGrant.template_id == template_id)
        & (SubscribeGrant.remaining > 0)
    ).execute()
    return reference


def _staff_recipients(
    staff: list[Staff], n: Notification, message: dict, settings: NotifySettings, sms: str
) -> list[Recipient]:
    """Each staff member by WeChat where they follow the official account, else by SMS."""
    following = {
        u.staff_id: u
        for u in WechatUser.select().where(
            (WechatUser.staff << [s.id for s in staff])
            & WechatUser.follows_oa
            & WechatUser.oa_openid.is_null(False)
        )
    }
    recipients = []
    for s in staff:
        attempts = []
        if s.id in following:
            attempts.append(_followers_attempt(following[s.id], n, message, settings))
        if s.phone:
            params = templates.sms_params(sms, message)
            attempts.append(
                ("sms", lambda p=s.phone, x=params: channels.send_sms(p, sms, x, settings))
            )
        if attempts:
            recipients.append(Recipient(f"staff:{s.id}", attempts))
    return recipients


def staff_in_role(role: str, customer: Customer) -> list[Staff]:
    """Active staff in a role whose data scope covers this customer."""
    return list(
        Staff.select().where(
            (Staff.role == role)
            & Staff.active
            & (
                (Staff.data_scope == "all")
                | ((Staff.data_scope == "branch") & (Staff.branch == customer.branch_id))
            )
        )
    )


def _recipients(n: Notification, customer: Customer, message: dict, settings) -> list:
    """Who to reach, in groups: a later group is tried only when no one in the earlier one was
    reached (the dealer's SMS is the fallback for their WeChat)."""
    if n.audience == "dealer":
        recipients, sms = _dealer_recipients(customer, n, message, settings)
        return [recipients, [sms] if sms else []]
    if n.audience == "rep":
        rep = Staff.get_or_none(Staff.id == message.get("rep_id"))
        return [_staff_recipients([rep], n, message, settings, "order_status")] if rep else []
    role = message.get("role") if n.audience == "approver" else n.audience
    return [_staff_recipients(staff_in_role(role, customer), n, message, settings, "staff_task")]


def _try(n: Notification, recipient: Recipient, done: set[str]) -> str | None:
    """Reach one recipient by its first channel that works; None if every channel refused.

    Raises ChannelError(retryable) when a channel is down: the whole notification is retried.
    """
    if recipient.key in done:
        return "done"
    for channel, send in recipient.attempts:
        try:
            reference = send()
        except channels.ChannelError as exc:
            if exc.retryable:
                raise
            log.info("notification %s: %s refused for %s: %s", n.id, channel, recipient.key, exc)
            continue
        NotificationDelivery.create(
            notification=n.id, recipient=recipient.key, channel=channel, reference=reference
        )
        done.add(recipient.key)
        return channel
    return None


def send(n: Notification, settings: NotifySettings | None = None) -> outbox.Sent:
    """Reach every recipient of one notification; `sent` when anyone was reached, else
    `undeliverable` (no follow, no subscription grant, no phone) — never reported as sent.

    `settings`: template ids, links and the SMS provider (default: those bootstrap set).
    Raises: outbox.Failed when a channel is down (the whole notification is retried).
    """
    settings = settings or current()
    message = message_for(n)
    customer = Customer.get_by_id(n.order.customer_id)
    done = {d.recipient for d in n.deliveries}
    reached = []
    try:
        for group in _recipients(n, customer, message, settings):
            reached = [r for r in group if _try(n, r, done)]
            if reached:
                break
    except channels.ChannelError as exc:
        raise outbox.Failed(f"ChannelError: {exc}") from None
    used = {
        d.channel
        for d in NotificationDelivery.select().where(NotificationDelivery.notification == n.id)
    }
    if reached or used:
        channel = ",".join(sorted(used))
        return outbox.Sent(changes={"sent_at": utcnow(), "channel": channel, "last_error": ""})
    return outbox.Sent(
        "undeliverable",
        {"last_error": "没有可用的接收渠道（未关注公众号、未授权订阅、无手机号）"},
    )


NOTIFICATIONS = outbox.Sink(
    name="notifications",
    model=Notification,
    send=send,
    delivered="sent",
    lease=dt.timedelta(seconds=120),
    key="dedup_key",
)


def retry_dead(notification_id: int, staff=None) -> Notification:
    """Send again (a staff action): a dead letter once WeChat is back, or an undeliverable one once
    the recipient follows the account, grants a subscription or has a phone; only for an order in
    the staff member's data scope."""
    from app.auth.scopes import customer_condition
    from app.core.models import Customer, Order
    from app.errors import InvalidState, NotFound

    query = (
        Notification.select().join(Order).join(Customer).where(Notification.id == notification_id)
    )
    condition = customer_condition(staff) if staff is not None else None
    n = (query if condition is None else query.where(condition)).first()
    if n is None:
        raise NotFound("通知不存在", notification_id=notification_id)
    if not outbox.redeliver(NOTIFICATIONS, notification_id, ("dead", "undeliverable")):
        raise InvalidState("只有发送失败或无法送达的通知可以重发", status=n.status)
    return Notification.get_by_id(notification_id)
