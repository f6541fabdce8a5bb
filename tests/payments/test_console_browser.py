"""收款与发票 in the console, in Chromium at 1366 px against the app under gunicorn: finance
finds a WeChat payment and refunds part of it, a refund a rule names is signed by customer
service, the day's reconciliation shows its disagreements with an alert, an invoice is issued
with its file, and last month's disputes stand out. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest

from app.approval import services as approvals
from app.core import orders
from app.core.models import Order
from app.mall.models import WechatUser
from app.payments import invoices, statements
from app.payments.models import Invoice, Payment, Refund
from app.timeutil import local_today
from devkit.testing.clients import MP, bind_dealer

pytestmark = pytest.mark.slow


def yesterday() -> dt.date:
    """Asked when used: a run that crosses midnight in Beijing has a new yesterday."""
    return local_today() - dt.timedelta(days=1)


def paid_top_up(client, co, pay_sandbox, amount, key, paid_at=None) -> Payment:
    dealer = bind_dealer(client, co.east_customer, f"console-{key}")
    started = client.post(
        f"{MP}/payments",
        json={"purpose": "topup", "amount": amount},
        headers={**dealer, "Idempotency-Key": key},
    ).get_json()
    pay_sandbox.pay(started["out_trade_no"], **({"paid_at": paid_at} if paid_at else {}))
    pay_sandbox.wait_answered(started["out_trade_no"])
    return Payment.get_by_id(started["id"])


def test_finance_refunds_reconciles_issues_invoices_and_sees_disputes_in_the_console(
    desk, gunicorn, client, co, pay_sandbox, tmp_path
):
    approvals.create_rule(
        "退款超过 500 元：总部", {"min_amount": "500"}, [{"role": "hq_approver"}], document="refund"
    )
    payment = paid_top_up(client, co, pay_sandbox, "800.00", "a", f"{yesterday()}T10:00:00+08:00")
    other = paid_top_up(client, co, pay_sandbox, "120.00", "b", f"{yesterday()}T11:00:00+08:00")
    pay_sandbox.edit_bill(yesterday(), amounts={other.out_trade_no: 11000})

    finance = desk("fin1")
    page = finance.page
    finance.go("/admin/payments")
    page.get_by_role("link", name="收款与发票").first.wait_for()
    assert payment.out_trade_no in page.content()
    page.get_by_label("开始日期").fill(str(yesterday()))
    page.get_by_label("结束日期").fill(str(yesterday()))
    finance.button("筛选").click()
    page.wait_for_url("**to=*")
    page.locator("#payments").wait_for()
    assert payment.out_trade_no in page.content()  # paid yesterday, though started today
    assert other.out_trade_no in page.content()
    finance.shot("payments")
    page.get_by_role("link", name=payment.out_trade_no).click()
    page.get_by_label("退款金额").fill("100.00")
    page.get_by_label("退款原因").fill("客户多付")
    finance.shot("payment")
    asked = []

    def answer(dialog, accept: bool):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))  # money goes out only when agreed to
    finance.button("退款").click()
    page.wait_for_timeout(300)
    assert asked == ["确定退款 ¥100.00 吗？款项原路退回付款人的微信，提交后不能撤回。"]
    assert Payment.get_by_id(payment.id).refunded_amount == 0
    page.on("dialog", lambda d: answer(d, True))
    finance.button("退款").click()
    assert "退款 ¥100.00 已提交微信支付" in finance.flash()
    page.get_by_label("退款金额").fill("600.00")
    page.get_by_label("退款原因").fill("订单取消")
    finance.button("退款").click()
    assert "退款 ¥600.00 已提交，等待审批" in finance.flash()
    assert Payment.get_by_id(payment.id).refunded_amount == 700

    finance.go(f"/admin/reconciliation?date={yesterday()}")
    alert = page.locator("#reconciliation-alert")
    assert "金额不符 1 笔" in alert.inner_text()
    finance.shot("reconciliation")
    picker = page.get_by_label("对账日期")
    picker.fill(str(local_today()))  # the picker stops at yesterday: Chromium will not send today
    assert picker.evaluate("e => e.validity.rangeOverflow")
    finance.go(f"/admin/reconciliation?date={local_today()}")  # a link or bookmark still can
    assert page.locator("#reconciliation-alert").inner_text() == "只能对账今天以前的日期"
    assert page.get_by_label("对账日期").is_visible()  # the form is still there, to choose again
    finance.shot("reconciliation-today")
    finance.errors = [e for e in finance.errors if "422" not in e]  # the refusal was the point

    shipped = co.order(co.east_customer, (co.tea, 2))
    orders.approve_order(shipped.id, "staff:1")
    line = Order.get_by_id(shipped.id).lines[0]
    orders.ship_order(shipped.id, [(line.id, 2)], "顺丰", "SF9", "staff:2")
    invoices.request(
        co.east_customer.id,
        {
            "kind": "normal",
            "title": "上海东区商贸有限公司",
            "tax_no": "91310000MA1FL0000X",
            "order_ids": [shipped.id],
        },
        "test",
    )
    finance.go("/admin/invoices")
    number = Invoice.get().number
    page.get_by_label(f"发票号码 {number}").fill("26312000000000077777")
    pdf = tmp_path / "fapiao.pdf"
    pdf.write_bytes(b"%PDF-1.7 console invoice")
    page.get_by_label(f"发票文件 {number}").set_input_files(str(pdf))
    finance.shot("invoices")
    page.get_by_role("button", name=f"开具 {number}").click()
    assert "已开具" in finance.flash()
    assert Invoice.get().status == "issued"
    finance.shot("invoices-issued")

    first = local_today().replace(day=1)
    period = f"{first - dt.timedelta(days=1):%Y-%m}"
    user = WechatUser.get(WechatUser.customer == co.east_customer.id)
    statements.answer(user, period, False, "上月 20 日回款未计入")
    finance.go("/admin/statement-confirmations")
    assert "1 家客户" in page.locator("#disputes").inner_text()
    assert "上月 20 日回款未计入" in page.content()
    finance.shot("confirmations")

    cs = desk("cs1")
    cs.go("/admin/refunds")
    waiting = Refund.get(Refund.status == "pending_approval")
    cs.shot("refunds")
    cs.page.get_by_role("button", name=f"同意退款 {waiting.out_refund_no}").click()
    assert "等待下一步审批" in cs.flash()
    hq = desk("hq1")
    hq.go("/admin/refunds")
    hq.page.get_by_role("button", name=f"同意退款 {waiting.out_refund_no}").click()
    assert "已批准" in hq.flash()
    assert Refund.get_by_id(waiting.id).status == "processing"
    hq.shot("refunds-approved")

    # A refund refused here keeps what was typed.
    finance.go(f"/admin/payments/{other.id}")
    page.get_by_label("退款金额").fill("9999")
    page.get_by_label("退款原因").fill("多收了")
    finance.button("退款").click()
    assert "您填写的内容还在" in finance.flash("error")
    assert page.get_by_label("退款金额").input_value() == "9999"
    assert page.get_by_label("退款原因").input_value() == "多收了"

    # A refund WeChat Pay refuses (it does not know the payment) is said as an error, in words.
    with pay_sandbox.state.lock:
        del pay_sandbox.state.transactions[other.out_trade_no]
    finance.go(f"/admin/payments/{other.id}")
    page.get_by_label("退款金额").fill("20.00")
    page.get_by_label("退款原因").fill("少发一件")
    finance.button("退款").click()
    refused = finance.flash("error")
    assert "退款 ¥20.00 未成功（退款失败）" in refused and "订单不存在或未支付" in refused
    assert page.locator(".flash-success").count() == 0
    finance.shot("refund-refused")

    assert finance.errors == [] and cs.errors == [] and hq.errors == []
