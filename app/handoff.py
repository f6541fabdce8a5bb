"""Hands committed work to the task queue from a background thread, many items per round trip.

A request that committed an order should not wait on Redis to queue the order's notification:
`put` only appends to an in-process queue. One thread per process sends what has gathered, in
batches, as one task each; a batch's first item waits up to GATHER_SECONDS for others. If
sending fails, or the process dies before it sends, nothing is lost: the rows are in the outbox,
and the periodic sweep delivers whatever is due.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable

from app import outages

log = logging.getLogger(__name__)

# The task queue (Redis, or SQLite in the embedded default): an outage is logged once.
task_queue = outages.of("the task queue")

BATCH = 100
# How long the first item of a batch waits for others to join it.
GATHER_SECONDS = 0.02


class Handoff:
    def __init__(self, name: str, send: Callable[[list], None]):
        self.name = name
        self._send = send
        self._items: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._owner_pid: int | None = None  # threads do not survive a fork: one per process
        self._idle = threading.Event()
        self._idle.set()

    def put(self, item) -> None:
        self._ensure_thread()
        self._idle.clear()
        self._items.put(item)

    def wait_until_sent(self, timeout: float = 5.0) -> bool:
        """For tests and shutdown: True once everything put so far has been handed over."""
        return self._idle.wait(timeout)

    def _ensure_thread(self) -> None:
        if self._owner_pid == os.getpid():
            return
        with self._lock:
            if self._owner_pid != os.getpid():
                self._items = queue.SimpleQueue()
                thread = threading.Thread(
                    target=self._run, name=f"handoff-{self.name}", daemon=True
                )
                thread.start()
                self._owner_pid = os.getpid()

    def _run(self) -> None:
        while True:
            batch = [self._items.get()]
            # What other requests commit meanwhile goes in the same round trip: under load one
            # task carries many items (a queued task costs the process about 0.1 ms of CPU).
            until = time.monotonic() + GATHER_SECONDS
            while len(batch) < BATCH and (left := until - time.monotonic()) > 0:
                try:
                    batch.append(self._items.get(timeout=left))
                except queue.Empty:
                    break
            try:
                self._send(batch)
            except Exception as exc:  # the sweep delivers them when due
                task_queue.failed(f"handing {len(batch)} {self.name} to the task queue", exc)
            else:
                task_queue.ok()
            if self._items.empty():
                self._idle.set()
