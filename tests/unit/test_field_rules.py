"""Distance and replenishment formulas against hand-worked numbers."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.field.rules import (
    haversine_m,
    round_up_to_step,
    sell_one,
    stock_gap,
    turnover,
    within_radius,
)


def test_haversine_matches_known_distances():
    # One degree of latitude is 111.195 km on the mean-radius sphere.
    assert haversine_m(31.0, 121.0, 32.0, 121.0) == pytest.approx(111_195, abs=1)
    # Two points 0.0098° of longitude apart at 31.24°N: 1112 m × cos(31.24°) × 0.98 ≈ 932 m.
    assert haversine_m(31.2400, 121.4900, 31.2397, 121.4998) == pytest.approx(932, abs=5)
    assert haversine_m(31.2, 121.5, 31.2, 121.5) == 0


def test_the_radius_boundary_is_inside():
    assert within_radius(500.0, 500)
    assert not within_radius(500.01, 500)


def test_round_up_to_the_order_multiple_and_never_negative():
    assert round_up_to_step(Decimal("0"), 6) == 0
    assert round_up_to_step(Decimal("-4.5"), 6) == 0
    assert round_up_to_step(Decimal("0.01"), 6) == 6
    assert round_up_to_step(Decimal("12"), 6) == 12
    assert round_up_to_step(Decimal("12.0001"), 6) == 18


def test_sell_one_replaces_what_was_sold():
    assert sell_one(17, 1) == 17
    assert sell_one(17, 6) == 18
    assert sell_one(0, 6) == 0


def test_stock_gap_by_hand():
    # 90 sold in 30 days = 3/day; 14 turnover days → 42; 20 on the shelf → 22; multiple 5 → 25.
    assert stock_gap(90, 30, 14, 20, 5) == 25
    # Enough on the shelf: nothing to order, never negative.
    assert stock_gap(90, 30, 14, 60, 5) == 0


def test_turnover_by_hand():
    # 3/day × (14 + 3) = 51; 20 on the shelf → 31; multiple 6 → 36.
    assert turnover(90, 30, 14, 3, 20, 6) == 36
    # 45 in 30 days = 1.5/day × 17 = 25.5 − 0 → 25.5 → 26 with multiple 1.
    assert turnover(45, 30, 14, 3, 0, 1) == 26


@given(
    sales=st.integers(0, 10_000),
    window=st.integers(1, 365),
    turnover_days=st.integers(0, 90),
    lead=st.integers(0, 30),
    stock=st.integers(0, 10_000),
    step=st.integers(1, 48),
)
def test_suggestions_are_never_negative_and_always_multiples(
    sales, window, turnover_days, lead, stock, step
):
    for qty in (
        stock_gap(sales, window, turnover_days, stock, step),
        turnover(sales, window, turnover_days, lead, stock, step),
    ):
        assert qty >= 0 and qty % step == 0
    assert turnover(sales, window, turnover_days, lead, stock, step) >= stock_gap(
        sales, window, turnover_days, stock, step
    )
