"""Units of a product: its base unit (`Product.unit`, what stock, prices and quantities count) and
up to MAX_UNITS named units of several base units each (箱 = 12 件). Dealers order in any of
them; a quantity in a unit is stored in base units, and the unit and its count are kept beside
it for people to read. Pure rules, no I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from math import gcd

from app.errors import ValidationFailed
from app.money import written

MAX_UNITS = 5
MAX_FACTOR = 10_000
MAX_NAME = 16


@dataclass(frozen=True)
class Unit:
    name: str
    factor: int  # base units in one of these


def units_of(product) -> list[Unit]:
    """The product's extra units (not the base one), as stored (`Product.units`, JSON)."""
    return parsed(getattr(product, "units", None))


def parsed(raw) -> list[Unit]:
    """Stored units (JSON text, or rows already read) as Unit rows."""
    try:
        rows = json.loads(raw or "[]") if isinstance(raw, str | None) else raw
        return [Unit(str(r["name"]), int(r["factor"])) for r in rows]
    except (ValueError, TypeError, KeyError):
        return []


def all_units(product) -> list[Unit]:
    """The base unit (factor 1), then the extra ones."""
    return [Unit(product.unit, 1), *units_of(product)]


def as_json(units: list[Unit]) -> str:
    return json.dumps([{"name": u.name, "factor": u.factor} for u in units], ensure_ascii=False)


def dumped(product) -> list[dict]:
    """`units` as the API answers it: the extra units only, as they are set."""
    return [{"name": u.name, "factor": u.factor} for u in units_of(product)]


def checked(base_unit: str, rows) -> list[Unit]:
    """The extra units a product is given ([{"name", "factor"}] or Unit rows), checked against
    its base unit. Raises: ValidationFailed, in words."""
    units: list[Unit] = []
    for number, row in enumerate(rows or [], 1):
        name = str(row.name if isinstance(row, Unit) else row.get("name", "")).strip()
        factor = row.factor if isinstance(row, Unit) else row.get("factor")
        if not name:
            raise ValidationFailed(f"第 {number} 个单位没有名称", units=["单位名称不能为空"])
        if len(name) > MAX_NAME:
            raise ValidationFailed(f"单位“{name}”太长（最多 {MAX_NAME} 个字）", units=["名称太长"])
        if name == base_unit:
            raise ValidationFailed(
                f"单位“{name}”就是基本单位，不用再加", units=["不能与基本单位相同"]
            )
        if any(u.name == name for u in units):
            raise ValidationFailed(f"单位“{name}”重复了", units=["单位名称不能重复"])
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise ValidationFailed(f"单位“{name}”的换算数须为整数", units=["换算数须为整数"])
        if not 2 <= factor <= MAX_FACTOR:
            raise ValidationFailed(
                f"单位“{name}”须为 2 到 {MAX_FACTOR} {base_unit}",
                units=[f"换算数须在 2 到 {MAX_FACTOR} 之间"],
            )
        units.append(Unit(name, factor))
    if len(units) > MAX_UNITS:
        raise ValidationFailed(f"最多设置 {MAX_UNITS} 个单位", units=[f"最多 {MAX_UNITS} 个"])
    return units


def factor_of(product, unit: str | None) -> int:
    """Base units in one `unit` of the product (None or the base unit: 1).
    Raises: ValidationFailed naming the product and the unit."""
    if not unit or unit == product.unit:
        return 1
    for u in units_of(product):
        if u.name == unit:
            return u.factor
    choices = "、".join(u.name for u in all_units(product))
    raise ValidationFailed(
        f"{product.name} 没有单位“{unit}”，可选：{choices}",
        product_id=product.id,
        unit=[f"可选：{choices}"],
    )


def in_unit(product, qty: int, preferred: str | None) -> tuple[str, int]:
    """A base quantity as (unit, count): in `preferred` when it is one of the product's units and
    the quantity is a whole number of it, else in the base unit."""
    if preferred and preferred != product.unit:
        for u in units_of(product):
            if u.name == preferred and qty % u.factor == 0:
                return u.name, qty // u.factor
    return product.unit, qty


def words(qty: int, unit: str | None, unit_qty: int | None, base_unit: str) -> str:
    """ "2 箱（24 件）", or "24 件" in the base unit."""
    if not unit or unit == base_unit or unit_qty is None:
        return f"{qty} {base_unit}"
    return f"{unit_qty} {unit}（{qty} {base_unit}）"


def amount_words(product, qty: int, unit: str | None) -> str:
    """A base quantity said in `unit` where it divides exactly ("2 箱（24 件）"), else in base units."""
    name, count = in_unit(product, qty, unit)
    return words(qty, name, count, product.unit)


def price_words(product, price: Decimal) -> str:
    """The price per unit: "¥12.00/件 · ¥144.00/箱"."""
    return " · ".join(f"{written(price * u.factor)}/{u.name}" for u in all_units(product))


def stepping(product, unit: str | None) -> tuple[int, int]:
    """(the first orderable count, the count's multiple) in `unit`, so that the base quantity meets
    the product's minimum and order multiple: with 箱 = 12 件, min 24 and multiple 6, (2, 1)."""
    factor = factor_of(product, unit)
    step = product.step // gcd(product.step, factor)
    first = max(1, -(-product.min_qty // factor))
    return first + (-first % step), step


def line_words(line) -> str:
    """An order line's quantity as the dealer ordered it: "2 箱（24 件）", or "24 件"."""
    return words(line.qty, line.unit, line.unit_qty, line.product.unit)


def choices(product) -> list[dict]:
    """What a unit picker offers: each unit with its first orderable count and multiple."""
    rows = []
    for u in all_units(product):
        first, step = stepping(product, u.name)
        label = u.name if u.factor == 1 else f"{u.name}（{u.factor}{product.unit}）"
        rows.append(
            {"name": u.name, "factor": u.factor, "first": first, "step": step, "label": label}
        )
    return rows
