"""Shared bench helpers: a throw-away database, percentiles, and a report line."""

from __future__ import annotations

import statistics
import tempfile
from contextlib import contextmanager

from tests.dbutil import create_database, drop_database, is_postgres


@contextmanager
def scratch_database(base_url: str):
    """A new empty database (a SQLite file, or a PostgreSQL database next to base_url)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = create_database(base_url, tmp)
        try:
            yield url
        finally:
            drop_database(base_url, url)


def percentile(samples: list[float], pct: float) -> float:
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[int(pct) - 1]


def report(name: str, count: int, seconds: float, latencies: list[float]) -> float:
    rate = count / seconds if seconds else float("nan")
    print(
        f"{name:<28} {count:>6} ops  {rate:>9.1f} ops/s  "
        f"p50 {percentile(latencies, 50) * 1000:>7.2f} ms  p99 {percentile(latencies, 99) * 1000:>7.2f} ms"
    )
    return rate


__all__ = ["is_postgres", "percentile", "report", "scratch_database"]
