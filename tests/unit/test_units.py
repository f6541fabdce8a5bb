"""Units rules (app.core.units): pure, no database."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.core import units
from app.errors import ValidationFailed


def product(min_qty=1, step=1, extra='[{"name": "箱", "factor": 12}]'):
    return SimpleNamespace(id=1, name="矿泉水", unit="件", min_qty=min_qty, step=step, units=extra)


@pytest.mark.parametrize(
    ("min_qty", "step", "unit", "expected"),
    [
        (1, 1, "箱", (1, 1)),
        (24, 6, "箱", (2, 1)),  # 2 箱 = 24 件
        (30, 6, "箱", (3, 1)),  # 2 箱 is short of 30
        (1, 24, "箱", (2, 2)),  # 24 件 = 2 箱, by 2
        (1, 5, "箱", (5, 5)),  # 60 件: the first whole 箱 on the multiple of 5
        (24, 6, "件", (24, 6)),
        (25, 6, None, (30, 6)),
    ],
)
def test_stepping_in_a_unit_meets_the_base_rules(min_qty, step, unit, expected):
    p = product(min_qty, step)
    first, by = units.stepping(p, unit)
    assert (first, by) == expected
    factor = units.factor_of(p, unit)
    for n in (first, first + by, first + 5 * by):
        assert n * factor >= min_qty and n * factor % step == 0


def test_quantities_and_prices_in_words():
    p = product()
    assert units.in_unit(p, 36, "箱") == ("箱", 3)
    assert units.in_unit(p, 30, "箱") == ("件", 30)
    assert units.amount_words(p, 24, "箱") == "2 箱（24 件）"
    assert units.amount_words(p, 5, "箱") == "5 件"
    assert units.price_words(p, Decimal("2.50")) == "¥2.50/件 · ¥30.00/箱"
    assert units.units_of(product(extra="not json")) == []


def test_units_are_checked_against_the_base_unit():
    assert units.checked("件", [{"name": " 箱 ", "factor": 12}]) == [units.Unit("箱", 12)]
    with pytest.raises(ValidationFailed, match="须为 2 到 10000 件"):
        units.checked("件", [{"name": "箱", "factor": 1}])
    with pytest.raises(ValidationFailed, match="换算数须为整数"):
        units.checked("件", [{"name": "箱", "factor": True}])
    with pytest.raises(ValidationFailed, match="最多设置 5 个单位"):
        units.checked("件", [{"name": f"U{i}", "factor": 2} for i in range(6)])
    with pytest.raises(ValidationFailed, match="矿泉水 没有单位“托”，可选：件、箱"):
        units.factor_of(product(), "托")
