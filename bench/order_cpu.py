"""Where an order's CPU goes, in process: Dealer Mall's `POST /api/mp/v1/orders` against the
hand-written floor (bench/handwritten.py), and what named parts of Dealer Mall's order cost.

On a shared 2-core machine, rates under wrk swing by a third from one run to the next, and even
the CPU a process spends per request drifts by a fifth over minutes. This bench reads CPU in one
process, where a part worth 2 % of an order can still be seen:

* each request is a WSGI call into the app (no gunicorn, no socket), built before the clock
  starts and timed by the calling thread's CPU clock plus those of the app's hand-off threads
  (which queue committed notifications);
* every order is new (a fresh Idempotency-Key), 3 lines, by one of 32 dealers, on PostgreSQL +
  Redis, on the catalogue bench.stack seeds;
* the two apps run A-B-B-A in blocks of `--orders`, `--rounds` times; each block's figure is the
  mean with the slowest tenth left out (a stall of the machine is not the app's);
* when PostgreSQL runs on this machine, the CPU all its processes spent over each block is
  printed per order too: on one machine the database's cores are the app's, and its planning
  and commits cost as much as the app's own work;
* `--without PART ...` takes one part out of Dealer Mall's order at a time and puts it back,
  alternating request by request (A-B-B-A over every four orders, so that the machine's drift
  falls on both alike), and prints what the part costs an order. Parts:
  `limiter` (the rate limit's count in Redis), `order-handlers` (every handler of OrderChanged),
  `notifications` and `webhooks` (one handler each), `arguments` (flask-smorest's and
  webargs' wrappers around the view, replaced by the same schemas loaded in one wrapper),
  `read-ahead` (the order's products read with the key's look-up, not in a statement after),
  `notification-with-commit` (customer service's notification sent with the COMMIT, not
  inserted as its handler runs), `read-along` (the webhook subscribers read with the key's
  look-up, not by the webhook handler) and `sign-in-with-key` (the dealer's user and customer
  read with the key's look-up, not by a statement of their own before it). With `--together`
  the parts named go out all at once instead (one line: what they cost an order between them,
  and what Dealer Mall's order would cost without any of them). With `--instructions`,
  `--without PART ...` adds a count of Dealer Mall with every part named taken out at once.

`--instructions` counts instead of timing: each app runs in a process of its own under valgrind's
callgrind (Debian's `valgrind`), and the instructions the process executes over `--orders` new
orders (after 60 to warm up; counters zeroed and dumped around them) are printed per order. A
count is the same to a tenth of a per cent from one run to the next whatever else the machine does,
so a change worth 1 % of an order can be measured on a busy machine; `--tree PATH ...` adds the
Dealer Mall of other checkouts (a worktree with the change) to the same run; `--visits` counts
bench.fair's whole dealer visits instead of orders (login, home screen, three catalogue pages, a
product put in the cart, the order: 7 requests). Instructions are not
time (a cache miss or a system call costs more than its count says): read them beside the CPU
figures. Under valgrind an app runs some 50 times slower: 100 orders take about two minutes.

Run alone, a request's hand-off goes to the task queue by itself; under load (gunicorn) a
hand-off carries the notifications of many orders, so `notifications` here is an upper bound.
Taking a part out is for measuring only: the orders made meanwhile lack what it does.

    .venv/bin/python -m bench.order_cpu [--orders 300] [--rounds 2] [--without limiter ...]
        [--together]
        [--database-url postgresql://...] [--redis-url redis://...]
    .venv/bin/python -m bench.order_cpu --instructions [--orders 100] [--tree PATH ...] [--visits]
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import itertools
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from app.auth import tokens
from bench.common import add_service_options

DEALERS = 32
TRIMMED = 0.9  # the share of the fastest requests each figure keeps


def _cpu_now() -> float:
    """This thread's CPU time plus the hand-off threads' (they do a request's queueing)."""
    total = time.thread_time()
    for thread in threading.enumerate():
        if thread.name.startswith("handoff") and thread.ident:
            with contextlib.suppress(OSError, ProcessLookupError):  # it ended meanwhile
                total += time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    return total


def _database_cpu() -> float | None:
    """The CPU seconds every PostgreSQL process on this machine has spent (backends, WAL writer,
    autovacuum: what the orders' statements and commits cost the database), or None when no
    PostgreSQL runs here to be read."""
    total, found = 0, False
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError, IndexError):
            with open(f"/proc/{pid}/comm") as comm:
                if comm.read().strip() != "postgres":
                    continue
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total, found = total + int(fields[11]) + int(fields[12]), True  # utime, stime
    return total / os.sysconf("SC_CLK_TCK") if found else None


