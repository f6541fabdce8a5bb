"""Real concurrent clients: calls released together, for races against gunicorn or the services."""

from __future__ import annotations

import threading
from collections.abc import Callable


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
