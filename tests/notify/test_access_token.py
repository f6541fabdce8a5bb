"""One access token per app, shared by all workers, refreshed once (not once per worker)."""

import subprocess
import sys
import textwrap
import uuid

import pytest
import redis as redis_lib
import requests

from app.adapters.wechat import make_client
from config.settings import TestingConfig
from devkit.servers import ROOT
from devkit.testing.concurrency import all_at_once


def stats(sandbox):
    found = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()
    return {"token_fetches": found["token_fetches"], "messages": found["messages"]}


def send(client, openid="oa-token-test"):
    data = {"character_string1": {"value": "SO1"}}
    return client.call(lambda: client.message.send_template(openid, "order-status", data))


def test_threads_of_one_worker_fetch_one_token_and_refresh_it_once(sandbox):
    sandbox.state.reset()
    client = make_client(f"wx-threads-{uuid.uuid4().hex[:6]}", "secret", sandbox.url)

    def run():
        try:
            send(client)
        except Exception as exc:  # returned and asserted below
            return exc
        return None

    errors = [e for e in all_at_once([run] * 16) if e is not None]
    assert errors == [] and stats(sandbox)["token_fetches"] == 1
    requests.post(f"{sandbox.url}/_sandbox/expire-tokens", timeout=5)  # WeChat says 42001 now
    errors = [e for e in all_at_once([run] * 16) if e is not None]
    assert errors == []
    assert stats(sandbox) == {"token_fetches": 2, "messages": 32}


PROCESS = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import redis
    from app.adapters.wechat import make_client

    appid, redis_url, prefix, base, signals = sys.argv[1:6]
    client = make_client(appid, "secret", base, redis.Redis.from_url(redis_url), prefix=prefix)
    print("ready", flush=True)
    for round_ in ("1", "2"):
        go = Path(signals) / f"go-{round_}"
        deadline = time.monotonic() + 120
        while not go.exists():  # every process starts the round within a few milliseconds
            assert time.monotonic() < deadline, f"round {round_} never started"
            time.sleep(0.005)
        client.call(lambda: client.message.send_template("oa-proc", "order-status", {"phrase2": {"value": "v"}}))
        print(f"sent {round_}", flush=True)
    """
)


def wait_for_line(procs, line: str) -> None:
    """Each process has printed `line` (a process that failed ends its output instead)."""
    for p in procs:
        got = p.stdout.readline().strip()
        assert got == line, f"expected {line!r}, got {got!r} (exit code {p.poll()})"


@pytest.mark.skipif(not TestingConfig.REDIS_URL, reason="needs Redis (TEST_REDIS_URL), as in CI")
def test_worker_processes_share_one_token_through_redis(sandbox, tmp_path):
    """Four processes send at the same moment with no token, then again at the same moment after
    WeChat expired it: one fetch and one refresh in all. Each round starts when every process is
    ready (however long a loaded machine takes to start them), not at a fixed time."""
    sandbox.state.reset()
    prefix = f"dm-test-{uuid.uuid4().hex[:8]}"
    appid = f"wx-procs-{uuid.uuid4().hex[:6]}"
    args = [appid, TestingConfig.REDIS_URL, prefix, sandbox.url, str(tmp_path)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    try:
        wait_for_line(procs, "ready")
        (tmp_path / "go-1").touch()  # round 1: together, no token anywhere yet
        wait_for_line(procs, "sent 1")
        first = stats(sandbox)
        requests.post(f"{sandbox.url}/_sandbox/expire-tokens", timeout=5)  # 42001 from now on
        (tmp_path / "go-2").touch()  # round 2: together, each holding the expired token
        wait_for_line(procs, "sent 2")
        for p in procs:
            p.wait(timeout=30)
    finally:
        for p in procs:
            if p.poll() is None:  # only after a failure above
                p.kill()
            p.stdout.close()
    assert all(p.returncode == 0 for p in procs)
    assert first == {"token_fetches": 1, "messages": 4}
    assert stats(sandbox) == {"token_fetches": 2, "messages": 8}
    r = redis_lib.Redis.from_url(TestingConfig.REDIS_URL)
    keys = list(r.scan_iter(f"{prefix}:*"))
    assert keys  # the token lived in Redis, shared
    r.delete(*keys)


def test_a_login_code_is_exchanged_without_the_apps_access_token(sandbox):
    """code2Session is signed by the app's secret: exchanging a wx.login code fetches no access
    token (a login must not wait on, or fail with, WeChat's token service) and sends none."""
    sandbox.state.reset()
    client = make_client(f"wx-login-{uuid.uuid4().hex[:6]}", "secret", sandbox.url)
    seen = []
    client._http.hooks["response"].append(lambda response, **_: seen.append(response.url))
    assert client.wxa.code_to_session("dealer-login")["openid"] == "sandbox-dealer-login"
    assert stats(sandbox)["token_fetches"] == 0
    assert len(seen) == 1 and "/sns/jscode2session?" in seen[0]
    assert "access_token" not in seen[0] and "js_code=dealer-login" in seen[0]
