"""Approval races, with real concurrent clients against gunicorn (several worker processes)."""

import requests

from app.core import orders
from app.core.models import HoldMovement, Order, OrderEvent, Stock, StockMovement
from app.notify.models import Notification
from devkit.testing.clients import ADMIN, MP, dealer_token_over_http
from devkit.testing.concurrency import all_at_once


def approve_call(url, order_id, headers):
    def call():
        r = requests.post(
            f"{url}{ADMIN}/orders/{order_id}/approve", json={}, headers=headers, timeout=30
        )
        return r.status_code, r.json()

    return call


def test_two_approvers_at_once_push_the_order_into_core_exactly_once(gunicorn, co):
    order = co.order(co.east_customer, (co.tea, 20))
    results = all_at_once(
        [
            approve_call(gunicorn.url, order.id, co.headers("cs")),
            approve_call(gunicorn.url, order.id, co.headers("admin")),
            approve_call(gunicorn.url, order.id, co.headers("cs_east")),
        ]
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409, 409], results
    assert Order.get_by_id(order.id).status == "approved"
    assert HoldMovement.select().where(HoldMovement.order == order.id).count() == 1
    reserve = StockMovement.select().where(
        (StockMovement.ref == order.number) & (StockMovement.kind == "reserve")
    )
    assert reserve.count() == 1
    assert (
        OrderEvent.select()
        .where((OrderEvent.order == order.id) & (OrderEvent.action == "approve"))
        .count()
        == 1
    )
    assert (
        Notification.select()
        .where(
            (Notification.order == order.id)
            & (Notification.kind == "approve")
            & (Notification.audience == "dealer")
        )
        .count()
        == 1
    )


def test_approval_racing_the_dealers_cancel_has_one_clean_winner(gunicorn, co):
    dealer = dealer_token_over_http(gunicorn.url, co.east_customer.id, "racing-dealer")
    outcomes = set()
    for _ in range(6):
        order = co.order(co.east_customer, (co.tea, 5))

        def cancel(order_id=order.id):
            r = requests.post(
                f"{gunicorn.url}{MP}/orders/{order_id}/cancel",
                headers={"Authorization": f"Bearer {dealer}"},
                timeout=30,
            )
            return r.status_code, r.json()

        results = all_at_once([approve_call(gunicorn.url, order.id, co.headers("cs")), cancel])
        statuses = sorted(s for s, _ in results)
        assert statuses == [200, 409], results
        final = Order.get_by_id(order.id)
        outcomes.add(final.status)
        events = [e.action for e in OrderEvent.select().where(OrderEvent.order == order.id)]
        assert events in (["submit", "approve"], ["submit", "cancel"])
        held = HoldMovement.select().where(HoldMovement.order == order.id).count()
        assert held == (1 if final.status == "approved" else 0)
    assert outcomes <= {"approved", "cancelled"}
    stock_row = Stock.get((Stock.product == co.tea.id) & (Stock.warehouse == co.sh.id))
    assert stock_row.reserved == sum(
        o.lines[0].reserved_qty for o in Order.select().where(Order.status == "approved")
    )


def test_twenty_orders_approved_at_once_against_scarce_stock_never_oversell(gunicorn, co):
    pending = [co.order(co.east_customer, (co.oil, 1)) for _ in range(20)]  # 10 in stock
    results = all_at_once([approve_call(gunicorn.url, o.id, co.headers("cs")) for o in pending])
    statuses = [s for s, _ in results]
    assert statuses.count(200) == 10
    losers = [body for s, body in results if s != 200]
    assert len(losers) == 10
    assert {b["error"]["code"] for b in losers} == {"insufficient_stock"}
    row = Stock.get((Stock.product == co.oil.id) & (Stock.warehouse == co.sh.id))
    assert (row.on_hand, row.reserved) == (10, 10)
    assert Order.select().where(Order.status == "approved").count() == 10
    assert Order.select().where(Order.status == "pending_review").count() == 10
    # A loser is intact and goes through once stock arrives.
    from app.core import stock

    stock.adjust(co.sh.id, co.oil.id, 10, "补货")
    loser = next(o for o, (status, _) in zip(pending, results, strict=True) if status == 409)
    assert orders.approve_order(loser.id, "staff:1").status == "approved"
