"""Shared bench helpers: a throw-away database, percentiles, and a report line."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from contextlib import contextmanager

from devkit.databases import create_database, drop_database, is_postgres


@contextmanager
def scratch_database(base_url: str):
    """A new empty database (a SQLite file, or a PostgreSQL database next to base_url)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = create_database(base_url, tmp)
        try:
            yield url
        finally:
            drop_database(base_url, url)


def run_threads(target, args_per_client: list) -> float:
    """Start one thread per client at once, wait for all; returns the wall time in seconds."""
    threads = [threading.Thread(target=target, args=args) for args in args_per_client]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


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


__all__ = ["is_postgres", "percentile", "report", "run_threads", "scratch_database"]
