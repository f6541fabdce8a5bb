"""An ordering fair, open loop: dealers arrive at a set rate, whatever the server's pace.

Each of N dealers (default 500) logs in through the WeChat sandbox, opens the home screen (`/me`),
three catalogue pages, puts a product in the cart and submits an order from it. Dealers arrive
at `rate` per second, for at least 5 s (at a rate that would bring all N sooner, the first ones
come again, as a dealer orders twice at a fair); each runs their steps one after another. For each rate on a rising ladder
the run passes if no request failed and the p99 of all requests stayed under 300 ms (a rate not
held is tried once more: on a shared machine one stall can break a p99); the
highest passing rate is printed for Dealer Mall and for the hand-written app (bench/handwritten.py)
under the same gunicorn flags, with each worker's resident memory afterwards. The two apps run
side by side and climb the ladder together, one after the other at each rate, in A-B then B-A
order from one rate to the next: on a shared machine the pace drifts over the minutes a ladder
takes, and climbing one app's ladder after the other's put that drift into the ratio.

    .venv/bin/python -m bench.fair [--dealers 500] [--start 10] [--step 1.5] [--p99-ms 300] [--tries 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import math
import threading
import time
from urllib.parse import urlsplit

from bench.common import add_service_options, percentile
from bench.stack import CATALOGUE_PAGES, START_TIMEOUT, fair_database, servers

STEPS = 7  # login, home, 3 catalogue pages, cart, order
MIN_SPAN = 5  # seconds: at a rate that would bring every dealer sooner, some come twice


def one_dealer(url: str, code: str, product_id: int, key: str, record) -> None:
    """One dealer's visit over one keep-alive connection (http.client: the load generator shares
    the cores with the servers, and a requests session costs several times its CPU a call)."""
    where = urlsplit(url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    headers = {"Content-Type": "application/json"}

    def call(method: str, path: str, body=None, extra=None):
        start = time.perf_counter()
        try:
            payload = None if body is None else json.dumps(body)
            connection.request(method, f"/api/mp/v1{path}", payload, {**headers, **(extra or {})})
            response = connection.getresponse()
            data = response.read()
            ok = response.status < 400
        except (OSError, http.client.HTTPException):
            connection.close()
            data, ok = b"", False
        record(time.perf_counter() - start, ok, f"{method} {path.split('?')[0].split('/')[1]}")
        return data if ok else None

    try:
        login = call("POST", "/auth/login", {"code": code})
        if login is None:
            return
        headers["Authorization"] = f"Bearer {json.loads(login)['token']}"
        call("GET", "/me")
        for page in range(1, 4):
            call("GET", f"/catalog/products?per_page=20&page={1 + (page % CATALOGUE_PAGES)}")
        call("PUT", f"/cart/items/{product_id}", {"qty": 2})
        call(
            "POST",
            "/orders",
            {"lines": [{"product_id": product_id, "qty": 2}]},
            {"Idempotency-Key": key},
        )
    finally:
        connection.close()


def run_rate(url: str, dealers: int, rate: float, products: list[int], label: str) -> dict:
    """Dealers arrive at `rate` per second (one thread each), for at least MIN_SPAN seconds:
    every dealer once, and at a rate too high for that to take MIN_SPAN seconds, the first ones
    again (each arrival its own Idempotency-Key); waits for the last to finish."""
    latencies, failures, lock = [], [0], threading.Lock()
    by_step: dict[str, list[float]] = {}

    def record(seconds: float, ok: bool, step: str) -> None:
        with lock:
            latencies.append(seconds)
            by_step.setdefault(step, []).append(seconds)
            if not ok:
                failures[0] += 1

    threads = []
    start = time.perf_counter()
    for i in range(max(dealers, math.ceil(rate * MIN_SPAN))):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(
            target=one_dealer,
            args=(url, f"d{i % dealers}", products[i % len(products)], f"{label}-{i}", record),
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return {
        "rate": rate,
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "failures": failures[0],
        "requests": len(latencies),
        "p99_by_step": {step: percentile(v, 99) * 1000 for step, v in sorted(by_step.items())},
    }


def climb(running: dict, args, products: list[int]) -> dict[str, dict | None]:
    """Both apps up the same ladder of rates side by side, A-B then B-A from one rate to the
    next, so that the machine's pace over the minutes falls on both alike; an app stops at the
    first rate it does not hold (tried `args.tries` times), the other goes on. Answers each
    app's figures at the highest rate it held (None: not even the first)."""
    best: dict[str, dict | None] = dict.fromkeys(running)
    climbing, rate, round_no = list(running), args.start, 0
    while climbing:
        order = climbing if round_no % 2 == 0 else climbing[::-1]
        for name in order:
            for attempt in range(args.tries):
                label = f"{name[:4]}{round_no}a{attempt}"  # every run its own Idempotency-Keys
                figures = run_rate(running[name].url, args.dealers, rate, products, label)
                held = figures["failures"] == 0 and figures["p99"] < args.p99_ms
                print(
                    f"  {name:<14} {rate:>6.1f} dealers/s  {figures['requests']} requests"
                    f"  p50 {figures['p50']:>6.1f} ms  p99 {figures['p99']:>7.1f} ms"
                    f"  {figures['failures']} failed  {'held' if held else 'NOT held'}",
                    flush=True,
                )
                if held:
                    break
            if held:
                best[name] = figures
            else:
                steps = figures["p99_by_step"].items()
                print("    p99 by step: " + ", ".join(f"{k} {v:.0f} ms" for k, v in steps))
                climbing.remove(name)
        rate, round_no = rate * args.step, round_no + 1
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dealers", type=int, default=500)
    parser.add_argument("--start", type=float, default=10, help="first arrival rate, dealers/s")
    parser.add_argument("--step", type=float, default=1.5, help="each next rate is this × the last")
    parser.add_argument("--p99-ms", type=float, default=300)
    parser.add_argument(
        "--tries", type=int, default=2, help="a rate not held is tried again, up to this many times"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    add_service_options(parser)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the sandbox's request log
    with fair_database(args.database_url, args.redis_url, args.dealers) as (env, seeded, _app):
        running = servers(env, args.workers, args.threads)
        del running["Dealer Mall (gunicorn.conf.py)"]
        print(
            f"{args.dealers} dealers, {STEPS} requests each, arriving at a rising rate;"
            f" gunicorn -w {args.workers} -k gthread --threads {args.threads}; PostgreSQL + Redis;"
            f" bar: no failed request, p99 < {args.p99_ms:.0f} ms"
        )
        for server in running.values():
            server.start(timeout=START_TIMEOUT)
        try:
            best = climb(running, args, seeded["products"])
            memory = {name: server.worker_rss_mib() for name, server in running.items()}
        finally:
            for server in running.values():
                server.stop()
        print("highest arrival rate held (p99 under the bar, no failures)")
        for name, figures in best.items():
            held = f"{figures['rate']:.1f} dealers/s" if figures else "none"
            print(f"  {name:<14} {held}")
        if all(best.values()):
            ratio = best["Dealer Mall"]["rate"] / best["hand-written"]["rate"]
            print(f"  Dealer Mall / hand-written: {ratio:.2f}")
        print("resident memory per worker after the runs")
        for name, sizes in memory.items():
            print(f"  {name:<14} " + ", ".join(f"{s:.0f} MiB" for s in sizes))


if __name__ == "__main__":
    main()
