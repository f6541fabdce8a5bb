"""Approval rules, pure: does a rule's condition match an order's facts, and which steps follow.

A condition is a JSON object; every key present must hold (an empty condition matches everything):

    {"min_amount": "5000.00"}            order total strictly above this
    {"max_amount": "10000.00"}           order total at most this
    {"branch_ids": [1, 2]}               the customer's branch is one of these
    {"customer_ids": [7]}                the customer is one of these
    {"min_discount_pct": "10"}           discount from list price, in percent, at least this
    {"credit_exceeded": true}            the order would exceed the customer's credit / funds
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from app.auth.permissions import PERMISSIONS
from app.core.rules import CREDIT_OVERRIDE_ROLES, OrderStatus

APPROVER_ROLES = ("customer_service", "branch_manager", "hq_approver", "finance", "admin")
# Who reviews an order first (step 0) and may always reject one that is pending.
REVIEW_ROLES = PERMISSIONS["orders.review"]
SHIPPABLE = (OrderStatus.APPROVED, OrderStatus.PARTIALLY_SHIPPED)
CONDITION_KEYS = {
    "min_amount",
    "max_amount",
    "branch_ids",
    "customer_ids",
    "min_discount_pct",
    "credit_exceeded",
}


@dataclass(frozen=True)
class OrderFacts:
    total: Decimal
    list_total: Decimal
    branch_id: int
    customer_id: int
    credit_exceeded: bool

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


def matches(condition: dict, facts: OrderFacts) -> bool:
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


def steps_for(rules: list[tuple[str, dict, list[str]]], facts: OrderFacts) -> tuple[str, list[str]]:
    """The first matching rule's name and roles; rules come ordered by priority."""
    for name, condition, roles in rules:
        if matches(condition, facts):
            return name, roles
    return "", []


class Step(Protocol):
    """An approval step as the rules see it (ApprovalStep rows fit)."""

    role: str
    signed_by_id: int | None


def next_role(status: str, steps: Sequence[Step]) -> str | None:
    """The role whose signature a pending order waits for; steps come in signing order.

    No steps yet: customer service's review. Not pending: nobody.
    """
    if status != OrderStatus.PENDING_REVIEW:
        return None
    unsigned = [s for s in steps if s.signed_by_id is None]
    if unsigned:
        return unsigned[0].role
    return None if steps else "customer_service"


def may_sign(role: str, waiting_for: str | None) -> bool:
    """Admins review (step 0) as customer service does; later steps only the role they name."""
    return waiting_for is not None and (
        role == waiting_for or (waiting_for == "customer_service" and role in REVIEW_ROLES)
    )


def allowed_actions(status: str, steps: Sequence[Step], role: str) -> frozenset[str]:
    """What this role may do to an order now, by the same rules the review services enforce:
    `adjust` (lines, before anyone signed), `sign` (the step it waits for), `credit_override`
    (with the signature, for the roles that may), `reject`, `ship`."""
    actions = set()
    if status == OrderStatus.PENDING_REVIEW:
        waiting_for = next_role(status, steps)
        if role in PERMISSIONS["orders.review"] and not any(s.signed_by_id for s in steps):
            actions.add("adjust")
        if role in PERMISSIONS["orders.approve"]:
            if may_sign(role, waiting_for):
                actions.add("sign")
                if role in CREDIT_OVERRIDE_ROLES:
                    actions.add("credit_override")
            if role in REVIEW_ROLES or role == waiting_for:
                actions.add("reject")
    if status in SHIPPABLE and role in PERMISSIONS["orders.ship"]:
        actions.add("ship")
    return frozenset(actions)
