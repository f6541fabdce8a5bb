"""Numbers typed in console forms that views read themselves: ASCII digits within what a column
holds, or a message in words; never a 500."""

from __future__ import annotations

import pytest

from app.approval.models import ApprovalRule
from app.core import orders as core_orders
from app.core.models import Order, ReturnLine
from app.core.returns import request_return
from devkit.factories import place


@pytest.fixture
def asked_return(co):
    order = place(co.east_customer, (co.tea, 4))
    core_orders.approve_order(order.id, "test")
    line = Order.get_by_id(order.id).lines[0]
    core_orders.ship_order(order.id, [(line.id, 4)], "顺丰", "SF1", "test")
    return request_return(co.east_customer.id, order.id, [(line.id, 2)], "破损", "test")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("receive-{line}", "²"),
        ("receive-{line}", "99999999999999999999"),
        ("receive-²", "1"),
        ("receive-99999999999999999999", "1"),
    ],
)
def test_receiving_a_return_with_odd_numbers_is_refused_in_words(
    signed_in, co, asked_return, key, value
):
    line = ReturnLine.get(ReturnLine.request == asked_return.id)
    response = signed_in("admin").post(
        f"/admin/returns/{asked_return.id}/receive", {key.format(line=line.id): value}
    )
    assert response.status_code == 200
    assert "须" in response.get_data(as_text=True)
    assert ReturnLine.get_by_id(line.id).received_qty == 0


@pytest.mark.parametrize("branch", ["²", "99999999999999999999"])
def test_an_approval_rule_naming_an_odd_branch_number_is_refused_in_words(signed_in, co, branch):
    response = signed_in("admin").post(
        "/admin/approval-rules",
        {"name": "规则", "priority": "5", "branch_ids": branch, "step_role": "branch_manager"},
    )
    assert response.status_code == 422  # the rule form again, as it was typed
    assert "分支机构须" in response.get_data(as_text=True)
    assert not ApprovalRule.select().where(ApprovalRule.name == "规则").exists()
