"""Real concurrent clients: calls released together, for races against gunicorn or the services;
retries of one request racing with one Idempotency-Key."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import requests


def all_at_once(calls: list[Callable]) -> list:
    """Run every call on a thread of its own, released together by a barrier; their results in
    the calls' order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def retries_with_one_key(url: str, body: dict, headers: dict, times: int) -> list[tuple]:
    """The same POST sent `times` at once over HTTP with one Idempotency-Key: exactly one
    creates (201) and every other answers with it (200, the same id). Returns the answers as
    (status, id)."""
    key = str(uuid.uuid4())

    def post():
        r = requests.post(url, json=body, headers={**headers, "Idempotency-Key": key}, timeout=30)
        return r.status_code, r.json().get("id")

    answers = all_at_once([post] * times)
    statuses = sorted(s for s, _ in answers)
    assert statuses.count(201) == 1 and statuses.count(200) == times - 1, answers
    assert len({created_id for _, created_id in answers}) == 1, answers
    return answers
