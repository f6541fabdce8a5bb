"""The handoff thread: whatever request threads put is sent once, in batches, and a failed send
neither loses the thread nor blocks anyone."""

from __future__ import annotations

import threading
import time

from app.handoff import Handoff, task_queue
from app.outages import Outage


def test_items_from_many_threads_are_sent_once_in_batches():
    batches, lock = [], threading.Lock()

    def send(batch):
        time.sleep(0.01)  # a round trip: meanwhile more items gather
        with lock:
            batches.append(batch)

    handoff = Handoff("test", send)
    workers = [
        threading.Thread(target=lambda k=k: [handoff.put(k * 100 + i) for i in range(50)])
        for k in range(8)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert handoff.wait_until_sent(5)
    sent = [item for batch in batches for item in batch]
    assert sorted(sent) == sorted(k * 100 + i for k in range(8) for i in range(50))
    assert len(batches) < 400 / 4  # far fewer round trips than items


def test_putting_never_waits_on_the_send_and_a_failed_send_is_not_the_end():
    calls, release = [], threading.Event()

    def send(batch):
        calls.append(list(batch))
        if len(calls) == 1:
            release.wait(5)  # the queue is slow...
            raise ConnectionError("redis away")  # ...then fails

    handoff = Handoff("test", send)
    handoff.put(1)
    while not calls:  # the first send has begun, and hangs
        time.sleep(0.001)
    started = time.perf_counter()
    for i in range(2, 50):
        handoff.put(i)
    assert time.perf_counter() - started < 0.5  # the putters never waited
    release.set()
    assert handoff.wait_until_sent(5)
    assert calls[0] == [1] and sorted(x for c in calls[1:] for x in c) == list(range(2, 50))


def test_a_task_queue_outage_is_logged_once_when_it_begins_and_once_when_it_ends(caplog):
    time.sleep(Outage.SETTLE)
    task_queue.ok()  # an outage a test before this one left open (the state is per process)
    caplog.clear()
    failing = threading.Event()
    failing.set()

    def send(batch):
        if failing.is_set():
            raise ConnectionError("redis away")

    handoff = Handoff("test", send)
    with caplog.at_level("WARNING"):
        for i in range(20):  # twenty batches, each refused
            handoff.put(i)
            assert handoff.wait_until_sent(5)
        failing.clear()
        time.sleep(Outage.SETTLE)  # a success sooner may be a call answered before the outage
        handoff.put(99)
        assert handoff.wait_until_sent(5)
    lines = [r.getMessage() for r in caplog.records]
    assert len([m for m in lines if "outage begins" in m]) == 1, lines
    assert len([m for m in lines if "outage over" in m]) == 1, lines
    assert not any(r.exc_info for r in caplog.records)  # no traceback per refused batch


def test_items_committed_a_few_ms_apart_share_a_round_trip_yet_none_waits_long():
    """One request thread committing every 2 ms: a send is quick, so without waiting for more
    each item would be a round trip of its own."""
    batches, sent_at = [], []

    def send(batch):
        batches.append(batch)
        sent_at.append(time.monotonic())

    handoff = Handoff("test", send)
    put_at = []
    for i in range(40):
        put_at.append(time.monotonic())
        handoff.put(i)
        time.sleep(0.002)
    assert handoff.wait_until_sent(5)
    assert [item for batch in batches for item in batch] == list(range(40))
    assert len(batches) <= 20, [len(b) for b in batches]
    # The first item was on its way within a fraction of a second.
    assert sent_at[0] - put_at[0] < 0.2
