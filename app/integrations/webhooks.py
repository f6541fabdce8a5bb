"""Webhooks to an ERP or any integration: each delivery is written to an outbox in the same
transaction as its event, signed (HMAC-SHA256 over "<t>.<body>"), retried with backoff on anything
but a 2xx within 10 s under the same delivery id, dead-lettered after the last try (redeliver by
hand), and delivered in order per order. URLs never reach link-local or cloud-metadata addresses;
private and loopback ones only when a setting allows them (development and tests)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import uuid
from urllib.parse import urlsplit

import requests

from app.auth.scopes import require
from app.core import orders, receivables, returns
from app.core.models import Order, Receipt, ReturnRequest, Staff
from app.core.queries import orders_by_id
from app.db import db, transaction, utcnow
from app.errors import InvalidState, NotFound, ValidationFailed
from app.handoff import Handoff
from app.integrations.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

EVENT_TYPES = (
    "order.submitted",
    "order.approved",
    "order.rejected",
    "order.cancelled",
    "order.shipped",
    "order.completed",
    "receipt.created",
    "return.received",
)
ORDER_EVENTS = {
    "submit": "order.submitted",
    "approve": "order.approved",
    "reject": "order.rejected",
    "cancel": "order.cancelled",
    "ship_part": "order.shipped",
    "ship_all": "order.shipped",
    "complete": "order.completed",
}
TIMEOUT = 10
LEASE = dt.timedelta(seconds=60)
BACKOFF_SECONDS = (10, 30, 120, 600, 1800)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
METADATA_HOSTS = {"metadata.google.internal", "metadata", "100.100.100.200"}

_settings = {"allow_private": False, "enqueue": False}


# --- endpoints ----------------------------------------------------------------------------------


def check_url(url: str, allow_private: bool | None = None) -> None:
    """http(s) only; never link-local or cloud metadata; private and loopback only when allowed.

    Raises: ValidationFailed.
    """
    allow_private = _settings["allow_private"] if allow_private is None else allow_private
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("回调地址须为 http(s) 网址", url=["须为 http 或 https"])
    host = parts.hostname.lower()
    if host in METADATA_HOSTS:
        raise ValidationFailed("不能使用云服务器元数据地址", url=["地址不安全"])
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise ValidationFailed("回调地址的域名无法解析", url=["无法解析"]) from None
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
            raise ValidationFailed("回调地址不能指向链路本地或保留地址", url=["地址不安全"])
        if (ip.is_private or ip.is_loopback) and not allow_private:
            raise ValidationFailed("回调地址不能指向内网或本机", url=["地址不安全"])


def register(staff: Staff, url: str, events: list[str], active: bool = True) -> WebhookEndpoint:
    """A new endpoint; its secret is on the returned row (show it once)."""
    require(staff, "integrations.manage")
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown or not events:
        raise ValidationFailed("事件类型无效", events=[f"须为 {', '.join(EVENT_TYPES)} 之一"])
    check_url(url)
    with transaction():
        return WebhookEndpoint.create(
            url=url,
            events=json.dumps(sorted(set(events))),
            secret=f"whsec_{secrets.token_urlsafe(24)}",
            active=active,
            created_by=staff.id,
        )


def endpoints(staff: Staff):
    require(staff, "integrations.manage")
    return WebhookEndpoint.select().order_by(WebhookEndpoint.id)


def endpoint(staff: Staff, endpoint_id: int) -> WebhookEndpoint:
    found = endpoints(staff).where(WebhookEndpoint.id == endpoint_id).first()
    if found is None:
        raise NotFound("回调地址不存在", webhook_id=endpoint_id)
    return found


def deliveries(staff: Staff, endpoint_id: int):
    endpoint(staff, endpoint_id)
    return (
        WebhookDelivery.select()
        .where(WebhookDelivery.endpoint == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
    )


def redeliver(staff: Staff, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a dead letter again (or a delivered one, if the receiver lost it)."""
    found = deliveries(staff, endpoint_id).where(WebhookDelivery.id == delivery_id).first()
    if found is None:
        raise NotFound("投递记录不存在", delivery_id=delivery_id)
    if found.status == "pending":
        raise InvalidState("该投递正在等待发送", status=found.status)
    with transaction():
        WebhookDelivery.update(status="pending", attempts=0, next_attempt_at=utcnow()).where(
            WebhookDelivery.id == found.id
        ).execute()
    return WebhookDelivery.get_by_id(found.id)


# --- the outbox: written with each event ----------------------------------------------------------


def _subscribed(event_type: str) -> list[WebhookEndpoint]:
    # Read with every order event: SQL written once, not built by the ORM each time.
    active = WebhookEndpoint.raw("SELECT * FROM webhook_endpoint WHERE active")
    return [e for e in active if event_type in json.loads(e.events)]


def _write(event_type: str, sequence_key: str, data_of) -> None:
    targets = _subscribed(event_type)
    if not targets:
        return
    data = data_of()
    for target in targets:
        delivery_id = str(uuid.uuid4())
        body = {
            "id": delivery_id,
            "type": event_type,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "data": data,
        }
        row = WebhookDelivery.create(
            endpoint=target.id,
            delivery_id=delivery_id,
            event_type=event_type,
            sequence_key=sequence_key,
            payload=json.dumps(body, ensure_ascii=False, default=str),
        )
        if _settings["enqueue"]:  # queued once committed; the sweep is the safety net
            db.after_commit(lambda pk=row.id: _enqueue(pk))


