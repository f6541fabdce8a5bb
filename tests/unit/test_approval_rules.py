"""Approval rules and who may act on a document (orders, returns): pure functions, no database."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from app.approval.rules import (
    Document,
    Facts,
    allowed_actions,
    condition_errors,
    matches,
    next_role,
    steps_for,
)

D = Decimal
PENDING = "pending_review"


@dataclass
class Step:
    role: str
    signed_by_id: int | None = None


@dataclass
class Staff:
    role: str


def facts(total="1000.00", list_total="1000.00", branch_id=1, customer_id=7, exceeded=False):
    return Facts(D(total), D(list_total), branch_id, customer_id, exceeded)


def order_actions(status: str, steps: list, role: str) -> frozenset[str]:
    return allowed_actions(Document("order", status, steps), Staff(role))


def return_actions(status: str, steps: list, role: str) -> frozenset[str]:
    return allowed_actions(Document("return", status, steps), Staff(role))


def order_next_role(status: str, steps: list) -> str | None:
    return next_role(Document("order", status, steps))


RULES = [
    ("over 10k", {"min_amount": "10000.00"}, ["branch_manager", "hq_approver"]),
    ("over 5k", {"min_amount": "5000.00"}, ["branch_manager"]),
    ("credit", {"credit_exceeded": True}, ["finance"]),
]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (facts("10000.01"), ("over 10k", ["branch_manager", "hq_approver"])),
        (facts("10000.00"), ("over 5k", ["branch_manager"])),  # "above", not "at least"
        (facts("5000.00"), ("", [])),
        (facts("100.00", exceeded=True), ("credit", ["finance"])),
        (facts("6000.00", exceeded=True), ("over 5k", ["branch_manager"])),  # first match wins
    ],
)
def test_steps_come_from_the_first_matching_rule_by_priority(order, expected):
    assert steps_for(RULES, order) == expected


def test_every_key_of_a_condition_must_hold():
    condition = {"min_amount": "100", "branch_ids": [2], "min_discount_pct": "10"}
    assert not matches(condition, facts("900.00", "1000.00", branch_id=1))
    assert not matches(condition, facts("950.00", "1000.00", branch_id=2))  # 5% off
    assert matches(condition, facts("900.00", "1000.00", branch_id=2))  # 10% off
    assert matches({}, facts())


def test_condition_errors_name_each_bad_key_in_chinese():
    assert condition_errors({"min_amount": "5000", "customer_ids": [1, 2]}) == []
    errors = condition_errors(
        {
            "colour": "red",
            "max_amount": "lots",
            "branch_ids": "1,2",
            "credit_exceeded": "yes",
        }
    )
    assert errors == [
        "未知条件 colour",
        "max_amount 须为数字",
        "branch_ids 须为整数列表",
        "credit_exceeded 须为 true 或 false",
    ]


def test_next_role_is_review_then_each_unsigned_step_in_order():
    assert order_next_role(PENDING, []) == "customer_service"
    signed_review = Step("customer_service", 1)
    assert order_next_role(PENDING, [signed_review, Step("branch_manager")]) == "branch_manager"
    steps = [signed_review, Step("branch_manager", 2), Step("hq_approver")]
    assert order_next_role(PENDING, steps) == "hq_approver"
    assert order_next_role("approved", steps) is None


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("customer_service", {"adjust", "sign", "reject"}),
        ("admin", {"adjust", "sign", "reject", "credit_override"}),
        ("branch_manager", set()),
        ("finance", set()),  # may override credit, but nothing waits for finance yet
        ("warehouse", set()),
        ("rep", set()),
    ],
)
def test_an_unreviewed_order_is_for_customer_service_and_admins(role, expected):
    assert order_actions(PENDING, [], role) == expected


def test_a_signed_order_can_no_longer_be_adjusted_and_waits_for_its_step():
    steps = [Step("customer_service", 1), Step("hq_approver")]
    assert order_actions(PENDING, steps, "hq_approver") == {"sign", "reject", "credit_override"}
    assert order_actions(PENDING, steps, "customer_service") == {"reject"}
    assert order_actions(PENDING, steps, "admin") == {"reject"}  # admins sign only step 0
    assert order_actions(PENDING, steps, "branch_manager") == set()


@pytest.mark.parametrize("status", ["approved", "partially_shipped"])
def test_approved_orders_are_shipped_by_the_warehouse_and_admins(status):
    assert order_actions(status, [], "warehouse") == {"ship"}
    assert order_actions(status, [], "admin") == {"ship"}
    assert order_actions(status, [], "customer_service") == set()


@pytest.mark.parametrize("status", ["shipped", "completed", "rejected", "cancelled"])
def test_finished_orders_allow_nothing(status):
    for role in ("admin", "customer_service", "warehouse", "hq_approver"):
        assert order_actions(status, [Step("customer_service", 1)], role) == set()


def test_a_return_is_reviewed_signed_and_received_by_the_same_rules():
    assert return_actions("pending", [], "customer_service") == {"sign", "reject"}
    steps = [Step("customer_service", 1), Step("branch_manager")]
    assert return_actions("pending", steps, "branch_manager") == {"sign", "reject"}
    assert return_actions("pending", steps, "hq_approver") == set()
    assert next_role(Document("return", "pending", steps)) == "branch_manager"
    for status in ("approved", "partially_received"):
        assert return_actions(status, steps, "warehouse") == {"receive"}
    assert return_actions("received", steps, "warehouse") == set()


def test_only_orders_can_be_adjusted_or_signed_past_credit():
    assert "adjust" not in return_actions("pending", [], "admin")
    assert "credit_override" not in return_actions("pending", [], "admin")
    assert {"adjust", "credit_override"} <= order_actions(PENDING, [], "admin")
