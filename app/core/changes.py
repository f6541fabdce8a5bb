"""What changed in a commit that readers may have cached: the catalogue (products, categories,
prices, price books) or one warehouse's stock.

Core services call these inside their transaction; listeners (the catalogue cache) register here,
so core never imports them.
"""

from __future__ import annotations

from collections.abc import Callable

# Each is called with None for the catalogue, or with the warehouse id whose stock changed.
listeners: list[Callable[[int | None], None]] = []


def catalogue_changed() -> None:
    for listener in listeners:
        listener(None)


def stock_changed(warehouse_id: int) -> None:
    for listener in listeners:
        listener(warehouse_id)