def record_order_event(order: Order, event) -> None:
    event_type = ORDER_EVENTS.get(event.action)
    if event_type is None:
        return
    from app.schemas import AdminOrderOut

    _write(
        event_type, f"order:{order.id}", lambda: AdminOrderOut().dump(orders_by_id([order.id])[0])
    )


def record_receipt(receipt: Receipt) -> None:
    from app.schemas import ReceiptOut

    _write("receipt.created", f"customer:{receipt.customer_id}", lambda: ReceiptOut().dump(receipt))


def record_return_received(request: ReturnRequest) -> None:
    from app.mall.returns import with_details
    from app.schemas import ReturnOut

    def data():
        found = with_details(ReturnRequest.select().where(ReturnRequest.id == request.id))
        return ReturnOut().dump(found[0])

    _write("return.received", f"order:{request.order_id}", data)


def _send(delivery_pks: list[int]) -> None:
    from app.tasks import deliver_webhook_batch

    deliver_webhook_batch(delivery_pks)


# Queued after commit off the request's path, many per Redis round trip (app/handoff.py).
handoff = Handoff("webhook deliveries", _send)


def _enqueue(delivery_pk: int) -> None:
    handoff.put(delivery_pk)


def install(allow_private: bool, enqueue: bool = False) -> None:
    """Hook the webhook outbox into core's events (called by init_services)."""
    _settings.update(allow_private=allow_private, enqueue=enqueue)
    for hooks, listener in (
        (orders.event_listeners, record_order_event),
        (receivables.receipt_listeners, record_receipt),
        (returns.received_listeners, record_return_received),
    ):
        if listener not in hooks:
            hooks.append(listener)


# --- delivery ---------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _blocked_by_earlier(d: WebhookDelivery) -> bool:
    """In order per order: an earlier delivery of the same sequence still waiting comes first."""
    return (
        WebhookDelivery.select()
        .where(
            (WebhookDelivery.endpoint == d.endpoint_id)
            & (WebhookDelivery.sequence_key == d.sequence_key)
            & (WebhookDelivery.status == "pending")
            & (WebhookDelivery.id < d.id)
        )
        .exists()
    )


def deliver(delivery_pk: int) -> str:
    """Send one delivery if it is due, not held by another worker and not behind an earlier one."""
    now = utcnow()
    d = WebhookDelivery.get_or_none(WebhookDelivery.id == delivery_pk)
    if d is None or d.status != "pending" or d.next_attempt_at > now or _blocked_by_earlier(d):
        return "skipped"
    claimed = (
        WebhookDelivery.update(attempts=WebhookDelivery.attempts + 1, next_attempt_at=now + LEASE)
        .where(
            (WebhookDelivery.id == d.id)
            & (WebhookDelivery.status == "pending")
            & (WebhookDelivery.next_attempt_at <= now)
        )
        .execute()
    )
    if not claimed:
        return "skipped"
    target = WebhookEndpoint.get_by_id(d.endpoint_id)
    body = d.payload.encode()
    started = time.monotonic()
    status, error = None, ""
    try:
        check_url(target.url)  # again at sending: a name may now point somewhere else
        response = requests.post(
            target.url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "DealerMall-Webhooks/1",
                "X-Dealer-Mall-Event": d.event_type,
                "X-Dealer-Mall-Delivery": d.delivery_id,
                "X-Dealer-Mall-Signature": signature(target.secret, int(time.time()), body),
            },
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}: {response.text[:200]}"
    except ValidationFailed as exc:
        error = exc.message
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration = int((time.monotonic() - started) * 1000)
    attempts = d.attempts + 1
    if not error:
        changes = {"status": "delivered", "delivered_at": utcnow(), "last_error": ""}
    elif attempts >= MAX_ATTEMPTS:
        changes = {"status": "dead", "last_error": error[:500]}
        log.error("webhook delivery %s dead after %s attempts: %s", d.delivery_id, attempts, error)
    else:
        delay = BACKOFF_SECONDS[attempts - 1]
        changes = {
            "next_attempt_at": utcnow() + dt.timedelta(seconds=delay),
            "last_error": error[:500],
        }
    WebhookDelivery.update(last_status=status, duration_ms=duration, **changes).where(
        WebhookDelivery.id == d.id
    ).execute()
    return changes.get("status", "retry")


def deliver_due(limit: int = 200) -> dict[str, int]:
    """The sweep: every due delivery, oldest first (so each order's go out in order)."""
    counts: dict[str, int] = {}
    while True:
        batch = [
            d.id
            for d in WebhookDelivery.select(WebhookDelivery.id)
            .where(
                (WebhookDelivery.status == "pending")
                & (WebhookDelivery.next_attempt_at <= utcnow())
            )
            .order_by(WebhookDelivery.id)
            .limit(limit)
        ]
        sent_any = False
        for pk in batch:
            outcome = deliver(pk)
            counts[outcome] = counts.get(outcome, 0) + 1
            sent_any = sent_any or outcome != "skipped"
        if len(batch) < limit or not sent_any:
            return counts
