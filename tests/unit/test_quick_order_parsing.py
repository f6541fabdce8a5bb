"""快速下单's list parsing (app/mall/quick_order.py), pure: whatever separators a dealer uses, the
lines they meant come back, and whatever they paste, the rest is said in words, never an error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import ValidationFailed
from app.mall.quick_order import WantedItem, parse_text

SKU = st.text(
    alphabet=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./"), min_size=1, max_size=20
)
UNIT = st.sampled_from([None, "箱", "件", "瓶", "kg"])
SEP = st.sampled_from([",", "，", ";", "；", "\t", " ", " , ", "\t\t", "  "])
LINE = st.tuples(SKU, st.integers(1, 99999), UNIT, SEP, SEP)


@given(st.lists(LINE, min_size=1, max_size=50), st.booleans())
def test_every_line_comes_back_whatever_the_separators(lines, header):
    text = "\n".join(
        f"{sku}{a}{qty}" + (f"{b}{unit}" if unit else "") for sku, qty, unit, a, b in lines
    )
    if header:
        text = "编码, 数量, 单位\n\n" + text + "\n\n"
    items, errors = parse_text(text)
    assert errors == []
    assert items == [WantedItem(sku, qty, unit) for sku, qty, unit, _, _ in lines]


@given(st.text(max_size=400))
def test_any_text_gives_items_and_words_never_an_exception(text):
    try:
        items, errors = parse_text(text)
    except ValidationFailed as exc:  # too many lines: said in words
        assert "最多" in exc.message
        return
    for item in items:
        assert 1 <= item.qty <= 99999 and item.sku
    for error in errors:
        assert error.reason and error.line >= 1


@pytest.mark.parametrize(
    "line, reason",
    [
        ("TEA", "缺少数量"),
        ("TEA, 0", "须为 1 到 99999 的整数"),
        ("TEA, -3", "须为 1 到 99999 的整数"),
        ("TEA, 1.5", "须为 1 到 99999 的整数"),
        ("TEA, 100000", "须为 1 到 99999 的整数"),
        ("TEA, 十", "须为 1 到 99999 的整数"),
        ("TEA, 1, 箱, 多余", "多余的内容"),
        ("T" * 65 + ", 1", "商品编码太长"),
    ],
)
def test_a_line_that_says_no_order_says_why(line, reason):
    items, errors = parse_text(f"OK-1, 2\n{line}")
    assert items == [WantedItem("OK-1", 2, None)]
    (error,) = errors
    assert error.line == 2 and reason in error.reason


def test_a_sku_spelt_like_a_header_is_still_an_order_line():
    assert parse_text("SKU, 10\nQTY, 2")[0] == [
        WantedItem("SKU", 10, None),
        WantedItem("QTY", 2, None),
    ]
    assert parse_text("sku\tqty\tunit\nSKU\t3")[0] == [WantedItem("SKU", 3, None)]
    assert parse_text("SKU, 10, 箱")[0] == [WantedItem("SKU", 10, "箱")]


def test_a_whole_number_written_with_decimals_is_that_number():
    assert parse_text("TEA, 12.0")[0] == [WantedItem("TEA", 12, None)]
