"""One access token per app, shared by all workers, refreshed once (not once per worker)."""

import subprocess
import sys
import textwrap
import time
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
    import redis
    from app.adapters.wechat import make_client

    appid, redis_url, prefix, base, start_at, rounds = sys.argv[1:7]
    client = make_client(appid, "secret", base, redis.Redis.from_url(redis_url), prefix=prefix)
    for i in range(int(rounds)):
        while time.time() < float(start_at) + i * 1.5:
            time.sleep(0.005)
        client.call(lambda: client.message.send_template("oa-proc", "order-status", {"phrase2": {"value": "v"}}))
    print("ok", flush=True)
    """
)


@pytest.mark.skipif(not TestingConfig.REDIS_URL, reason="needs Redis (TEST_REDIS_URL), as in CI")
def test_worker_processes_share_one_token_through_redis(sandbox):
    sandbox.state.reset()
    prefix = f"dm-test-{uuid.uuid4().hex[:8]}"
    appid = f"wx-procs-{uuid.uuid4().hex[:6]}"
    start_at = time.time() + 2
    # Round 1 starts together with no token; before round 2 the sandbox expires the token.
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                PROCESS,
                appid,
                TestingConfig.REDIS_URL,
                prefix,
                sandbox.url,
                str(start_at),
                "2",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    time.sleep(max(0.0, start_at + 0.75 - time.time()))
    first = stats(sandbox)
    requests.post(f"{sandbox.url}/_sandbox/expire-tokens", timeout=5)
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs) and all("ok" in o for o in outputs)
    assert first == {"token_fetches": 1, "messages": 4}
    assert stats(sandbox) == {"token_fetches": 2, "messages": 8}
    r = redis_lib.Redis.from_url(TestingConfig.REDIS_URL)
    keys = list(r.scan_iter(f"{prefix}:*"))
    assert keys  # the token lived in Redis, shared
    r.delete(*keys)
