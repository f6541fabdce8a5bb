"""Small reads that ride along with an order's first statement instead of costing a round trip.

A handler that reads the same small table with every new order (the webhook subscribers) names
that read here once, as a scalar SQL expression. The order's first statement, the key's look-up
(app/mall/ordering.py), selects every named read among its own columns, and while that order is
written its handlers find the answers with `answer`. Anywhere else (a receipt, a return, an
order placed without a key) nothing rode along, `answer` says so, and the handler reads for
itself: the two ways give the same rows, which a test holds equal.

The answer is as old as the order's first statement, a moment before its transaction: what a
read inside the transaction would give, but for a change committed in between, which the order
could as well have committed before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

NOT_READ = object()

# name -> the scalar SQL for the database in use (a callable, as the dialect is known only at run time)
_reads: dict[str, Callable[[], str]] = {}
_answers: ContextVar[dict[str, object] | None] = ContextVar("read_along", default=None)


def register(name: str, sql: Callable[[], str]) -> None:
    """Name a read that goes along with each order's first statement."""
    _reads[name] = sql


def columns() -> tuple[tuple[str, ...], str]:
    """The names registered and the SQL that reads them, `, (a), (b)` to follow other columns
    (an empty string when none is)."""
    names = tuple(_reads)
    return names, "".join(f", ({_reads[name]()})" for name in names)


@contextmanager
def answered(names: Sequence[str], values: Sequence[object]) -> Iterator[None]:
    """While the block runs, `answer(name)` gives what the statement read for `name`."""
    token = _answers.set(dict(zip(names, values, strict=True)))
    try:
        yield
    finally:
        _answers.reset(token)


def answer(name: str) -> object:
    """What rode along for `name` with the order being written, or NOT_READ."""
    answers = _answers.get()
    return NOT_READ if answers is None else answers.get(name, NOT_READ)
