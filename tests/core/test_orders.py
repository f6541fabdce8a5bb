"""Orders through their life: server-side prices, approval into stock and credit, ship, cancel."""

from decimal import Decimal

import pytest

from app.core import catalog, orders, receivables
from app.core.models import Customer, HoldMovement, Order, OrderEvent, Receivable, Stock
from app.errors import (
    BadStep,
    BelowMinQty,
    CreditExceeded,
    Forbidden,
    InsufficientStock,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from devkit.factories import make_customer, make_product, make_staff, place

D = Decimal


def stock_of(world, product):
    return Stock.get((Stock.warehouse == world.warehouse.id) & (Stock.product == product.id))


def fresh(model):
    return type(model).get_by_id(model.id)


def events(order):
    return [
        (e.action, e.from_status, e.to_status)
        for e in OrderEvent.select().where(OrderEvent.order == order.id).order_by(OrderEvent.id)
    ]


def test_new_order_is_priced_on_the_server_and_awaits_review(world):
    catalog.set_customer_price(world.customer.id, world.oil.id, D("170.00"))
    order = place(world.customer, (world.tea, 10), (world.oil, 2))
    lines = {ln.product_id: ln for ln in order.lines}
    assert lines[world.tea.id].price == D("45.00")  # level 3 price
    assert lines[world.oil.id].price == D("170.00")  # price book
    assert lines[world.oil.id].list_price == D("200.00")
    assert order.total == D("790.00")
    assert order.status == "pending_review"
    assert order.number.startswith("SO") and order.number.endswith(f"{order.id:06d}")
    assert events(order) == [("submit", None, "pending_review")]
    assert stock_of(world, world.tea).reserved == 0  # nothing is held before approval


def test_order_quantity_rules_are_enforced(world):
    boxed = make_product("10.00", min_qty=6, step=6)
    with pytest.raises(BelowMinQty):
        place(world.customer, (boxed, 5))
    with pytest.raises(BadStep):
        place(world.customer, (boxed, 8))
    assert Order.select().count() == 0


def test_inactive_or_unknown_products_cannot_be_ordered(world):
    catalog.update_product(world.tea.id, active=False)
    with pytest.raises(NotFound) as exc:
        place(world.customer, (world.tea, 1))
    assert exc.value.details["product_ids"] == [world.tea.id]


def test_duplicate_product_lines_are_refused(world):
    with pytest.raises(ValidationFailed):
        place(world.customer, (world.tea, 1), (world.tea, 2))


def test_approval_reserves_stock_and_holds_credit(world):
    order = place(world.customer, (world.tea, 10), (world.oil, 5))
    approved = orders.approve_order(order.id, "staff:1")
    assert approved.status == "approved"
    assert stock_of(world, world.tea).reserved == 10
    assert stock_of(world, world.oil).reserved == 5
    customer = fresh(world.customer)
    assert customer.held == D("1350.00") == approved.held_amount
    assert events(order)[-1] == ("approve", "pending_review", "approved")


def test_approval_fails_whole_when_stock_is_short(world):
    order = place(world.customer, (world.tea, 10), (world.oil, 21))
    with pytest.raises(InsufficientStock) as exc:
        orders.approve_order(order.id, "staff:1")
    assert [ln["product_id"] for ln in exc.value.details["lines"]] == [world.oil.id]
    assert fresh(order).status == "pending_review"
    assert stock_of(world, world.tea).reserved == 0
    assert fresh(world.customer).held == 0
    assert len(events(order)) == 1


def test_approval_over_credit_limit_says_limit_used_and_needed(world):
    first = place(world.customer, (world.oil, 20))  # 3600.00
    orders.approve_order(first.id, "staff:1")
    second = place(world.customer, (world.tea, 50))  # 2250.00
    with pytest.raises(CreditExceeded) as exc:
        orders.approve_order(second.id, "staff:1")
    assert exc.value.details == {
        "limit": "5000.00",
        "used": "3600.00",
        "needed": "2250.00",
        "available": "1400.00",
    }
    assert fresh(second).status == "pending_review"
    assert stock_of(world, world.tea).reserved == 0


def test_credit_override_needs_an_authorised_role_and_is_recorded(world):
    order = place(world.customer, (world.oil, 20), (world.tea, 40))  # 5400.00 > 5000.00
    clerk = make_staff("customer_service")
    with pytest.raises(Forbidden):
        orders.approve_order(order.id, "staff:x", credit_override_by=clerk.id)
    vp = make_staff("hq_approver")
    approved = orders.approve_order(order.id, f"staff:{vp.id}", credit_override_by=vp.id)
    assert approved.credit_override_by_id == vp.id
    hold = HoldMovement.get(HoldMovement.order == order.id)
    assert hold.override_by_id == vp.id and hold.amount == D("5400.00")


def test_prepaid_customer_needs_funds_on_account(world):
    prepaid = make_customer(world.branch, world.warehouse, method="prepaid", limit="0", level=3)
    order = place(prepaid, (world.tea, 10))  # 450.00
    with pytest.raises(CreditExceeded) as exc:
        orders.approve_order(order.id, "staff:1")
    assert "预付款余额不足" in exc.value.message
    receivables.record_receipt(prepaid.id, D("500.00"), "bank", "预付")
    orders.approve_order(order.id, "staff:1")
    position = receivables.account_position(prepaid.id)
    assert position.balance == D("500.00")
    assert position.open_orders_amount == D("450.00")
    assert position.available_credit == D("50.00")


def test_cash_on_delivery_customer_is_not_credit_limited(world):
    cod = make_customer(world.branch, world.warehouse, method="cod", limit="0")
    order = place(cod, (world.oil, 20))
    assert orders.approve_order(order.id, "staff:1").status == "approved"


def test_approving_twice_is_an_invalid_state(world):
    order = place(world.customer, (world.tea, 1))
    orders.approve_order(order.id, "staff:1")
    with pytest.raises(InvalidState):
        orders.approve_order(order.id, "staff:2")
    assert stock_of(world, world.tea).reserved == 1


def test_reject_needs_a_reason_and_holds_nothing(world):
    order = place(world.customer, (world.tea, 1))
    with pytest.raises(ValidationFailed):
        orders.reject_order(order.id, "staff:1", "  ")
    rejected = orders.reject_order(order.id, "staff:1", "价格有误")
    assert (rejected.status, rejected.reject_reason) == ("rejected", "价格有误")
    with pytest.raises(InvalidState):
        orders.approve_order(order.id, "staff:1")


def test_cancel_after_approval_gives_back_stock_and_credit(world):
    order = place(world.customer, (world.tea, 10), (world.oil, 5))
    orders.approve_order(order.id, "staff:1")
    cancelled = orders.cancel_order(order.id, "dealer:1")
    assert cancelled.status == "cancelled"
    assert stock_of(world, world.tea).reserved == 0
    assert fresh(world.customer).held == 0
    assert cancelled.held_amount == 0
    assert [m.kind for m in HoldMovement.select().order_by(HoldMovement.id)] == ["hold", "release"]


def test_partial_then_full_shipment_posts_receivables_and_releases_the_hold(world):
    order = place(world.customer, (world.tea, 10), (world.oil, 5))
    orders.approve_order(order.id, "staff:1")
    tea_line, oil_line = sorted(order.lines, key=lambda ln: ln.product_id)
    first = orders.ship_order(order.id, [(tea_line.id, 4)], "顺丰", "SF1", "staff:2")
    assert first.amount == D("180.00")
    assert fresh(order).status == "partially_shipped"
    assert fresh(world.customer).held == D("1170.00")
    assert fresh(world.customer).ar_balance == D("180.00")
    tea = stock_of(world, world.tea)
    assert (tea.on_hand, tea.reserved) == (96, 6)
    with pytest.raises(ValidationFailed) as exc:
        orders.ship_order(order.id, [(tea_line.id, 7)], "顺丰", "SF2", "staff:2")
    assert exc.value.details["remaining"] == 6
    orders.ship_order(order.id, [(tea_line.id, 6), (oil_line.id, 5)], "顺丰", "SF2", "staff:2")
    done = fresh(order)
    assert done.status == "shipped" and done.held_amount == 0
    customer = fresh(world.customer)
    assert (customer.held, customer.ar_balance) == (D("0.00"), D("1350.00"))
    assert Receivable.select().where(Receivable.order == order.id).count() == 2
    assert [e[0] for e in events(order)] == ["submit", "approve", "ship_part", "ship_all"]
    orders.complete_order(order.id, "dealer:1")
    assert fresh(order).status == "completed"


def test_shipping_a_line_of_another_order_is_not_found(world):
    a = place(world.customer, (world.tea, 1))
    b = place(world.customer, (world.oil, 1))
    orders.approve_order(a.id, "staff:1")
    orders.approve_order(b.id, "staff:1")
    with pytest.raises(NotFound):
        orders.ship_order(a.id, [(b.lines[0].id, 1)], "顺丰", "SF1", "staff:2")


def test_pending_or_cancelled_orders_cannot_ship(world):
    order = place(world.customer, (world.tea, 1))
    with pytest.raises(InvalidState):
        orders.ship_order(order.id, [(order.lines[0].id, 1)], "顺丰", "SF1", "staff:2")


def test_shipped_order_cannot_be_cancelled(world):
    order = place(world.customer, (world.tea, 2))
    orders.approve_order(order.id, "staff:1")
    orders.ship_order(order.id, [(order.lines[0].id, 1)], "顺丰", "SF1", "staff:2")
    with pytest.raises(InvalidState):
        orders.cancel_order(order.id, "dealer:1")


def test_customer_position_after_a_round_trip(world):
    order = place(world.customer, (world.oil, 10))
    orders.approve_order(order.id, "staff:1")
    orders.ship_order(order.id, [(order.lines[0].id, 10)], "德邦", "DB1", "staff:2")
    position = receivables.account_position(world.customer.id)
    assert position.receivable == D("1800.00")
    assert position.available_credit == D("3200.00")
    assert Customer.get_by_id(world.customer.id).ar_balance == D("1800.00")
