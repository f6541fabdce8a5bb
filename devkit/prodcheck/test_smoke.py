"""The production recipe, end to end through nginx over HTTPS: TLS and the site's rules, a
dealer's order across two app nodes (one order per key, one message, one webhook), sessions,
limits and the catalogue shared by both nodes, reports on the replica, a backup, and a node
killed in the middle of a burst of orders.

The tests run in this order; the last one kills a node (and starts it again)."""

from __future__ import annotations

import json
import os
import pwd
import signal
import socket
import ssl
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from devkit.prodcheck.conftest import (
    ADMIN,
    CONSOLE_TOKEN,
    FORM_KEY,
    H5_TOKEN,
    MP,
    browser,
    submit_form,
)
from devkit.prodcheck.stack import DB_NAME, DB_USER, program
from devkit.servers import ROOT
from devkit.testing.stack import Receiver

SHANGHAI = timezone(timedelta(hours=8))


def today() -> str:
    return datetime.now(SHANGHAI).date().isoformat()


def node_metrics(stack, node: str) -> dict:
    """{(name, sorted labels): value} from one node's /metrics, read with the token."""
    answer = requests.get(
        f"{stack.node_url[node]}/metrics",
        headers={"Authorization": f"Bearer {stack.metrics_token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


# --- the site: TLS, redirects, headers, static files, limits -----------------------------------


def test_plain_http_is_sent_to_https(stack):
    answer = browser(stack).get(
        f"http://localhost:{stack.port['http']}/h5/orders?tab=open", allow_redirects=False
    )
    assert answer.status_code == 301
    assert answer.headers["Location"] == f"{stack.site}/h5/orders?tab=open"


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
@pytest.mark.parametrize(
    ("version", "spoken"),
    [
        (ssl.TLSVersion.TLSv1, False),
        (ssl.TLSVersion.TLSv1_1, False),
        (ssl.TLSVersion.TLSv1_2, True),
        (ssl.TLSVersion.TLSv1_3, True),
    ],
)
def test_only_tls_1_2_and_1_3_are_spoken(stack, version, spoken):
    context = ssl.create_default_context(cafile=str(stack.certificate))
    context.minimum_version = context.maximum_version = version
    if not spoken:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer the old versions
    with socket.create_connection(("127.0.0.1", stack.port["https"]), timeout=10) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                agreed = tls.version()
        except ssl.SSLError as refused:
            # The server's refusal (an alert), not this client's: it was offered the version.
            assert not spoken and "ALERT" in refused.reason, refused
            return
    assert spoken and agreed == {ssl.TLSVersion.TLSv1_2: "TLSv1.2"}.get(version, "TLSv1.3")


def test_every_answer_carries_hsts_and_the_request_id_nginx_gave_it(stack):
    answer = browser(stack).get(f"{stack.site}/healthz")
    assert answer.status_code == 200 and answer.json()["status"] == "ok", answer.text
    assert answer.headers["Strict-Transport-Security"] == "max-age=63072000"
    request_id = answer.headers["X-Request-ID"]
    assert len(request_id) == 32  # nginx's $request_id, which the node echoed
    assert "Server" not in answer.headers or "nginx/" not in answer.headers["Server"]


def test_static_files_come_from_nginx_compressed_with_cache_headers(stack):
    for path in ("/admin/static/console.css", "/h5/static/h5.css"):
        answer = browser(stack).get(f"{stack.site}{path}", headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "public, max-age=3600"
        assert answer.headers["Content-Encoding"] == "gzip"
        assert answer.headers["Strict-Transport-Security"] == "max-age=63072000"
        assert answer.content == (ROOT / path.lstrip("/")).read_bytes()
        for node in ("a", "b"):  # no node saw them
            assert path not in stack.log(f"node-{node}")


def test_json_is_compressed_and_pages_with_csrf_tokens_are_not(stack, dealer):
    catalogue = dealer.mp.get(
        f"{stack.site}{MP}/catalog/products",
        params={"per_page": 50},
        headers={"Accept-Encoding": "gzip"},
        timeout=30,
    )
    assert catalogue.status_code == 200 and catalogue.headers["Content-Encoding"] == "gzip"
    page = browser(stack).get(f"{stack.site}/admin/login", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and "Content-Encoding" not in page.headers


def test_a_photo_sized_body_passes_nginx_and_a_larger_one_is_refused_there(stack):
    url = f"{stack.site}{MP}/rep/visits/1/photos"
    photo = {"file": ("shelf.jpg", b"\xff\xd8\xff" + b"\0" * (6 * 1024 * 1024), "image/jpeg")}
    passed = browser(stack).post(url, files=photo)
    assert passed.status_code == 401 and passed.json()["error"]["code"] == "unauthorized"
    huge = {"file": ("shelf.jpg", b"\xff\xd8\xff" + b"\0" * (9 * 1024 * 1024), "image/jpeg")}
    refused = browser(stack).post(url, files=huge)
    assert refused.status_code == 413 and "nginx" in refused.text  # nginx's own page


def test_the_wechat_verification_file_is_at_the_root_over_https_and_http(stack):
    for base in (stack.site, f"http://localhost:{stack.port['http']}"):
        answer = browser(stack).get(f"{base}/MP_verify_AbCdEf123456.txt", allow_redirects=False)
        assert (answer.status_code, answer.text) == (200, "AbCdEf123456"), base


def test_metrics_are_not_public_and_each_node_adds_up_its_workers(stack):
    assert browser(stack).get(f"{stack.site}/metrics").status_code == 404
    assert requests.get(f"{stack.node_url['a']}/metrics", timeout=10).status_code == 403
    key = (
        "dm_http_request_duration_seconds_count",
        (("endpoint", "/healthz"), ("method", "GET"), ("status", "200")),
    )
    before = node_metrics(stack, "a").get(key, 0)
    for _ in range(12):  # spread over the node's two worker processes
        requests.get(f"{stack.node_url['a']}/healthz", timeout=10)
    samples = node_metrics(stack, "a")
    assert samples[key] == before + 12
    assert ("dm_outbox_pending", (("sink", "notifications"),)) in samples
    assert ("dm_outbox_oldest_pending_seconds", (("sink", "webhooks"),)) in samples
    assert ("dm_task_queue_length", ()) in samples  # Redis's queue


def test_the_systemd_units_are_valid_for_systemd(stack):
    """`systemd-analyze verify` on the units as this machine would install them (its folders,
    this user): syntax, directives, and that each command exists."""
    folder = stack.run / "systemd"
    folder.mkdir()
    user = pwd.getpwuid(os.geteuid()).pw_name
    paths = {**stack.paths(), "/etc/dealer-mall/dealer-mall.env": str(ROOT / "deploy/dealer-mall.env"),
             "=dealer-mall\n": f"={user}\n"}  # fmt: skip
    units = []
    for unit in (ROOT / "deploy" / "systemd").glob("*.service"):
        text = unit.read_text()
        for old, new in paths.items():
            text = text.replace(old, new)
        name = unit.name.replace("@.", "@1.")  # an instance of the template
        (folder / name).write_text(text)
        units.append(str(folder / name))
    verified = subprocess.run(
        [program("systemd-analyze"), "verify", *units], capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr


# --- a dealer's order across both nodes ---------------------------------------------------------


def test_a_dealer_signed_in_through_wechat_sees_their_company(stack, dealer, shop):
    home = dealer.h5.get(f"{stack.site}/h5/")
    assert home.status_code == 200 and shop.customer_name in home.text


@pytest.fixture(scope="module")
def order(stack, dealer, shop):
    """The dealer puts the product in the cart and taps 提交订单 twice at once: the same form
    goes to each node. One order."""
    earlier = _order_ids(stack, dealer)
    cart = dealer.h5.get(f"{stack.site}/h5/cart")
    added = submit_form(
        dealer.h5,
        f"{stack.site}/h5/cart/items/{shop.product_id}",
        {"qty": str(shop.qty), "csrf_token": H5_TOKEN.search(cart.text)[1], "back": "cart"},
    )
    assert added.status_code == 200, added.text[:300]
    form = dealer.h5.get(f"{stack.site}/h5/cart").text
    assert shop.product_name in form
    submitted = {
        "idempotency_key": FORM_KEY.search(form)[1],
        "csrf_token": H5_TOKEN.search(form)[1],
        "remark": "",
    }
    cookies = dealer.h5.cookies

    def submit(node):
        phone = browser(stack, "127.0.0.3")
        phone.cookies.update(cookies)
        return submit_form(phone, f"{stack.node_site[node]}/h5/orders", submitted)

    with ThreadPoolExecutor(2) as pool:
        pages = list(pool.map(submit, ("a", "b")))
    assert all(p.status_code == 200 for p in pages), [p.text[:300] for p in pages]
    return Submitted({p.url for p in pages}, _order_ids(stack, dealer) - earlier)


@dataclass
class Submitted:
    pages: set[str]  # where each tap ended
    placed: set[int]  # the customer's orders that were not there before

    @property
    def id(self) -> int:
        (order_id,) = self.placed
        return order_id


def _order_ids(stack, dealer) -> set[int]:
    found = dealer.mp.get(f"{stack.site}{MP}/orders", params={"per_page": 100}, timeout=30)
    return {o["id"] for o in found.json()["items"]}


def test_one_key_sent_to_both_nodes_at_once_makes_one_order(stack, order):
    assert len(order.placed) == 1, order.placed
    # Both taps end on that order's page, one from each node.
    assert {urlsplit(page).path for page in order.pages} == {f"/h5/orders/{order.id}"}
    assert {urlsplit(page).port for page in order.pages} == {
        stack.port["https_a"],
        stack.port["https_b"],
    }


def test_approved_on_one_node_and_shipped_on_the_other_the_dealer_and_erp_hear_once(
    stack, staff, dealer, order, sandbox
):
    receiver = Receiver()
    try:
        hook = staff("ops").post(
            f"{ADMIN}/webhooks",
            {"url": receiver.url, "events": ["order.approved", "order.shipped"]},
        )
        assert hook.status_code == 201, hook.text
        approved = staff("kefu").post(
            f"{ADMIN}/orders/{order.id}/approve", {}, base=stack.node_site["a"]
        )
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        line = approved.json()["lines"][0]
        shipped = staff("warehouse").post(
            f"{ADMIN}/orders/{order.id}/shipments",
            {"lines": [{"order_line_id": line["id"], "qty": line["qty"]}],
             "carrier": "顺丰速运", "tracking_no": "SF1234567890"},
            base=stack.node_site["b"],
        )  # fmt: skip
        assert shipped.status_code == 201, shipped.text
        # Each node served the request sent to it: its log has the id nginx gave the request.
        approve_id, ship_id = approved.headers["X-Request-ID"], shipped.headers["X-Request-ID"]
        for request_id, node, other in ((approve_id, "a", "b"), (ship_id, "b", "a")):
            _wait_for_log_line(stack, f"node-{node}", request_id)
            assert request_id not in stack.log(f"node-{other}"), _log_tails(stack, request_id)

        def heard():
            messages = sandbox.messages(touser=dealer.oa_openid)
            return len(messages) >= 2 and len(receiver.requests) >= 2

        _wait(heard, "the message and the webhook", 30)
        time.sleep(2)  # anything sent twice would arrive meanwhile
        messages = sandbox.messages(touser=dealer.oa_openid)
        assert len(messages) == 2, messages  # approved, shipped: once each
        events = sorted(r["headers"]["X-Dealer-Mall-Event"] for r in receiver.requests)
        assert events == ["order.approved", "order.shipped"]
        assert len({r["headers"]["X-Dealer-Mall-Delivery"] for r in receiver.requests}) == 2
    finally:
        receiver.stop()
    inbox = dealer.mp.get(f"{stack.site}{MP}/messages", timeout=30).json()["items"]
    kinds = sorted(m["kind"] for m in inbox if m["order_id"] == order.id)
    assert kinds == ["approve", "ship_all"], kinds  # each status change once
    # The approval's request id followed its notification into a task worker's log.
    delivered = [
        line
        for worker in ("scheduler", "worker-1")
        for line in json_lines(stack.log(worker))
        if line.get("request_id") == approve_id and line["message"].startswith("notifications")
    ]
    assert delivered, "no worker logged the approval's notification under its request id"


def test_a_console_session_made_on_one_node_works_on_the_other(stack):
    console = browser(stack, "127.0.0.4")
    login_page = console.get(f"{stack.node_site['a']}/admin/login")
    signed_in = submit_form(
        console,
        f"{stack.node_site['a']}/admin/login",
        {
            "username": "kefu",
            "password": stack.demo_password,
            "csrf_token": CONSOLE_TOKEN.search(login_page.text)[1],
        },
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text[:300]
    elsewhere = console.get(f"{stack.node_site['b']}/admin/orders", allow_redirects=False)
    assert elsewhere.status_code == 200 and "林晓（客服）" in elsewhere.text


def test_the_login_limit_counts_one_client_across_both_nodes(stack):
    """RATELIMIT_LOGIN is 5 a minute here. The client at 127.0.0.9 writes addresses of its
    own into X-Forwarded-For; nginx adds the one it saw, and that is the one counted."""

    def attempt(address: str, node: str, forged: str | None = None) -> int:
        headers = {"X-Forwarded-For": forged} if forged else {}
        return (
            browser(stack, address)
            .post(
                f"{stack.node_site[node]}{ADMIN}/auth/login",
                json={"username": "kefu", "password": "not-the-password"},
                headers=headers,
            )
            .status_code
        )

    answers = [attempt("127.0.0.9", "ab"[i % 2], f"198.18.0.{i}") for i in range(6)]
    assert answers == [401] * 5 + [429]
    assert attempt("127.0.0.10", "a") == 401  # someone else is not locked out with them


def test_one_price_change_refreshes_the_catalogue_on_both_nodes(stack, staff, dealer, shop):
    def prices_seen() -> set[str]:
        seen = set()
        for node in ("a", "b"):
            for _ in range(6):  # each node's worker processes keep pages of their own
                items = dealer.mp.get(
                    f"{stack.node_site[node]}{MP}/catalog/products",
                    params={"per_page": 50},
                    timeout=30,
                ).json()["items"]
                seen |= {p["price"] for p in items if p["id"] == shop.product_id}
        return seen

    (before,) = prices_seen()
    changed = staff("ops").put(
        f"{ADMIN}/customers/{shop.customer_id}/prices/{shop.product_id}", {"price": "1.23"}
    )
    assert changed.status_code == 200, changed.text
    assert before != "1.23" and prices_seen() == {"1.23"}


# --- reports on the replica ----------------------------------------------------------------------


def test_reports_read_from_the_replica_until_it_lags_or_stops(stack, staff, dealer, shop):
    def orders_today() -> int:
        report = staff("ops").get(
            f"{ADMIN}/reports/sales", params={"from": today(), "to": today(), "group_by": "day"}
        )
        assert report.status_code == 200, report.text
        return report.json()["totals"]["orders"]

    def reads(database: str, reason: str = "") -> float:
        key = ("dm_report_reads_total", (("database", database), ("reason", reason)))
        return sum(node_metrics(stack, n).get(key, 0) for n in ("a", "b"))

    replica = stack.superuser("replica")
    primary = stack.superuser("primary")

    def caught_up() -> bool:
        with primary.cursor() as p, replica.cursor() as r:
            p.execute("SELECT pg_current_wal_lsn()::text")
            r.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", p.fetchone())
            return r.fetchone()[0]

    _wait(caught_up, "the replica to catch up", 30)
    on_replica = reads("replica")
    counted = orders_today()
    assert reads("replica") == on_replica + 1

    # Replay paused: a new order is on the primary only; within the lag allowed (5 s), the
    # report is the replica's, without it.
    with replica.cursor() as cur:
        cur.execute("SELECT pg_wal_replay_pause()")
    try:
        placed = _place_order(stack, dealer, shop)
        assert placed.status_code == 201, placed.text
        assert orders_today() == counted
        # Past the limit the primary answers, with it.
        time.sleep(6)
        lagging = reads("primary", "lagging")
        assert orders_today() == counted + 1
        assert reads("primary", "lagging") == lagging + 1
    finally:
        with replica.cursor() as cur:
            cur.execute("SELECT pg_wal_replay_resume()")
    _wait(caught_up, "the replica to catch up again", 30)
    on_replica = reads("replica")
    assert orders_today() == counted + 1
    assert reads("replica") == on_replica + 1

    # The replica stopped: reports still answer, from the primary.
    replica.close()
    stack.processes["postgresql-replica"].stop(signal.SIGINT)
    down = reads("primary", "down")
    assert orders_today() == counted + 1
    assert reads("primary", "down") == down + 1
    stack.start_replica()
    primary.close()


# --- backups ---------------------------------------------------------------------------------------


def test_a_backup_of_the_primary_restores_into_a_new_database(stack):
    backup = stack.run / "backup.dump"
    written = stack.flask("backup", "--to", str(backup))
    assert "backup written" in written
    stack.sql("primary", f"CREATE DATABASE dealer_mall_restored OWNER {DB_USER}")
    server, _, _ = stack.env["DIRECT_DATABASE_URL"].rpartition("/")
    stack.flask("restore", str(backup), "--into", f"{server}/dealer_mall_restored")

    def counts(database: str) -> list:
        tables = ("sales_order", "sales_order_line", "stock", "stock_movement", "account_entry")
        return [stack.sql("primary", f"SELECT count(*) FROM {t}", (), database) for t in tables]

    assert counts("dealer_mall_restored") == counts(DB_NAME)


# --- a node killed mid-burst -----------------------------------------------------------------------


def test_kill_9_of_a_node_in_a_burst_of_orders_loses_and_duplicates_nothing(stack, dealer, shop):
    """40 orders, each with its own Idempotency-Key, from 8 threads through nginx; after the
    first ten, node a is killed with SIGKILL (master and workers). A request that failed is
    sent again with its key, as the mini-program does."""
    keys = [f"burst-{uuid.uuid4().hex}" for _ in range(40)]
    before = _orders_of(stack, shop)
    answered: dict[str, int] = {}
    failures: list[str] = []
    done = threading.Semaphore(0)
    killed = threading.Event()

    def order_with(key: str) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                answer = _place_order(stack, dealer, shop, key)
            except requests.RequestException as exc:
                failures.append(f"{key}: {exc}")
                time.sleep(0.2)
                continue
            if answer.status_code in (200, 201):
                answered[key] = answer.json()["id"]
                done.release()
                return
            failures.append(f"{key}: {answer.status_code}")
            assert answer.status_code in (502, 503, 504), answer.text
            time.sleep(0.2)
        raise AssertionError(f"{key} never answered")

    def kill_after_ten() -> None:
        for _ in range(10):
            done.acquire()
        stack.kill_node("a")
        killed.set()

    killer = threading.Thread(target=kill_after_ten)
    killer.start()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(order_with, keys))
    killer.join()
    assert killed.is_set()
    assert sorted(answered) == sorted(keys)
    assert len(set(answered.values())) == len(keys)  # one order per key
    assert _orders_of(stack, shop) == before + len(keys)  # and not one more
    print(f"prod-check: node a killed mid-burst; {len(failures)} answers retried: {failures[:5]}")
    stack.restart_node("a")
    assert requests.get(f"{stack.node_url['a']}/healthz", timeout=10).status_code == 200


def _orders_of(stack, shop) -> int:
    ((count,),) = stack.sql(
        "primary", "SELECT count(*) FROM sales_order WHERE customer_id = %s", (shop.customer_id,),
        DB_NAME,
    )  # fmt: skip
    return count


def _place_order(stack, dealer, shop, key: str | None = None):
    return dealer.mp.post(
        f"{stack.site}{MP}/orders",
        json={"lines": [{"product_id": shop.product_id, "qty": shop.qty}]},
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
        timeout=60,
    )


def _log_tails(stack, request_id: str) -> str:
    """What both nodes logged last, for a failure's message."""
    tails = {node: stack.log(f"node-{node}").splitlines()[-15:] for node in ("a", "b")}
    return f"request {request_id}; node logs end with: {json.dumps(tails, ensure_ascii=False)}"


def _wait_for_log_line(stack, process: str, request_id: str, seconds: float = 10) -> None:
    """Wait for a node's line for this request. One run found the line missing just after the
    answer, which a node logs before it answers: waiting rules out a late write, and a line
    really missing fails with both nodes' last lines, to show where the request went."""
    deadline = time.monotonic() + seconds
    while request_id not in stack.log(process):
        if time.monotonic() > deadline:
            raise AssertionError(f"{process} never logged it: {_log_tails(stack, request_id)}")
        time.sleep(0.2)


def _wait(check, what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds} s for {what}")
