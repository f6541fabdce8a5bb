"""Approval rules, pure: does a rule's condition match a document's facts, which steps follow, and
what a staff member may do to a document now. No I/O.

A condition is a JSON object; every key present must hold (an empty condition matches everything):

    {"min_amount": "5000.00"}            the document's amount strictly above this
    {"max_amount": "10000.00"}           the amount at most this
    {"branch_ids": [1, 2]}               the document's branch is one of these
    {"customer_ids": [7]}                the customer is one of these
    {"min_discount_pct": "10"}           discount from list price, in percent, at least this
    {"credit_exceeded": true}            the document would exceed the customer's credit / funds
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from app.auth.permissions import PERMISSIONS
from app.core.rules import CREDIT_OVERRIDE_ROLES

# Who reviews a document first (step 0) and may always reject one that awaits signatures; who
# may sign a later step at all (the step names the role).
REVIEW_ROLES = PERMISSIONS["orders.review"]
APPROVER_ROLES = ("customer_service", "branch_manager", "hq_approver", "finance", "admin")
CONDITION_KEYS = {
    "min_amount",
    "max_amount",
    "branch_ids",
    "customer_ids",
    "min_discount_pct",
    "credit_exceeded",
}


@dataclass(frozen=True)
class DocumentRules:
    """How one document type goes through approval."""

    label: str  # what people call it, for messages
    awaiting: str  # the status in which it waits for signatures
    # Changing the document before anyone signed (customer service adjusting an order's lines).
    adjustable_by: frozenset[str] = frozenset()
    # A credit override may go with the last signature (orders).
    overridable: bool = False
    # What may follow approval: action → (the roles that may, the statuses it may happen in).
    follow_ups: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = ()


# Every document type a rule may govern (POST /approval-rules `document`); each one's issue adds
# its rules here as it comes to use the engine.
DOCUMENT_TYPES = ("order", "return", "transfer", "stock_receipt", "refund")
DOCUMENTS: dict[str, DocumentRules] = {
    "order": DocumentRules(
        label="订单",
        awaiting="pending_review",
        adjustable_by=PERMISSIONS["orders.review"],
        overridable=True,
        follow_ups=(
            ("ship", PERMISSIONS["orders.ship"], frozenset({"approved", "partially_shipped"})),
        ),
    ),
    "return": DocumentRules(
        label="退货单",
        awaiting="pending",
        follow_ups=(
            ("receive", PERMISSIONS["orders.ship"], frozenset({"approved", "partially_received"})),
        ),
    ),
    # Stock documents (app/inventory): the warehouse's submission is their first step; a rule
    # naming them adds signatures before the goods move, none otherwise.
    "transfer": DocumentRules(
        label="调拨单",
        awaiting="pending",
        follow_ups=(
            (
                "receive",
                PERMISSIONS["stock.manage"],
                frozenset({"in_transit", "partially_received"}),
            ),
        ),
    ),
    "stock_receipt": DocumentRules(label="入库单", awaiting="pending"),
    # A WeChat Pay refund waits for signatures only when a rule for refunds matches it.
    "refund": DocumentRules(label="退款单", awaiting="pending_approval"),
}


@dataclass(frozen=True)
class Facts:
    """What a rule's condition is checked against."""

    total: Decimal
    list_total: Decimal
    branch_id: int | None
    customer_id: int | None
    credit_exceeded: bool = False

    @property
    def discount_pct(self) -> Decimal:
        if self.list_total <= 0:
            return Decimal("0")
        return (1 - self.total / self.list_total) * 100


def condition_errors(condition: dict) -> list[str]:
    """What is wrong with a condition, in Chinese, for the admin who wrote it."""
    errors = [f"未知条件 {key}" for key in condition if key not in CONDITION_KEYS]
    for key in ("min_amount", "max_amount", "min_discount_pct"):
        if key in condition:
            try:
                Decimal(str(condition[key]))
            except InvalidOperation:
                errors.append(f"{key} 须为数字")
    for key in ("branch_ids", "customer_ids"):
        if key in condition and not (
            isinstance(condition[key], list) and all(isinstance(i, int) for i in condition[key])
        ):
            errors.append(f"{key} 须为整数列表")
    if "credit_exceeded" in condition and not isinstance(condition["credit_exceeded"], bool):
        errors.append("credit_exceeded 须为 true 或 false")
    return errors


def matches(condition: dict, facts: Facts) -> bool:
    if "min_amount" in condition and not facts.total > Decimal(str(condition["min_amount"])):
        return False
    if "max_amount" in condition and not facts.total <= Decimal(str(condition["max_amount"])):
        return False
    if "branch_ids" in condition and facts.branch_id not in condition["branch_ids"]:
        return False
    if "customer_ids" in condition and facts.customer_id not in condition["customer_ids"]:
        return False
    if "min_discount_pct" in condition and facts.discount_pct < Decimal(
        str(condition["min_discount_pct"])
    ):
        return False
    return not (
        "credit_exceeded" in condition and condition["credit_exceeded"] != facts.credit_exceeded
    )


def steps_for(rules: list[tuple[str, dict, list[str]]], facts: Facts) -> tuple[str, list[str]]:
    """The first matching rule's name and roles; rules come ordered by priority."""
    for name, condition, roles in rules:
        if matches(condition, facts):
            return name, roles
    return "", []


class Step(Protocol):
    """An approval step as the rules see it (ApprovalStep rows fit)."""

    role: str
    signed_by_id: int | None


@dataclass(frozen=True)
class Document:
    """A document as the approval rules see it: its type, its status and its steps so far (in
    signing order)."""

    kind: str
    status: str
    steps: Sequence[Step] = ()

    @property
    def rules(self) -> DocumentRules:
        return DOCUMENTS[self.kind]

    @property
    def awaiting(self) -> bool:
        return self.status == self.rules.awaiting


def next_role(document: Document) -> str | None:
    """The role whose signature the document waits for: customer service's review before any
    step exists; nobody once it no longer awaits signatures."""
    if not document.awaiting:
        return None
    unsigned = [s for s in document.steps if s.signed_by_id is None]
    if unsigned:
        return unsigned[0].role
    return None if document.steps else "customer_service"


def may_sign(role: str, waiting_for: str | None) -> bool:
    """Admins review (step 0) as customer service does; later steps only the role they name."""
    return waiting_for is not None and (
        role == waiting_for or (waiting_for == "customer_service" and role in REVIEW_ROLES)
    )


class Staff(Protocol):
    role: str


def allowed_actions(document: Document, staff: Staff) -> frozenset[str]:
    """What this staff member may do to the document now, by the same rules the services enforce:
    `adjust` (before anyone signed), `sign` (the step it waits for), `credit_override` (with the
    signature, where the document allows it and the role may), `reject`, and the document's
    follow-ups once approved (`ship` an order, `receive` a return …)."""
    role = staff.role
    rules = document.rules
    actions = set()
    if document.awaiting:
        waiting_for = next_role(document)
        if role in rules.adjustable_by and not any(s.signed_by_id for s in document.steps):
            actions.add("adjust")
        if role in PERMISSIONS["orders.approve"]:
            if may_sign(role, waiting_for):
                actions.add("sign")
                if rules.overridable and role in CREDIT_OVERRIDE_ROLES:
                    actions.add("credit_override")
            if role in REVIEW_ROLES or role == waiting_for:
                actions.add("reject")
    for action, roles, statuses in rules.follow_ups:
        if document.status in statuses and role in roles:
            actions.add(action)
    return frozenset(actions)
