"""Domain events: small dataclasses saying what happened, and `emit`, which runs their handlers.

Services emit events inside their transaction; the handlers (the notification outbox, webhooks,
the catalogue cache, …) write what follows from them in that same transaction, or arrange for it
after commit. Which handlers an event has is decided in one place, `app.bootstrap.HANDLERS`, installed
when the app or the worker starts. An event emitted before that, or one nobody registered, raises
`UnhandledEvent`: a status change must never be written silently without its notifications
(invariant 4).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datetime as dt
    from decimal import Decimal

    from app.core.models import Order, OrderEvent, Receipt, ReturnRequest
    from app.payments.models import Invoice, Payment, Refund, StatementConfirmation


class UnhandledEvent(RuntimeError):
    """An event was emitted that no handler table covers: set-up did not run, or forgot it."""


@dataclass(frozen=True)
class OrderChanged:
    """An order's status changed, or something happened on its timeline (a return, an adjustment):
    `event` is the OrderEvent row just written; `amount` the money it is about when that is not
    the order's total (a return's: the value asked back, or received)."""

    order: Order
    event: OrderEvent
    amount: Decimal | None = None


@dataclass(frozen=True)
class ApprovalAwaited:
    """A document now waits for `role` to sign step `seq`. `order` is the order the document
    belongs to (the order itself, or a return's order): messages link to it. Stock documents
    (transfers, receipts) and refunds belong to no order: None, and their approvers are told
    otherwise (the console's lists; a refund's own handler, app/notify/money.py)."""

    document: str
    document_id: int
    order: Order | None
    role: str
    seq: int


@dataclass(frozen=True)
class ReceiptRecorded:
    """Money was received from a customer (not a return's credit note)."""

    receipt: Receipt


@dataclass(frozen=True)
class ReceiptVoided:
    """A receipt recorded by mistake was voided (作废): its money taken back."""

    receipt: Receipt


@dataclass(frozen=True)
class ReturnReceived:
    """The warehouse received (part of) a return: stock is back and the customer credited."""

    request: ReturnRequest


@dataclass(frozen=True)
class PaymentPaid:
    """WeChat Pay took a dealer's payment (a top-up or an order's): its receipt is written."""

    payment: Payment


@dataclass(frozen=True)
class RefundSettled:
    """A refund ended at WeChat Pay: `succeeded`, `failed` (the money is the dealer's again) or
    `abnormal` (WeChat Pay could not pay it out)."""

    refund: Refund


@dataclass(frozen=True)
class InvoiceAnswered:
    """Finance issued an invoice a dealer asked for, or turned the request down."""

    invoice: Invoice


@dataclass(frozen=True)
class StatementAnswered:
    """A dealer confirmed a month's statement or disputed it."""

    confirmation: StatementConfirmation


@dataclass(frozen=True)
class ReconciliationMismatch:
    """WeChat Pay's trade bill of `day` and our payments disagree: `counts` says how."""

    day: dt.date
    counts: dict


@dataclass(frozen=True)
class CatalogueChanged:
    """Products, categories, level prices or price books changed."""


@dataclass(frozen=True)
class StockChanged:
    """Stock in one warehouse changed (on hand or reserved): of `product_ids`, or of any
    product when it names none."""

    warehouse_id: int
    product_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ShopOrderChanged:
    """A shop order was downloaded (`action` "downloaded") or shipped ("shipped")."""

    order_id: int
    action: str


@dataclass(frozen=True)
class StaffSignedOut:
    """Every credential of a staff member ended: disabled, re-enabled, or a new password. Tokens,
    console sessions and API keys end by the account's token version; bindings need a handler."""

    staff_id: int


Handler = Callable[[Any], None]
_handlers: Mapping[type, tuple[Handler, ...]] | None = None


def install(handlers: Mapping[type, Sequence[Handler]]) -> None:
    """Set the handler table (app.bootstrap does, once per process)."""
    global _handlers
    _handlers = {event_type: tuple(found) for event_type, found in handlers.items()}


def handlers_of(event_type: type) -> tuple[Handler, ...]:
    if _handlers is None:
        raise UnhandledEvent(
            f"{event_type.__name__} emitted before any handlers were installed: "
            "build the app (create_app) or start the worker, which run app.bootstrap"
        )
    try:
        return _handlers[event_type]
    except KeyError:
        raise UnhandledEvent(f"no handlers registered for {event_type.__name__}") from None


def emit(event) -> None:
    """Run every handler of this event, in the caller's transaction."""
    for handler in handlers_of(type(event)):
        handler(event)
