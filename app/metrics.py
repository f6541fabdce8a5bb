"""What /metrics tells Prometheus: requests by endpoint and status with their latency (counted
as they are answered), and gauges read from the database and the task queue at each scrape.

Gunicorn runs several worker processes: with PROMETHEUS_MULTIPROC_DIR set (the systemd unit
sets it, gunicorn.conf.py clears it when a worker exits) each writes its counts to files there
and a scrape adds them up; without it a scrape sees its own process.

A gauge read at the scrape is one entry in `SCRAPED`: its name, what it means, and a function
that returns a number, or numbers by label values (a tuple, one value per label); the shops'
download lag is one such entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from app import outbox
from app.bootstrap import SINKS
from app.shops import queries as shop_queries

log = logging.getLogger(__name__)

REQUESTS = Histogram(
    "dm_http_request_duration_seconds",
    "Time to answer a request, by endpoint (the route's rule), method and status",
    ("endpoint", "method", "status"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

Reading = Callable[[], float | Mapping[tuple[str, ...], float]]


@dataclass(frozen=True)
class Scraped:
    """A gauge read when Prometheus scrapes: `read()` returns its value, or with `labels` a
    mapping of label values (a tuple, one per label) to values."""

    name: str
    documentation: str
    read: Reading
    labels: tuple[str, ...] = ()


# --- what is read at the scrape ----------------------------------------------------------------

_scrape: ContextVar[dict | None] = ContextVar("metrics_scrape", default=None)


def _backlogs() -> dict[str, outbox.Backlog]:
    """Each sink's backlog, read once per scrape however many gauges show it (and tried once
    when the database is away)."""
    memo = _scrape.get()
    if memo is None:
        return _read_backlogs()
    if "backlogs" not in memo:
        try:
            memo["backlogs"] = _read_backlogs()
        except Exception as exc:
            memo["backlogs"] = exc
    if isinstance(memo["backlogs"], Exception):
        raise memo["backlogs"]
    return memo["backlogs"]


def _read_backlogs() -> dict[str, outbox.Backlog]:
    return {name: outbox.backlog(sink) for name, sink in SINKS.items()}


def _per_sink(field: str) -> Reading:
    return lambda: {(name,): getattr(b, field) for name, b in _backlogs().items()}


_task_queue: Callable[[], object] | None = None


def configure(task_queue: Callable[[], object] | None) -> None:
    """`task_queue()` gives the huey queue whose length is reported (the composition root)."""
    global _task_queue
    _task_queue = task_queue


def _queue_length() -> float:
    return _task_queue().pending_count()


def _queue_scheduled() -> float:
    return _task_queue().scheduled_count()


SCRAPED: list[Scraped] = [
    Scraped("dm_outbox_pending", "Outbox items not delivered yet", _per_sink("pending"), ("sink",)),
    Scraped(
        "dm_outbox_failing",
        "Pending outbox items whose last try failed (the receiver or WeChat refused or was away)",
        _per_sink("failing"),
        ("sink",),
    ),
    Scraped(
        "dm_outbox_dead", "Outbox items given up after the last try", _per_sink("dead"), ("sink",)
    ),
    Scraped(
        "dm_outbox_oldest_pending_seconds",
        "How long the oldest pending outbox item has waited",
        _per_sink("oldest_pending_seconds"),
        ("sink",),
    ),
    Scraped(
        "dm_shop_sync_lag_seconds",
        "Seconds since each active shop's orders were last downloaded",
        shop_queries.sync_lag_seconds,
        ("shop",),
    ),
    Scraped("dm_task_queue_length", "Tasks waiting for a worker", _queue_length),
    Scraped("dm_task_queue_scheduled", "Tasks scheduled for later (retries)", _queue_scheduled),
]


class ScrapedGauges:
    """Reads every gauge in SCRAPED; one that cannot be read (its database or queue is away) is
    left out of this scrape and logged, and the others are still reported."""

    def describe(self) -> list[GaugeMetricFamily]:
        """The names, without reading anything (a registry asks when the collector joins it)."""
        return [self._family(gauge) for gauge in SCRAPED]

    @staticmethod
    def _family(gauge: Scraped) -> GaugeMetricFamily:
        return GaugeMetricFamily(gauge.name, gauge.documentation, labels=gauge.labels or None)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        token = _scrape.set({})
        try:
            for gauge in SCRAPED:
                try:
                    value = gauge.read()
                except Exception as exc:
                    log.warning("metrics: could not read %s: %s", gauge.name, exc)
                    continue
                family = self._family(gauge)
                if gauge.labels:
                    for labels, number in value.items():
                        family.add_metric(list(labels), number)
                else:
                    family.add_metric([], value)
                yield family
        finally:
            _scrape.reset(token)


_scraped = ScrapedGauges()
_registered = False


def render(multiprocess_dir: str | None) -> tuple[bytes, str]:
    """The text Prometheus reads, and its content type."""
    global _registered
    if multiprocess_dir:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=multiprocess_dir)
        registry.register(_scraped)
    else:
        registry = REGISTRY  # this process's own metrics, with its CPU and memory
        if not _registered:
            registry.register(_scraped)
            _registered = True
    return generate_latest(registry), CONTENT_TYPE_LATEST
