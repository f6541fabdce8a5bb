"""Webhooks to an ERP or any integration: the webhook sink of the outbox engine (app/outbox.py).

Each delivery is written in the same transaction as its event (the handlers below, attached in
app/bootstrap.py), signed (HMAC-SHA256 over "<t>.<body>"), retried with backoff on anything but a
2xx within 10 s under the same delivery id, dead-lettered after the last try (redeliver by hand),
and delivered in order per order. Endpoints are a setting for every branch: only staff with data
scope `all` manage them. URLs never reach link-local or cloud-metadata addresses; private and
loopback ones only when a setting allows them (development and tests)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid

from app import outbox, read_along
from app.auth.scopes import require, require_all_scope
from app.core.models import ReturnRequest, Staff
from app.core.queries import orders_by_id
from app.db import execute, is_postgres, transaction, utcnow
from app.errors import InvalidState, NotFound, ValidationFailed
from app.events import (
    OrderChanged,
    ReceiptRecorded,
    ReceiptVoided,
    ReturnReceived,
    ShopOrderChanged,
)
from app.integrations import safe_http
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
    "receipt.voided",
    "return.received",
    "shop_order.downloaded",
    "shop_order.shipped",
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

_settings = {"allow_private": False}


def configure(allow_private: bool) -> None:
    """Private and loopback receivers allowed (development and tests) or not (app.bootstrap)."""
    _settings["allow_private"] = allow_private


# --- endpoints ----------------------------------------------------------------------------------


def check_url(url: str, allow_private: bool | None = None) -> safe_http.Target:
    """The URL resolved once and every address checked (app/integrations/safe_http.py); private
    and loopback receivers only where the settings allow them. Raises: ValidationFailed."""
    allow = _settings["allow_private"] if allow_private is None else allow_private
    return safe_http.check_url(url, allow)


def _require_manager(staff: Staff) -> None:
    """Webhooks carry every branch's orders: managing them needs data scope `all`."""
    require(staff, "integrations.manage")
    require_all_scope(staff)


def register(staff: Staff, url: str, events: list[str], active: bool = True) -> WebhookEndpoint:
    """A new endpoint; its secret is on the returned row (show it once)."""
    _require_manager(staff)
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
    _require_manager(staff)
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
        outbox.redeliver(WEBHOOKS, found.id, ("delivered", "dead"))
    return WebhookDelivery.get_by_id(found.id)


# --- the outbox: written with each event ----------------------------------------------------------


_ACTIVE_ENDPOINTS = "SELECT id, events FROM webhook_endpoint WHERE active"


def _active_endpoints_as_json() -> str:
    """The same rows as one JSON text, `[[id, events], ...]` (NULL or `[]` for none): the read
    that rides along with each new order's first statement (app/read_along.py)."""
    if is_postgres():
        return (
            "SELECT json_agg(json_build_array(id, events))::text FROM webhook_endpoint WHERE active"
        )
    return "SELECT json_group_array(json_array(id, events)) FROM webhook_endpoint WHERE active"


SUBSCRIBERS = "webhook_subscribers"
read_along.register(SUBSCRIBERS, _active_endpoints_as_json)


def _subscribed(event_type: str) -> list[int]:
    """The ids of the active endpoints that subscribe to `event_type`. Read with every order
    event: with a new order's first statement when it rode along, else on its own, in SQL
    written once, as rows, not endpoints (the ORM's objects cost more than the read)."""
    along = read_along.answer(SUBSCRIBERS)
    if along is read_along.NOT_READ:
        rows = execute(_ACTIVE_ENDPOINTS).fetchall()
    else:
        rows = json.loads(along or "[]")
    return [endpoint_id for endpoint_id, events in rows if event_type in json.loads(events)]


def _write(event_type: str, sequence_key: str, data_of) -> None:
    targets = _subscribed(event_type)
    if not targets:
        return
    data = data_of()
    for endpoint_id in targets:
        delivery_id = str(uuid.uuid4())
        body = {
            "id": delivery_id,
            "type": event_type,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "data": data,
        }
        row = WebhookDelivery.create(
            endpoint=endpoint_id,
            delivery_id=delivery_id,
            event_type=event_type,
            sequence_key=sequence_key,
            payload=json.dumps(body, ensure_ascii=False, default=str),
        )
        outbox.written(WEBHOOKS, row.id)


def order_changed(change: OrderChanged) -> None:
    event_type = ORDER_EVENTS.get(change.event.action)
    if event_type is None:
        return
    from app.schemas import AdminOrderOut

    order_id = change.order.id
    _write(
        event_type, f"order:{order_id}", lambda: AdminOrderOut().dump(orders_by_id([order_id])[0])
    )


def receipt_recorded(recorded: ReceiptRecorded) -> None:
    from app.schemas import ReceiptOut

    receipt = recorded.receipt
    _write("receipt.created", f"customer:{receipt.customer_id}", lambda: ReceiptOut().dump(receipt))


def receipt_voided(voided: ReceiptVoided) -> None:
    """A receipt the ERP was told of (receipt.created) was voided: the same receipt, with
    `voided_at` and `void_reason`."""
    from app.schemas import ReceiptOut

    receipt = voided.receipt
    _write("receipt.voided", f"customer:{receipt.customer_id}", lambda: ReceiptOut().dump(receipt))


def return_received(received: ReturnReceived) -> None:
    from app.mall.returns import with_details
    from app.schemas import ReturnOut

    request = received.request

    def data():
        found = with_details(ReturnRequest.select().where(ReturnRequest.id == request.id))
        return ReturnOut().dump(found[0])

    _write("return.received", f"order:{request.order_id}", data)


def shop_order_changed(change: ShopOrderChanged) -> None:
    from app.shops.queries import order_data

    _write(
        f"shop_order.{change.action}",
        f"shop_order:{change.order_id}",
        lambda: order_data(change.order_id),
    )


# --- delivery ---------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def send(d: WebhookDelivery) -> outbox.Sent:
    """POST one delivery, signed, to its endpoint; a 2xx within TIMEOUT is delivered. The log
    keeps the receiver's status code and how long it took, never what it answered (a receiver's
    error page may hold what is not ours to keep). Raises: outbox.Failed."""
    target = WebhookEndpoint.get_by_id(d.endpoint_id)
    body = d.payload.encode()
    started = time.monotonic()
    status, error = None, ""
    try:
        # Resolved and checked again at sending (a name may now point somewhere else), and sent
        # to the address that was checked, never resolved a second time.
        sent = safe_http.post(
            check_url(target.url),
            body,
            {
                "Content-Type": "application/json",
                "User-Agent": "DealerMall-Webhooks/1",
                "X-Dealer-Mall-Event": d.event_type,
                "X-Dealer-Mall-Delivery": d.delivery_id,
                "X-Dealer-Mall-Signature": signature(target.secret, int(time.time()), body),
            },
            timeout=TIMEOUT,
        )
        status = sent.status
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except ValidationFailed as exc:
        error = exc.message
    except safe_http.SendFailed as exc:
        error = str(exc)
    took = {"last_status": status, "duration_ms": int((time.monotonic() - started) * 1000)}
    if error:
        raise outbox.Failed(error, **took)
    return outbox.Sent(changes={**took, "delivered_at": utcnow(), "last_error": ""})


WEBHOOKS = outbox.Sink(
    name="webhooks",
    model=WebhookDelivery,
    send=send,
    lease=dt.timedelta(seconds=60),
    in_order_by=("endpoint", "sequence_key"),
)