def _trimmed_ms(seconds: list[float]) -> float:
    kept = sorted(seconds)[: max(1, int(len(seconds) * TRIMMED))]
    return sum(kept) / len(kept) * 1000


def _environ(method: str, path: str, body=None, headers=None) -> dict:
    """A WSGI environ of a mini-program API request (`path` after /api/mp/v1, with its query)."""
    from werkzeug.test import EnvironBuilder

    path, _, query = path.partition("?")
    builder = EnvironBuilder(
        path=f"/api/mp/v1{path}", query_string=query, method=method, json=body, headers=headers
    )
    return builder.get_environ()


class Orders:
    """WSGI environs of new orders (3 lines, a fresh Idempotency-Key each), dealers in turn."""

    def __init__(self, seeded: dict):
        self.tokens, self.products = seeded["tokens"], seeded["products"]
        self.count = itertools.count()

    def environs(self, n: int) -> list[dict]:
        made = []
        for _ in range(n):
            k = next(self.count)
            lines = [
                {"product_id": self.products[(k + step) % len(self.products)], "qty": qty}
                for step, qty in ((0, 1), (7, 2), (13, 3))
            ]
            headers = {
                "Authorization": f"Bearer {self.tokens[k % len(self.tokens)]}",
                "Idempotency-Key": f"cpu-{uuid.uuid4().hex}",
            }
            made.append(_environ("POST", "/orders", {"lines": lines}, headers))
        return made


class Visits(Orders):
    """WSGI environs of bench.fair's dealer visits, dealers in turn: the login (the sandbox's
    code of the dealer), the home screen, three catalogue pages, a product put in the cart and
    an order of it (a fresh Idempotency-Key). The requests after the login carry the token the
    parent issued to the same dealer (the login's own answer is not known before the count)."""

    REQUESTS = 7

    def environs(self, n: int) -> list[dict]:
        from bench.stack import CATALOGUE_PAGES

        made = []
        for _ in range(n):
            k = next(self.count)
            dealer = k % len(self.tokens)
            signed = {"Authorization": f"Bearer {self.tokens[dealer]}"}
            product = self.products[k % len(self.products)]
            ordered = {"lines": [{"product_id": product, "qty": 2}]}
            made += [
                _environ("POST", "/auth/login", {"code": f"d{dealer}"}),
                _environ("GET", "/me", headers=signed),
                *(
                    _environ(
                        "GET",
                        f"/catalog/products?per_page=20&page={1 + page % CATALOGUE_PAGES}",
                        headers=signed,
                    )
                    for page in range(1, 4)
                ),
                _environ("PUT", f"/cart/items/{product}", {"qty": 2}, signed),
                _environ(
                    "POST",
                    "/orders",
                    ordered,
                    {**signed, "Idempotency-Key": f"visit-{uuid.uuid4().hex}"},
                ),
            ]
        return made


def _answered(app, environ) -> str:
    """One request's status line; it must succeed (2xx)."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status

    body = b"".join(app(environ, start_response))
    if not answer["status"].startswith("2"):
        raise RuntimeError(f"{environ['PATH_INFO']} failed: {answer['status']} {body[:300]!r}")
    return answer["status"]


def _call(app, environ) -> float:
    """One request's CPU seconds; it must make an order."""
    started = _cpu_now()
    status = _answered(app, environ)
    spent = _cpu_now() - started
    if not status.startswith("201"):
        raise RuntimeError(f"an order was not made: {status}")
    return spent


# --- the parts -------------------------------------------------------------------------------


def _swap(module, name: str, replacement):
    real = getattr(module, name)

    def toggle(app, out: bool) -> None:
        setattr(module, name, replacement(real) if out else real)

    return toggle


