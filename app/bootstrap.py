"""The composition root shared by the web app (create_app) and the worker (app/worker.py): it sets
every process-wide service from settings and attaches every side effect to the domain events.

`HANDLERS` is the one place side effects are attached: a reader following an order from the cart
to the dealer's message finds here what its OrderChanged event leads to. `SINKS` are the outbox's
destinations the worker sends to.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from app import events, outbox, replica
from app.adapters.wechatpay import wechat_pay
from app.auth import services as staff_accounts
from app.auth import tokens
from app.core import product_images
from app.db import db, make_database
from app.events import (
    ApprovalAwaited,
    CatalogueChanged,
    InvoiceAnswered,
    OrderChanged,
    PaymentPaid,
    ReceiptRecorded,
    ReceiptVoided,
    ReconciliationMismatch,
    RefundSettled,
    ReturnReceived,
    ShopOrderChanged,
    StaffSignedOut,
    StatementAnswered,
    StockChanged,
)
from app.integrations import webhooks
from app.logs import configure_logging
from app.mall import accounts, catalogue_cache
from app.notify import money as money_notices
from app.notify import recording as notifications
from app.notify.delivery import NOTIFICATIONS
from app.notify.settings import NotifySettings
from app.notify.settings import configure as configure_notify
from app.payments import payments
from app.payments import settings as payment_settings
from app.runtime import redis, wechat
from app.shops import settings as shop_settings
from app.shops import stock_sync

HANDLERS: dict[type, list[Callable]] = {
    # Every order status change and timeline entry: the dealer's (and staff's) notifications and
    # inbox, and the ERP's webhook deliveries — in the transaction that wrote the event.
    OrderChanged: [
        notifications.order_changed,
        webhooks.order_changed,
        payments.order_stopped,
    ],
    # A document waits for a role's signature: the staff in that role hear of it.
    ApprovalAwaited: [notifications.approval_awaited, money_notices.approval_awaited],
    ReceiptRecorded: [webhooks.receipt_recorded],
    ReceiptVoided: [webhooks.receipt_voided],
    ReturnReceived: [webhooks.return_received],
    # Cached catalogue pages are stale once the change commits.
    CatalogueChanged: [catalogue_cache.catalogue_changed],
    # Stale catalogue pages, and every online shop selling from that warehouse told its new
    # sellable quantity (a stock push in the outbox, coalesced per SKU).
    StockChanged: [catalogue_cache.stock_changed, stock_sync.stock_changed],
    ShopOrderChanged: [webhooks.shop_order_changed],
    # A staff member disabled, re-enabled or with a new password: their WeChat bindings end.
    StaffSignedOut: [accounts.staff_signed_out],
    # Money in (WeChat Pay) and what follows it: the dealer's or finance's inbox.
    PaymentPaid: [money_notices.payment_paid],
    RefundSettled: [money_notices.refund_settled],
    InvoiceAnswered: [money_notices.invoice_answered],
    StatementAnswered: [money_notices.statement_answered],
    ReconciliationMismatch: [money_notices.reconciliation_mismatch],
}

SINKS: dict[str, outbox.Sink] = {
    sink.name: sink
    for sink in (
        NOTIFICATIONS,
        webhooks.WEBHOOKS,
        stock_sync.STOCK_PUSHES,
        stock_sync.WRITE_BACKS,
    )
}

_lock = threading.RLock()


def settings_from(config) -> dict:
    """A settings mapping from a Flask config or one of the config classes in config/."""
    if isinstance(config, Mapping):
        return dict(config)
    return {key: getattr(config, key) for key in dir(config) if key.isupper()}


def init_db(settings: Mapping) -> None:
    """Bind the proxy once per process; a second app on the same URL reuses the same pool."""
    url = settings["DATABASE_URL"]
    current = db.obj
    if current is None or getattr(current, "_dealer_mall_url", None) != url:
        database = make_database(url, settings.get("DATABASE_POOL_SIZE", 20))
        database._dealer_mall_url = url
        db.initialize(database)


def bootstrap(config, *, handoff: Callable[[tuple[str, int]], None] | None = None) -> dict:
    """Set every process-wide service from settings and install HANDLERS; returns the settings.

    `handoff` takes each committed outbox item to the task queue (the worker's hand-off thread);
    with NOTIFY_ENQUEUE off, or none given, only the worker's sweep delivers them. Calling it again
    (a second app, several worker threads starting at once) is safe: everything is set under one
    lock, and a database already bound to the same URL is kept.
    """
    settings = settings_from(config)
    with _lock:
        configure_logging(settings.get("LOG_FORMAT", ""), settings.get("LOG_LEVEL", "INFO"))
        init_db(settings)
        replica.configure(
            settings.get("REPORTS_DATABASE_URL"),
            settings.get("REPORTS_MAX_LAG_SECONDS", 30),
            settings.get("DATABASE_POOL_SIZE", 20),
        )
        redis.configure(settings.get("REDIS_URL"))
        wechat.configure(settings)
        tokens.configure(settings["SECRET_KEY"], settings["TOKEN_TTL_SECONDS"])
        staff_accounts.configure(settings.get("PASSWORD_HASH_METHOD", "scrypt"))
        configure_notify(NotifySettings.from_settings(settings))
        webhooks.configure(allow_private=settings.get("WEBHOOK_ALLOW_PRIVATE", False))
        catalogue_cache.configure(settings.get("REDIS_KEY_PREFIX", "dm"))
        product_images.configure(settings)
        shop_settings.configure(shop_settings.ShopSettings.from_settings(settings))
        wechat_pay.configure(settings)
        payment_settings.configure(payment_settings.PaymentSettings.from_settings(settings))
        outbox.configure(handoff if settings.get("NOTIFY_ENQUEUE", False) else None)
        events.install(HANDLERS)
    return settings
