"""Shared bench helpers: a throw-away database, percentiles, and a report line."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager

from app import create_app
from app.cli import upgrade_database
from config.settings import TestingConfig
from devkit.databases import close_connections, create_database, drop_database, is_postgres


@contextmanager
def scratch_database(base_url: str):
    """A new empty database (a SQLite file, or a PostgreSQL database next to base_url)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = create_database(base_url, tmp)
        try:
            yield url
        finally:
            drop_database(base_url, url)


@contextmanager
def migrated_app(base_url: str, **settings):
    """The app on a new scratch database (see scratch_database), migrated, with `settings` over
    the test settings. Yields (app, url); the app's connections are closed on the way out."""
    with scratch_database(base_url) as url:
        config = type("BenchConfig", (TestingConfig,), {"DATABASE_URL": url, **settings})
        app = create_app(config)
        with app.app_context():
            upgrade_database()
        try:
            yield app, url
        finally:
            close_connections()


def add_service_options(parser) -> None:
    """--database-url (PostgreSQL) and --redis-url, defaulting to this machine's services."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    )


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


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, script: str, *, connections: int, seconds: float, threads: int = 2) -> dict:
    """Load `url` with wrk (closed loop, `connections` at once) running a Lua `script`.

    Returns rate (requests/s), p50 and p99 (ms), and errors: non-2xx/3xx answers plus socket
    errors, which a run under the bar must not have.
    """
    program = shutil.which("wrk")
    if program is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        out = subprocess.run(  # noqa: S603 - our own arguments, no shell
            [
                program,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{round(seconds)}s",
                "--latency",
                "-s",
                lua.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    found = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if len(found) < 2:
        raise RuntimeError(f"wrk printed no latency distribution for {url}:\n{out}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return {
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(found["50"]),
        "p99": _ms(found["99"]),
        "errors": errors,
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
    }


__all__ = [
    "add_service_options",
    "close_connections",
    "is_postgres",
    "migrated_app",
    "percentile",
    "report",
    "run_threads",
    "scratch_database",
    "wrk",
]
