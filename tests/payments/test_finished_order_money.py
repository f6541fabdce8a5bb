"""Money paid for an order that will not ship (cancelled, rejected) or that shipped for less
than was paid is the dealer's prepayment like any other: it pays their oldest open receivables
at once, as a top-up does, and what is left stays prepaid (docs/payments.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from app.backoffice import orders as backoffice_orders
from app.core import orders, receivables
from app.core.models import Customer, Order, Receipt, Receivable
from app.mall import ordering
from app.notify.models import InboxMessage
from app.payments import payments
from app.timeutil import local_today
from devkit.factories import make_staff, place
from devkit.testing.clients import MP


def ship_whole(order):
    orders.approve_order(order.id, "staff:1")
    line = Order.get_by_id(order.id).lines[0]
    orders.ship_order(order.id, [(line.id, line.qty)], "顺丰", f"SF{order.id}", "staff:2")


def pay(client, dealer, pay_sandbox, order, key):
    started = client.post(
        f"{MP}/payments",
        json={"purpose": "order", "order_id": order.id},
        headers={**dealer, "Idempotency-Key": key},
    ).get_json()
    pay_sandbox.pay(started["out_trade_no"])
    pay_sandbox.wait_answered(started["out_trade_no"])
    return started


def figures_agree(customer_id):
    """The account page's figures: what is owed and prepaid add up to the statement's end."""
    position = receivables.account_position(customer_id)
    today = local_today()
    statement = receivables.account_statement(
        customer_id, today - dt.timedelta(days=30), today, today
    )
    assert position.net == statement["closing_balance"]
    return position


def test_a_cancelled_paid_order_pays_the_oldest_open_receivable_and_the_rest_stays_prepaid(
    client, dealer, shop, pay_sandbox
):
    shipped = place(shop.customer, (shop.tea, 4))  # 180.00, shipped, unpaid
    ship_whole(shipped)
    cancelled = place(shop.customer, (shop.tea, 2))  # 90.00, paid, then cancelled
    pay(client, dealer, pay_sandbox, cancelled, "k-a")
    assert payments.order_unpaid(Order.get_by_id(shipped.id)) == D("180.00")

    ordering.cancel(shop.customer.id, cancelled.id, "wechat:1")

    assert payments.order_unpaid(Order.get_by_id(shipped.id)) == D("90.00")
    position = figures_agree(shop.customer.id)
    assert (position.receivable, position.balance) == (D("90.00"), D("0.00"))
    message = (
        InboxMessage.select()
        .where(InboxMessage.customer == shop.customer.id, InboxMessage.title == "订单已取消")
        .get()
    )
    assert "：已付的 ¥90.00 已转入预付款，先抵扣您未付的货款" in message.body
    assert "如需退回微信请联系客服" in message.body

    # Paying more than is owed: the receivable is paid whole, the rest is prepaid.
    bigger = place(shop.customer, (shop.tea, 4))  # 180.00
    pay(client, dealer, pay_sandbox, bigger, "k-b")
    ordering.cancel(shop.customer.id, bigger.id, "wechat:1")
    position = figures_agree(shop.customer.id)
    assert (position.receivable, position.balance) == (D("0.00"), D("90.00"))
    assert payments.order_unpaid(Order.get_by_id(shipped.id)) == D("0.00")
    # Money neither made nor lost: every receipt's amount is what it applied plus what it holds.
    for receipt in Receipt.select():
        applied = sum((a.amount for a in receipt.allocations), D("0.00"))
        assert applied + receipt.unapplied == receipt.amount


def test_a_rejected_paid_order_frees_its_money_and_says_so(client, dealer, shop, pay_sandbox):
    shipped = place(shop.customer, (shop.tea, 1))  # 45.00 owed
    ship_whole(shipped)
    rejected = place(shop.customer, (shop.tea, 2))
    pay(client, dealer, pay_sandbox, rejected, "k-r")
    orders.reject_order(rejected.id, "staff:1", "价格有误")
    assert Receivable.get(Receivable.order == shipped.id).open_amount == D("0.00")
    position = figures_agree(shop.customer.id)
    assert position.balance == D("45.00")
    detail = (
        InboxMessage.select()
        .where(InboxMessage.customer == shop.customer.id, InboxMessage.title == "订单未通过审核")
        .get()
        .body
    )
    assert "：原因：价格有误；已付的 ¥90.00 已转入预付款" in detail


def test_what_was_paid_beyond_a_shipped_orders_value_pays_other_receivables(
    client, dealer, shop, pay_sandbox
):
    older = place(shop.customer, (shop.tea, 2))  # 90.00, shipped, unpaid
    ship_whole(older)
    paid_for = place(shop.customer, (shop.tea, 2))  # 90.00 paid; cut to 1 (45.00) in review
    pay(client, dealer, pay_sandbox, paid_for, "k-s")
    backoffice_orders.adjust(
        make_staff("customer_service", shop.branch),
        paid_for.id,
        [{"product_id": shop.tea.id, "qty": 1}],
        "库存不足",
    )
    ship_whole(paid_for)
    # paid_for's receipt paid its own receivable, then — the order finished — the older one.
    assert {r.order_id: r.open_amount for r in Receivable.select()} == {
        older.id: D("45.00"),
        paid_for.id: D("0.00"),
    }
    figures_agree(shop.customer.id)


# --- prepaid money and what an order asks --------------------------------------------------------


def test_a_prepaid_dealers_order_asks_only_what_their_balance_does_not_cover(
    client, dealer, shop, pay_sandbox, dealer_phone
):
    Customer.update(settlement_method="prepaid").where(Customer.id == shop.customer.id).execute()
    receivables.record_receipt(shop.customer.id, D("100.00"), "bank", "网银", "test")
    first = place(shop.customer, (shop.tea, 2))  # 90.00: the balance covers it
    second = place(shop.customer, (shop.tea, 2))  # 90.00: 10.00 of the balance is left for it
    assert payments.order_dues(Order.get_by_id(first.id)).prepaid_covers == D("90.00")
    assert payments.order_unpaid(Order.get_by_id(first.id)) == D("0.00")
    assert payments.order_unpaid(Order.get_by_id(second.id)) == D("80.00")
    page = dealer_phone.open(f"/h5/orders/{second.id}").get_data(as_text=True)
    assert '待付款 <strong class="price">¥80.00</strong>' in page
    assert "预付款余额中的 ¥10.00 将在订单审核通过时自动抵扣本单，只需再付 ¥80.00" in page
    page = dealer_phone.open(f"/h5/orders/{first.id}").get_data(as_text=True)
    assert "去付款" not in page and "无需另行付款" in page

    started = client.post(
        f"{MP}/payments",
        json={"purpose": "order", "order_id": second.id},
        headers={**dealer, "Idempotency-Key": "k-rest"},
    ).get_json()
    assert started["amount"] == "80.00"  # only the rest
    pay_sandbox.pay(started["out_trade_no"])
    pay_sandbox.wait_answered(started["out_trade_no"])
    orders.approve_order(first.id, "staff:1")  # each approval holds from the balance: it suffices
    orders.approve_order(second.id, "staff:1")
    for order in (first, second):
        assert payments.order_unpaid(Order.get_by_id(order.id)) == D("0.00")
    assert receivables.account_position(shop.customer.id).available_credit == D("0.00")


def test_a_credit_dealers_prepaid_money_pays_at_shipment_so_the_order_asks_the_rest(
    client, dealer, shop, pay_sandbox
):
    receivables.record_receipt(shop.customer.id, D("50.00"), "bank", "网银", "test")
    approved = place(shop.customer, (shop.tea, 1))  # 45.00, approved: ships first, takes 45.00
    orders.approve_order(approved.id, "staff:1")
    waiting = place(shop.customer, (shop.tea, 2))  # 90.00 awaiting review: 5.00 left for it
    assert payments.order_unpaid(Order.get_by_id(approved.id)) == D("0.00")
    assert payments.order_unpaid(Order.get_by_id(waiting.id)) == D("85.00")
    started = client.post(
        f"{MP}/payments",
        json={"purpose": "order", "order_id": waiting.id},
        headers={**dealer, "Idempotency-Key": "k-credit"},
    ).get_json()
    assert started["amount"] == "85.00"
    pay_sandbox.pay(started["out_trade_no"])
    pay_sandbox.wait_answered(started["out_trade_no"])
    for order in (approved, waiting):
        if order is waiting:
            orders.approve_order(order.id, "staff:1")
        line = Order.get_by_id(order.id).lines[0]
        orders.ship_order(order.id, [(line.id, line.qty)], "顺丰", f"SF{order.id}", "staff:2")
    # The model spent the prepayment by itself: both shipped orders are paid, nothing is left.
    assert [r.open_amount for r in Receivable.select()] == [D("0.00"), D("0.00")]
    position = figures_agree(shop.customer.id)
    assert (position.receivable, position.balance) == (D("0.00"), D("0.00"))


def test_money_stranded_before_this_change_is_applied_once_by_the_command(app, shop):
    shipped = place(shop.customer, (shop.tea, 4))  # 180.00 owed
    ship_whole(shipped)
    cancelled = place(shop.customer, (shop.tea, 2))
    receivables.record_receipt(
        shop.customer.id, D("90.00"), "wechat_pay", "T1", order_id=cancelled.id
    )
    # As the database was before: the order cancelled, its money left unapplied beside a receivable.
    Order.update(status="cancelled").where(Order.id == cancelled.id).execute()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["apply-prepayments"])
    assert result.exit_code == 0, result.output
    assert "¥90.00" in result.output and "1 customers" in result.output
    position = figures_agree(shop.customer.id)
    assert (position.receivable, position.balance) == (D("90.00"), D("0.00"))
    again = runner.invoke(args=["apply-prepayments"])
    assert "0 customers" in again.output
    assert receivables.account_position(shop.customer.id).receivable == D("90.00")