def _without_handlers(which: str):
    from app import events
    from app.events import OrderChanged
    from app.integrations import webhooks
    from app.notify import recording

    dropped = {
        "order-handlers": None,
        "notifications": recording.order_changed,
        "webhooks": webhooks.order_changed,
    }[which]

    def replacement(real):
        def handlers_of(event_type):
            found = real(event_type)
            if event_type is not OrderChanged:
                return found
            return () if dropped is None else tuple(h for h in found if h is not dropped)

        return handlers_of

    return _swap(events, "handlers_of", replacement)


def _without_arguments():
    """The view with its headers and body loaded by the same schemas in one wrapper, instead of
    flask-smorest's argument and response wrappers (webargs inside)."""
    from flask import request

    from app.extensions import limited
    from app.validation import reject_unstorable
    from miniprogram_api import orders
    from miniprogram_api.schemas import IdempotencyHeaderIn, PlaceOrderIn
    from miniprogram_api.security import dealer_read_with_the_order

    view, headers_in, body_in = (
        inspect.unwrap(orders.create_order),
        IdempotencyHeaderIn(),
        PlaceOrderIn(),
    )

    @limited("RATELIMIT_ORDERS", "orders")
    @dealer_read_with_the_order
    def create_order():
        key = request.headers.get("Idempotency-Key")
        headers = headers_in.load({} if key is None else {"Idempotency-Key": key})
        data = request.get_json()
        reject_unstorable(data, "_schema")
        return view(headers, body_in.load(data))

    real = {}

    def toggle(app, out: bool) -> None:
        views = app.view_functions
        real.setdefault("view", views[ENDPOINT])
        views[ENDPOINT] = create_order if out else real["view"]

    return toggle


def _without_read_ahead():
    """The order's products read in a statement of their own, not with the key's look-up."""
    from app.mall import ordering

    return _swap(
        ordering,
        "_by_key_or_offers",
        lambda real: lambda customer, key, ids=frozenset(): real(customer, key),
    )


def _without_notification_with_commit():
    """Customer service's notification inserted as the handler runs, not with the COMMIT."""
    from app.notify import recording

    return _swap(
        recording,
        "insert_rows",
        lambda real: (
            lambda model, rows, **options: real(
                model, rows, returning=options.get("returning", False)
            )
        ),
    )


def _without_sign_in_with_key():
    """The dealer read by a statement of their own before the key's look-up."""
    from app.mall import ordering

    def apart(sign_in, key, ids):
        customer = sign_in.read().customer
        return (customer, *ordering._by_key_or_offers(customer, key, ids))

    return _swap(ordering, "_signed_in_by_key_or_offers", lambda real: apart)


def _without_read_along():
    """The webhook subscribers read by their handler, not with the key's look-up."""
    from app import read_along

    return _swap(read_along, "columns", lambda real: lambda: ((), ""))


def _parts() -> dict:
    from app import extensions

    return {
        "read-along": _without_read_along,
        "sign-in-with-key": _without_sign_in_with_key,
        "read-ahead": _without_read_ahead,
        "notification-with-commit": _without_notification_with_commit,
        "limiter": lambda: _swap(extensions, "count_against", lambda real: lambda *a, **k: None),
        "order-handlers": lambda: _without_handlers("order-handlers"),
        "notifications": lambda: _without_handlers("notifications"),
        "webhooks": lambda: _without_handlers("webhooks"),
        "arguments": _without_arguments,
    }


ENDPOINT = "mp_orders.create_order"
PARTS = (
    "limiter",
    "order-handlers",
    "notifications",
    "webhooks",
    "arguments",
    "read-ahead",
    "notification-with-commit",
    "read-along",
    "sign-in-with-key",
)


# --- the measuring process -------------------------------------------------------------------


