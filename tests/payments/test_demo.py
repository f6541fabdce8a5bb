"""The demo company has money to show: a paid top-up, a paid order, an issued invoice and a
confirmed statement, settled through the same services WeChat Pay's notifications use."""

from __future__ import annotations

from app.core.models import Receipt
from app.payments.models import Invoice, Payment, StatementConfirmation


def test_the_demo_seeds_paid_payments_an_issued_invoice_and_a_confirmed_statement(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    paid = {p.purpose: p for p in Payment.select().where(Payment.status == "paid")}
    assert paid.keys() == {"topup", "order"}
    for payment in paid.values():
        receipt = Receipt.get_by_id(payment.receipt_id)
        assert (receipt.method, receipt.reference) == ("wechat_pay", payment.transaction_id)
    assert Receipt.get_by_id(paid["order"].receipt_id).order_id == paid["order"].order_id
    assert Invoice.get().status == "issued"
    assert StatementConfirmation.get().status == "confirmed"
