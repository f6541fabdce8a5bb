"""Pure rules: no database."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.rules import (
    TRANSITIONS,
    OrderStatus,
    age_items,
    aging_bucket,
    allocate_fifo,
    check_quantity,
    line_amount,
    next_status,
    resolve_price,
)
from app.errors import BadStep, BelowMinQty, InvalidState
from app.money import money, to_fen, written

D = Decimal


def test_money_rounds_half_up_to_two_places():
    assert money("2.345") == D("2.35")
    assert money("2.344") == D("2.34")
    assert money("-2.345") == D("-2.35")
    assert money(0.1 + 0.2) == D("0.30")


def test_fen_conversion_is_exact():
    assert to_fen(D("1234.50")) == 123450
    assert to_fen("0.015") == 2


def test_amounts_in_sentences_read_as_the_console_shows_them():
    assert written(D("3348")) == "¥3,348.00"
    assert written("100.8") == "¥100.80"
    assert written(D("-25600.805")) == "-¥25,600.81"
    assert written(D("-0.001")) == "¥0.00"


def test_price_book_beats_level_beats_list():
    levels = {3: D("88.00")}
    assert resolve_price(D("100"), levels, 3, D("80.5")) == D("80.50")
    assert resolve_price(D("100"), levels, 3) == D("88.00")
    assert resolve_price(D("100"), levels, 4) == D("100.00")


def test_price_book_of_zero_is_still_a_price():
    assert resolve_price(D("100"), {1: D("90")}, 1, D("0")) == D("0.00")


def test_quantity_below_minimum_is_refused():
    with pytest.raises(BelowMinQty) as exc:
        check_quantity(4, 5, 1, product_id=1, name="绿茶")
    assert exc.value.details["min_qty"] == 5


def test_quantity_off_the_order_multiple_is_refused():
    with pytest.raises(BadStep):
        check_quantity(7, 5, 5, product_id=1, name="绿茶")
    check_quantity(10, 5, 5, product_id=1, name="绿茶")


@pytest.mark.parametrize(
    "current, action, expected",
    [
        ("pending_review", "approve", "approved"),
        ("pending_review", "reject", "rejected"),
        ("pending_review", "cancel", "cancelled"),
        ("approved", "cancel", "cancelled"),
        ("approved", "ship_part", "partially_shipped"),
        ("partially_shipped", "ship_all", "shipped"),
        ("shipped", "complete", "completed"),
    ],
)
def test_allowed_transitions(current, action, expected):
    assert next_status(current, action) == OrderStatus(expected)


@pytest.mark.parametrize(
    "current, action",
    [
        ("approved", "approve"),
        ("rejected", "approve"),
        ("cancelled", "cancel"),
        ("partially_shipped", "cancel"),
        ("shipped", "cancel"),
        ("completed", "ship_part"),
        ("pending_review", "ship_all"),
        ("nonsense", "approve"),
    ],
)
def test_illegal_transitions_raise_invalid_state(current, action):
    with pytest.raises(InvalidState) as exc:
        next_status(current, action)
    assert exc.value.code == "invalid_state"
    assert exc.value.status == 409


def test_terminal_states_have_no_way_out():
    for terminal in (OrderStatus.COMPLETED, OrderStatus.REJECTED, OrderStatus.CANCELLED):
        assert not [k for k in TRANSITIONS if k[0] == terminal]


@pytest.mark.parametrize(
    "days, bucket",
    [
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
    ],
)
def test_aging_bucket_boundaries(days, bucket):
    as_of = dt.date(2026, 11, 24)
    assert aging_bucket(as_of - dt.timedelta(days=days), as_of) == bucket


def test_age_items_sums_per_bucket():
    as_of = dt.date(2026, 11, 24)
    items = [(as_of, D("10.00")), (as_of - dt.timedelta(days=45), D("5.50")), (as_of, D("1.25"))]
    assert age_items(items, as_of) == {
        "0-30": D("11.25"),
        "31-60": D("5.50"),
        "61-90": D("0.00"),
        "90+": D("0.00"),
    }


def test_fifo_pays_oldest_first_and_returns_the_rest():
    allocations, left = allocate_fifo(D("150"), [(1, D("100")), (2, D("30")), (3, D("70"))])
    assert allocations == [(1, D("100.00")), (2, D("30.00")), (3, D("20.00"))]
    assert left == D("0.00")
    allocations, left = allocate_fifo(D("50"), [(1, D("20"))])
    assert allocations == [(1, D("20.00"))] and left == D("30.00")


amounts = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False)


@given(amount=amounts, items=st.lists(amounts, max_size=8))
def test_fifo_never_over_allocates(amount, items):
    allocations, left = allocate_fifo(amount, list(enumerate(items)))
    assert sum((a for _, a in allocations), D(0)) + left == money(amount)
    assert left >= 0
    for item_id, alloc in allocations:
        assert 0 < alloc <= items[item_id]


@given(price=amounts, qty=st.integers(min_value=1, max_value=100000))
def test_line_amount_is_exact_for_two_place_prices(price, qty):
    assert line_amount(price, qty) == price * qty
