"""Approval rules in the console at 1366 px: an admin edits a rule (and names the customers it is
for), the next order is reviewed by it; a mistake keeps what was typed and says what is wrong."""

from __future__ import annotations

import json

from app.approval.models import ApprovalRule
from app.backoffice import orders as staff_orders
from app.core.models import Order


def rule_row(admin, name: str):
    admin.go("/admin/approval-rules")
    page = admin.page
    row = page.locator("tr.rule-edit").filter(has=page.locator(f"summary:has-text('{name}')"))
    row.locator("summary").click()
    return row


def test_an_admin_edits_a_rule_for_some_customers_and_the_next_order_follows_it(desk, co):
    admin = desk(co.staff["admin"].username)
    row = rule_row(admin, "修改订单规则“五千以上：分公司经理”")
    row.get_by_label("金额大于").fill("8000")
    row.get_by_label("指定客户", exact=True).select_option(
        label=f"{co.east_customer.code} {co.east_customer.name}"
    )
    row.get_by_role("button", name="保存规则").click()
    assert admin.flash() == "审批规则已保存"
    rows = admin.page.locator("#rules tbody tr:not(.rule-edit)").all_inner_texts()
    (listed,) = [r for r in rows if r.startswith("20\t订单\t")]
    assert "金额 > 8000；" in listed
    assert f"指定客户：{co.east_customer.code} {co.east_customer.name}" in listed
    rule = ApprovalRule.get(
        (ApprovalRule.name == "五千以上：分公司经理") & (ApprovalRule.document == "order")
    )
    assert json.loads(rule.condition) == {
        "min_amount": "8000",
        "customer_ids": [co.east_customer.id],
    }
    admin.shot("rule-edited")

    six_thousand = co.order(co.east_customer, (co.tea, 133))  # 5,985 at level 3
    staff_orders.approve(co.staff["cs"], six_thousand.id, "")
    assert Order.get_by_id(six_thousand.id).status == "approved"  # no manager's step now
    assert admin.errors == []


def test_a_wrong_amount_keeps_the_rule_as_typed_and_says_which_field(desk, co):
    admin = desk(co.staff["admin"].username)
    admin.go("/admin/approval-rules")
    form = admin.page.locator("#rule-form")
    assert form.get_by_label("优先级（小的先）").input_value() == "100"  # the usual, filled in
    form.get_by_label("名称").fill("大客户特批")
    form.get_by_label("金额大于").fill("三千")
    form.get_by_label("第 1 步").select_option(label="总部审批人")
    form.get_by_role("button", name="添加规则").click()
    error = admin.page.locator("#rule-form .flash-error").inner_text()
    assert "“金额大于”须为数字" in error
    assert form.get_by_label("名称").input_value() == "大客户特批"
    assert form.get_by_label("第 1 步").input_value() == "hq_approver"
    assert not ApprovalRule.select().where(ApprovalRule.name == "大客户特批").exists()
    admin.shot("rule-form-error")
    admin.errors = [e for e in admin.errors if "422" not in e]  # the refusal was the point
    assert admin.errors == []