def measure(orders_per_block: int, rounds: int, without: list[str], together: bool = False) -> None:
    import app.web
    import bench.handwritten

    orders = Orders(json.loads(os.environ["BENCH_SEEDED"]))
    apps = {"hand-written": bench.handwritten.create_app(), "Dealer Mall": app.web.create_app()}
    for each in apps.values():  # warm: connections, caches, the hand-off thread
        for environ in orders.environs(50):
            _call(each, environ)
    figures: dict[str, list[float]] = {name: [] for name in apps}
    database: dict[str, list[float]] = {name: [] for name in apps}
    names = list(apps)
    for round_no in range(rounds):
        for name in (names + names[::-1]) if round_no % 2 == 0 else (names[::-1] + names):
            environs = orders.environs(orders_per_block)
            before = _database_cpu()
            spent = [_call(apps[name], e) for e in environs]
            time.sleep(0.2)  # the WAL writer's share of the block's commits
            after = _database_cpu()
            figures[name].append(_trimmed_ms(spent))
            if before is not None and after is not None:
                database[name].append((after - before) / orders_per_block * 1000)
    print(f"CPU per order in process, {orders_per_block} orders a block, A-B-B-A:")
    for name, blocks in figures.items():
        print(f"  {name:<14} " + "  ".join(f"{ms:.3f}" for ms in blocks) + " ms")
    floor, mine = (min(figures[n]) for n in names)
    print(f"  Dealer Mall / floor, best block against best block: {mine / floor:.2f}x")
    if all(database.values()):
        print("PostgreSQL's CPU per order (all its processes on this machine, whole blocks):")
        for name, blocks in database.items():
            print(f"  {name:<14} " + "  ".join(f"{ms:.3f}" for ms in blocks) + " ms")
        floor, mine = (min(database[n]) for n in names)
        print(f"  Dealer Mall / floor, best block against best block: {mine / floor:.2f}x")
    parts = _parts()
    mall = apps["Dealer Mall"]
    groups = [without] if together and without else [[part] for part in without]
    for group in groups:
        part = " + ".join(group)
        toggles = [parts[name]() for name in group]

        def toggle(app, out: bool, toggles=toggles) -> None:
            for each in toggles:
                each(app, out)

        spent: dict[bool, list[float]] = {False: [], True: []}
        try:
            for i, environ in enumerate(orders.environs(orders_per_block * 8)):
                out = i % 4 in (1, 2)  # A-B-B-A: with, without, without, with
                toggle(mall, out)
                spent[out].append(_call(mall, environ))
        finally:
            toggle(mall, False)
        with_it, without_it = _trimmed_ms(spent[False]), _trimmed_ms(spent[True])
        print(
            f"  without {part:<24} {with_it:.3f} → {without_it:.3f} ms:"
            f" the part costs {with_it - without_it:+.3f} ms an order"
            f" ({(with_it - without_it) / with_it:+.1%})"
        )


# --- counting instructions -------------------------------------------------------------------

WARM_UP = 60


def count_in_this_process(
    which: str, orders_per_run: int, visits: bool, without: list[str] = ()
) -> None:
    """The child under callgrind: build `which` app (with the parts `without` taken out),
    warm it, then make the orders (or whole visits) between the parent's two signals on stdin
    (it zeroes the counters before, and dumps them after)."""
    seeded = json.loads(os.environ["BENCH_SEEDED"])
    orders = Visits(seeded) if visits else Orders(seeded)
    if which == "hand-written":
        import bench.handwritten

        app = bench.handwritten.create_app()
    else:
        import app.web

        app = app.web.create_app()
        parts = _parts()
        for part in without:
            parts[part]()(app, True)
    for environ in orders.environs(WARM_UP):
        _answered(app, environ)
    environs = orders.environs(orders_per_run)
    print("ready", flush=True)
    sys.stdin.readline()
    for environ in environs:
        _answered(app, environ)
    time.sleep(0.3)  # the hand-off thread queues the last orders' notifications
    print("done", flush=True)
    sys.stdin.readline()


