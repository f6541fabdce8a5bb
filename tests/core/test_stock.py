"""Stock: adjustments, reservations and the ledger."""

import pytest
from peewee import fn

from app.core import stock
from app.core.models import Stock, StockMovement
from app.errors import InsufficientStock, NotFound, ValidationFailed
from devkit.factories import make_product


def row(world, product):
    return Stock.get((Stock.warehouse == world.warehouse.id) & (Stock.product == product.id))


def test_adjustment_changes_on_hand_and_writes_a_movement(world):
    result = stock.adjust(world.warehouse.id, world.tea.id, -30, "盘点", actor="staff:1")
    assert (result.on_hand, result.reserved, result.available) == (70, 0, 70)
    last = StockMovement.select().order_by(StockMovement.id.desc()).get()
    assert (last.kind, last.on_hand_delta, last.reason) == ("adjustment", -30, "盘点")


def test_adjustment_cannot_take_on_hand_below_reserved(world):
    stock.reserve(world.warehouse.id, [(world.oil.id, 15)], "SO1")
    with pytest.raises(InsufficientStock) as exc:
        stock.adjust(world.warehouse.id, world.oil.id, -6, "报损")
    assert exc.value.details["available"] == 5
    assert row(world, world.oil).on_hand == 20


def test_adjusting_unknown_product_is_not_found(world):
    with pytest.raises(NotFound):
        stock.adjust(world.warehouse.id, 999999, 5, "入库")


def test_zero_adjustment_is_refused(world):
    with pytest.raises(ValidationFailed):
        stock.adjust(world.warehouse.id, world.tea.id, 0, "入库")


def test_reserve_is_all_or_nothing_and_names_every_short_line(world):
    empty = make_product("10.00", name="椰子汁")
    with pytest.raises(InsufficientStock) as exc:
        stock.reserve(
            world.warehouse.id, [(world.tea.id, 10), (world.oil.id, 21), (empty.id, 1)], "SO1"
        )
    short = {line["product_id"]: line for line in exc.value.details["lines"]}
    assert set(short) == {world.oil.id, empty.id}
    assert short[world.oil.id]["available"] == 20
    assert "花生油" in exc.value.message
    assert row(world, world.tea).reserved == 0  # the tea line was rolled back with the rest


def test_reserve_merges_lines_of_the_same_product(world):
    stock.reserve(world.warehouse.id, [(world.oil.id, 12), (world.oil.id, 8)], "SO1")
    assert row(world, world.oil).reserved == 20


def test_ship_takes_goods_out_of_on_hand_and_reserved(world):
    stock.reserve(world.warehouse.id, [(world.oil.id, 8)], "SO1")
    stock.ship(world.warehouse.id, [(world.oil.id, 5)], "SH1")
    r = row(world, world.oil)
    assert (r.on_hand, r.reserved, r.available) == (15, 3, 12)


def test_ledger_sums_to_the_stock_row(world):
    stock.reserve(world.warehouse.id, [(world.tea.id, 40)], "SO1")
    stock.ship(world.warehouse.id, [(world.tea.id, 10)], "SH1")
    stock.release(world.warehouse.id, [(world.tea.id, 30)], "SO1")
    stock.adjust(world.warehouse.id, world.tea.id, 7, "入库")
    sums = (
        StockMovement.select(
            fn.SUM(StockMovement.on_hand_delta), fn.SUM(StockMovement.reserved_delta)
        )
        .where(StockMovement.product == world.tea.id)
        .tuples()
        .get()
    )
    r = row(world, world.tea)
    assert (int(sums[0]), int(sums[1])) == (r.on_hand, r.reserved) == (97, 0)
