"""Styles (款) as a dealer sees them: the style's SKUs at the dealer's own prices with a stock
status each, and the spec picker's state (which values can still be chosen)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from app.core import styles
from app.core.models import Product, ProductGroup
from app.errors import NotFound
from app.mall.catalog import ProductView, offers_for, views_for

ORDERABLE = ("in_stock", "low")


@dataclass
class StyleView:
    group: ProductGroup
    skus: list[ProductView]  # active SKUs, in the order of the style's combinations

    def __getattr__(self, name):  # lets schemas read the group's fields straight through
        return getattr(self.group, name)

    @property
    def specs(self) -> list[dict]:
        return self.group.spec_list

    @property
    def price_min(self) -> Decimal | None:
        return min((v.price for v in self.skus), default=None)

    @property
    def price_max(self) -> Decimal | None:
        return max((v.price for v in self.skus), default=None)

    @property
    def stock_status(self) -> str:
        """in_stock when some SKU is, else low when some SKU is, else out."""
        statuses = {v.stock_status for v in self.skus}
        return next((s for s in ("in_stock", "low") if s in statuses), "out")


def style_view(customer, group_id: int, low_threshold: int) -> StyleView:
    """A style on sale with its SKUs on sale, at this dealer's prices. Raises: NotFound."""
    group = ProductGroup.get_or_none((ProductGroup.id == group_id) & ProductGroup.active)
    if group is None:
        raise NotFound("款式不存在或已下架", group_id=group_id)
    views = views_for(
        customer,
        Product.select().where((Product.group == group.id) & Product.active),
        low_threshold,
        offers_for(customer),
    )
    order = {styles.spec_key(c): i for i, c in enumerate(styles.combinations(group.spec_list))}
    views.sort(key=lambda v: (order.get(v.product.spec, len(order)), v.product.id))
    if not views:
        raise NotFound("款式不存在或已下架", group_id=group_id)
    return StyleView(group, views)


def style_cards(customer, views: list[ProductView], low_threshold: int) -> dict[int, StyleView]:
    """For a catalogue page that shows each style once: the style of every view that is a SKU,
    with all its SKUs on sale (prices and statuses in one go)."""
    group_ids = sorted({v.product.group_id for v in views if v.product.group_id})
    if not group_ids:
        return {}
    groups = {
        g.id: g
        for g in ProductGroup.select().where((ProductGroup.id << group_ids) & ProductGroup.active)
    }
    skus = views_for(
        customer,
        Product.select().where((Product.group << list(groups)) & Product.active),
        low_threshold,
    )
    by_group: dict[int, list[ProductView]] = {gid: [] for gid in groups}
    for v in skus:
        by_group[v.product.group_id].append(v)
    return {gid: StyleView(groups[gid], by_group[gid]) for gid in groups if by_group[gid]}


@dataclass
class Choice:
    value: str
    selected: bool
    disabled: bool  # no SKU in stock has it together with the other dimensions' choices
    chosen_next: dict[str, str] = field(default_factory=dict)  # the choices after tapping it


@dataclass
class Picker:
    dimensions: list[tuple[str, list[Choice]]]
    chosen: dict[str, str]
    sku: ProductView | None  # the SKU the choices name, when they name one
    candidates: list[ProductView]  # SKUs matching the choices made so far

    @property
    def missing(self) -> list[str]:
        return [name for name, _ in self.dimensions if name not in self.chosen]


def picker(style: StyleView, chosen: Mapping[str, str]) -> Picker:
    """The spec picker after `chosen` (values the dealer tapped; unknown names or values are
    dropped). A value is disabled when every SKU with it and the other dimensions' choices is out
    of stock or does not exist; tapping a selected value unselects it."""
    specs = style.specs
    chosen = {
        d["name"]: chosen[d["name"]]
        for d in specs
        if d["name"] in chosen and chosen[d["name"]] in d["values"]
    }
    orderable = [v for v in style.skus if v.stock_status in ORDERABLE]

    def matches(view: ProductView, wanted: Mapping[str, str]) -> bool:
        values = view.product.spec_values
        return all(values.get(k) == val for k, val in wanted.items())

    dimensions = []
    for d in specs:
        name = d["name"]
        others = {k: v for k, v in chosen.items() if k != name}
        choices = []
        for value in d["values"]:
            selected = chosen.get(name) == value
            possible = any(matches(v, {**others, name: value}) for v in orderable)
            after = dict(others) if selected else {**others, name: value}
            choices.append(Choice(value, selected, not possible and not selected, after))
        dimensions.append((name, choices))
    candidates = [v for v in style.skus if matches(v, chosen)]
    complete = len(chosen) == len(specs)
    sku = candidates[0] if complete and candidates else None
    return Picker(dimensions, chosen, sku, candidates)