def _instructions(
    child_env: dict, which: str, tree: Path, orders_per_run: int, visits: bool, without=()
) -> float:
    """Instructions per order (or visit) of `which` app from checkout `tree`, by callgrind."""
    with tempfile.TemporaryDirectory(prefix="order-instructions-") as folder:
        out = Path(folder) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        # This file counts; the app and the floor it imports are the checkout's (PYTHONPATH).
        command += [sys.executable, __file__, "--count-in-process", which]
        command += ["--orders", str(orders_per_run)] + (["--visits"] if visits else [])
        command += ["--without", *without] if without else []
        env = {**child_env, "PYTHONPATH": str(tree)}
        child = subprocess.Popen(  # noqa: S603 - our own arguments
            command,
            env=env,
            cwd=tree,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

        def step(expected: str, control: list[str]) -> None:
            line = child.stdout.readline().strip()
            if line != expected:
                child.kill()
                raise RuntimeError(f"the counted process said {line!r}, not {expected!r}")
            control_command = ["callgrind_control", *control, str(child.pid)]
            subprocess.run(control_command, check=True, capture_output=True)  # noqa: S603
            child.stdin.write("\n")
            child.stdin.flush()

        step("ready", ["-z"])
        step("done", ["-d", "measured"])
        child.wait()
        for dump in Path(folder).iterdir():
            text = dump.read_text(errors="replace")
            if "Trigger: dump measured" in text:
                summary = next(ln for ln in text.splitlines() if ln.startswith("summary:"))
                return int(summary.split()[1]) / orders_per_run
    raise RuntimeError("callgrind wrote no dump of the measured orders")


def count_instructions(
    child_env: dict, orders_per_run: int, trees: list[str], visits: bool, without: list[str]
) -> None:
    here = Path(__file__).resolve().parent.parent
    runs = [("hand-written", here, ()), ("Dealer Mall", here, ())]
    runs += [(f"Dealer Mall at {tree}", Path(tree).resolve(), ()) for tree in trees]
    if without:  # with every part named taken out at once
        runs.append((f"Dealer Mall without {' + '.join(without)}", here, tuple(without)))
    what = f"dealer visit ({Visits.REQUESTS} requests)" if visits else "order"
    print(f"Instructions per {what} (callgrind, {orders_per_run} new each, after {WARM_UP}):")
    counted = {}
    for name, tree, parts_out in runs:
        which = "hand-written" if name == "hand-written" else "Dealer Mall"
        counted[name] = _instructions(child_env, which, tree, orders_per_run, visits, parts_out)
        ratio = counted[name] / counted["hand-written"]
        print(f"  {name:<24} {counted[name] / 1e6:8.3f} M  ({ratio:.2f}x the floor)", flush=True)
    mine = counted["Dealer Mall"]
    for name, count in counted.items():
        if name.startswith("Dealer Mall at"):
            print(f"  {name}: {(count - mine) / mine:+.2%} against this checkout")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300, help="orders a block")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--without", nargs="*", choices=PARTS, default=[])
    parser.add_argument(
        "--together", action="store_true", help="take the --without parts out all at once"
    )
    parser.add_argument("--instructions", action="store_true", help="count, do not time")
    parser.add_argument("--tree", nargs="*", default=[], help="other checkouts to count")
    parser.add_argument(
        "--visits", action="store_true", help="with --instructions: bench.fair's whole visits"
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count-in-process", help=argparse.SUPPRESS)
    add_service_options(parser)
    args = parser.parse_args()
    if args.measure:  # the process that builds both apps from the environment, as gunicorn does
        measure(args.orders, args.rounds, args.without, args.together)
        return
    if args.count_in_process:
        count_in_this_process(args.count_in_process, args.orders, args.visits, args.without)
        return
    from bench.stack import fair_database

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the sandbox's request log
    with fair_database(args.database_url, args.redis_url, DEALERS) as (env, seeded, app):
        with app.app_context():
            issued = [tokens.issue("mp", user, role="dealer") for user in seeded["users"]]
        seeded = {"tokens": issued, "products": seeded["products"]}
        quiet = {"LOG_FORMAT": "", "LOG_LEVEL": "WARNING", "DATABASE_POOL_SIZE": "4"}
        child_env = {**os.environ, **env, **quiet, "BENCH_SEEDED": json.dumps(seeded)}
        if args.instructions:
            count_instructions(child_env, args.orders, args.tree, args.visits, args.without)
            return
        command = [sys.executable, "-m", "bench.order_cpu", "--measure"]
        command += ["--orders", str(args.orders), "--rounds", str(args.rounds)]
        command += ["--without", *args.without] if args.without else []
        command += ["--together"] if args.together else []
        subprocess.run(command, env=child_env, check=True)  # noqa: S603 - our own arguments


if __name__ == "__main__":
    main()
