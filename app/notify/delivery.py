"""Delivers the outbox: at least once, each recipient once (a retry skips recipients already
reached), retried with backoff, dead-lettered visibly after the last try.

A worker claims a notification by pushing its next_attempt_at forward by a lease; a worker that
dies mid-delivery just lets the lease run out, and the next sweep delivers it (invariant 4).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field

from app.core.models import Customer, Staff
from app.db import utcnow
from app.mall.models import SubscribeGrant, WechatUser
from app.notify import channels
from app.notify.models import Notification, NotificationDelivery
from app.notify.settings import NotifySettings, current

log = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=120)
BACKOFF_SECONDS = (10, 30, 120, 600, 1800)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1

TITLES = {
    "submit": "新订单待审核",
    "approve": "订单已审核通过",
    "reject": "订单未通过审核",
    "ship_part": "订单部分发货",
    "ship_all": "订单已发货",
    "cancel": "订单已取消",
}


def message_for(n: Notification) -> dict:
    data = json.loads(n.payload)
    details = {
        "submit": f"订单金额 {data['total']} 元，请及时审核",
        "approve": "我们将尽快为您安排发货",
        "reject": f"原因：{data['note']}",
        "ship_part": f"物流：{data['note']}",
        "ship_all": f"物流：{data['note']}",
        "cancel": "订单已取消，如有疑问请联系客服",
    }
    return {**data, "title": TITLES.get(n.kind, "订单状态更新"), "detail": details.get(n.kind, "")}


def sms_text(message: dict) -> str:
    return f"【订货商城】{message['title']}：订单 {message['order_number']}，{message['detail']}"


@dataclass
class Recipient:
    key: str
    attempts: list = field(default_factory=list)  # [(channel, send())] tried in order


def _dealer_recipients(
    customer: Customer, message: dict, settings: NotifySettings
) -> tuple[list[Recipient], Recipient | None]:
    users = WechatUser.select().where(
        (WechatUser.customer == customer.id) & (WechatUser.role == "dealer")
    )
    template = settings.subscribe_order_status
    granted = {
        g.wechat_user_id
        for g in SubscribeGrant.select().where(
            (SubscribeGrant.template_id == template) & (SubscribeGrant.remaining > 0)
        )
    }
    recipients = []
    for user in users:
        r = Recipient(f"user:{user.id}")
        if user.follows_oa and user.oa_openid:
            r.attempts.append(
                ("template", lambda u=user: channels.send_template(u.oa_openid, message, settings))
            )
        if user.openid and user.id in granted:
            r.attempts.append(("subscribe", lambda u=user: _send_subscribe(u, message, settings)))
        if r.attempts:
            recipients.append(r)
    sms = None
    if customer.phone:
        sms = Recipient(
            f"sms:{customer.phone}",
            [("sms", lambda: channels.send_sms(customer.phone, sms_text(message), settings))],
        )
    return recipients, sms


def _send_subscribe(user: WechatUser, message: dict, settings: NotifySettings) -> str:
    template = settings.subscribe_order_status
    reference = channels.send_subscribe(user.openid, message, settings)
    # One grant is one message: spend it only once WeChat took the message.
    SubscribeGrant.update(remaining=SubscribeGrant.remaining - 1).where(
        (SubscribeGrant.wechat_user == user.id)
        & (SubscribeGrant.template_id == template)
        & (SubscribeGrant.remaining > 0)
    ).execute()
    return reference


def _service_recipients(
    customer: Customer, message: dict, settings: NotifySettings
) -> list[Recipient]:
    staff = Staff.select().where(
        (Staff.role == "customer_service")
        & Staff.active
        & (Staff.phone != "")
        & ((Staff.data_scope == "all") | (Staff.branch == customer.branch_id))
    )
    text = f"【订货商城】{message['title']}：{customer.name} 订单 {message['order_number']}，{message['detail']}"
    return [
        Recipient(
            f"sms:{s.phone}", [("sms", lambda p=s.phone: channels.send_sms(p, text, settings))]
        )
        for s in staff
    ]


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


def deliver(notification_id: int, settings: NotifySettings | None = None) -> str:
    """Deliver one notification if it is due and no other worker holds it; returns its status.

    `settings`: template ids, links and the SMS provider (default: those init_services set).
    """
    settings = settings or current()
    now = utcnow()
    claimed = (
        Notification.update(attempts=Notification.attempts + 1, next_attempt_at=now + LEASE)
        .where(
            (Notification.id == notification_id)
            & (Notification.status == "pending")
            & (Notification.next_attempt_at <= now)
        )
        .execute()
    )
    if not claimed:
        return "skipped"
    n = Notification.get_by_id(notification_id)
    message = message_for(n)
    customer = Customer.get_by_id(n.order.customer_id)
    done = {d.recipient for d in n.deliveries}
    used = set()
    try:
        if n.audience == "dealer":
            recipients, sms = _dealer_recipients(customer, message, settings)
            reached = [r for r in recipients if _try(n, r, done)]
            if not reached and sms is not None:
                reached = [sms] if _try(n, sms, done) else []
        else:
            reached = [
                r for r in _service_recipients(customer, message, settings) if _try(n, r, done)
            ]
        used = {
            d.channel
            for d in NotificationDelivery.select().where(NotificationDelivery.notification == n.id)
        }
    except Exception as exc:  # a channel down, or anything unexpected: retry later, never lose it
        return _failed(n, exc)
    Notification.update(
        status="sent",
        sent_at=utcnow(),
        channel=",".join(sorted(used)) or "none",
        last_error="" if reached else "没有可用的接收渠道",
    ).where(Notification.id == n.id).execute()
    return "sent"


def _failed(n: Notification, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"[:500]
    if n.attempts >= MAX_ATTEMPTS:
        log.error("notification %s dead after %s attempts: %s", n.id, n.attempts, error)
        Notification.update(status="dead", last_error=error).where(
            Notification.id == n.id
        ).execute()
        return "dead"
    delay = BACKOFF_SECONDS[min(n.attempts, len(BACKOFF_SECONDS)) - 1]
    Notification.update(
        next_attempt_at=utcnow() + dt.timedelta(seconds=delay), last_error=error
    ).where(Notification.id == n.id).execute()
    log.warning(
        "notification %s attempt %s failed, retry in %ss: %s", n.id, n.attempts, delay, error
    )
    return "retry"


def due_ids(limit: int = 200) -> list[int]:
    query = (
        Notification.select(Notification.id)
        .where((Notification.status == "pending") & (Notification.next_attempt_at <= utcnow()))
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )
    return [n.id for n in query]


def deliver_due(limit: int = 200, settings: NotifySettings | None = None) -> dict[str, int]:
    """The sweep the worker runs: every notification due now, in batches of `limit` until none
    is left (each is claimed before it is sent, so a batch never repeats one)."""
    counts: dict[str, int] = {}
    while batch := due_ids(limit):
        for notification_id in batch:
            outcome = deliver(notification_id, settings)
            counts[outcome] = counts.get(outcome, 0) + 1
        if len(batch) < limit:
            break
    return counts


def seconds_until_due(notification_id: int) -> float | None:
    """How long until a pending notification is next due (0 if it is); None once it is sent,
    undeliverable or dead."""
    n = Notification.get_or_none(
        (Notification.id == notification_id) & (Notification.status == "pending")
    )
    if n is None:
        return None
    return max((n.next_attempt_at - utcnow()).total_seconds(), 0.0)


def retry_dead(notification_id: int, staff=None) -> Notification:
    """Put a dead-lettered notification back in the queue (admin action), if its order is in the
    staff member's data scope."""
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
    updated = (
        Notification.update(status="pending", attempts=0, next_attempt_at=utcnow())
        .where((Notification.id == notification_id) & (Notification.status == "dead"))
        .execute()
    )
    if not updated:
        raise InvalidState("只有发送失败的通知可以重发", status=n.status)
    return Notification.get_by_id(notification_id)
