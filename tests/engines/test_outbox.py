"""The outbox engine's properties, once, on a sink of the test's own: claiming with a lease,
backoff, dead letters, redelivery, the sweep, order per key, and the hand-off after commit."""

import datetime as dt

import pytest
from peewee import CharField, DateTimeField, IntegerField

from app import outbox
from app.db import BaseModel, db, utcnow
from devkit.testing.outbox import make_due


class Probe(BaseModel):
    """An outbox table as every sink has one, plus what the probe's probe_receiver needs."""

    key = CharField(default="")
    status = CharField(default="pending")
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    last_error = CharField(default="")
    answer = CharField(default="")


class Receiver:
    """Stands in for whatever a sink talks to: answers as told, records what it got."""

    def __init__(self):
        self.got: list[int] = []
        self.failing = 0

    def send(self, item):
        self.got.append(item.id)
        if self.failing:
            self.failing -= 1
            raise outbox.Failed("probe_receiver down", answer="503")
        return outbox.Sent(changes={"answer": "200"})


@pytest.fixture
def probe_receiver(app):
    db.create_tables([Probe])
    yield Receiver()
    db.drop_tables([Probe])


def sink(probe_receiver, **options):
    return outbox.Sink(name="probe", model=Probe, send=probe_receiver.send, **options)


def test_a_delivered_item_is_sent_once_and_never_again(probe_receiver):
    item = Probe.create()
    probe = sink(probe_receiver)
    assert outbox.deliver(probe, item.id) == "delivered"
    assert outbox.deliver(probe, item.id) == "skipped"
    assert probe_receiver.got == [item.id]
    assert Probe.get_by_id(item.id).answer == "200"


def test_a_claimed_item_is_not_sent_by_a_second_worker_until_its_lease_runs_out(probe_receiver):
    item = Probe.create()
    probe = sink(probe_receiver, lease=dt.timedelta(seconds=60))
    # Another worker took it and died mid-send: the lease holds it for that long.
    Probe.update(attempts=1, next_attempt_at=utcnow() + dt.timedelta(seconds=60)).execute()
    assert outbox.deliver(probe, item.id) == "skipped"
    make_due(Probe)  # the lease ran out
    assert outbox.deliver(probe, item.id) == "delivered"
    assert Probe.get_by_id(item.id).attempts == 2


def test_failures_back_off_on_the_schedule_then_go_dead_until_redelivered(probe_receiver):
    item = Probe.create()
    probe = sink(probe_receiver, backoff=(10, 30))
    probe_receiver.failing = 3
    started = utcnow()
    assert outbox.deliver(probe, item.id) == "retry"
    failed = Probe.get_by_id(item.id)
    assert (failed.answer, failed.last_error) == ("503", "probe_receiver down")
    assert failed.next_attempt_at >= started + dt.timedelta(seconds=10)
    assert outbox.deliver(probe, item.id) == "skipped"  # not due yet
    make_due(Probe)
    assert outbox.deliver(probe, item.id) == "retry"
    assert Probe.get_by_id(item.id).next_attempt_at >= started + dt.timedelta(seconds=30)
    make_due(Probe)
    assert outbox.deliver(probe, item.id) == "dead"
    assert (Probe.get_by_id(item.id).status, Probe.get_by_id(item.id).attempts) == ("dead", 3)
    make_due(Probe)
    assert outbox.deliver_due(probe) == {}  # dead letters wait for a person
    assert outbox.redeliver(probe, item.id, ("dead",))
    assert outbox.deliver(probe, item.id) == "delivered"
    assert not outbox.redeliver(probe, item.id, ("dead",))  # delivered: nothing to do


def test_something_unexpected_while_sending_is_retried_not_lost(probe_receiver):
    item = Probe.create()

    def broken(_):
        raise KeyError("a bug in a sink")

    probe = outbox.Sink(name="probe", model=Probe, send=broken)
    assert outbox.deliver(probe, item.id) == "retry"
    assert "KeyError" in Probe.get_by_id(item.id).last_error


def test_the_sweep_drains_every_due_item_in_batches(probe_receiver):
    ids = [Probe.create().id for _ in range(7)]
    Probe.create(next_attempt_at=utcnow() + dt.timedelta(hours=1))  # not due
    assert outbox.deliver_due(sink(probe_receiver), limit=3) == {"delivered": 7}
    assert probe_receiver.got == ids


def test_items_with_the_same_key_go_out_in_order(probe_receiver):
    first, second = Probe.create(key="order:1"), Probe.create(key="order:1")
    other = Probe.create(key="order:2")
    probe = sink(probe_receiver, in_order_by=("key",))
    probe_receiver.failing = 1
    assert outbox.deliver(probe, first.id) == "retry"
    assert outbox.deliver(probe, second.id) == "skipped"  # waits behind the first
    assert outbox.deliver(probe, other.id) == "delivered"  # another key is not held up
    make_due(Probe)
    assert outbox.deliver_due(probe) == {"delivered": 2}
    assert probe_receiver.got == [first.id, other.id, first.id, second.id]


def test_an_item_named_by_its_sinks_key_is_delivered_as_by_its_id(probe_receiver):
    """A writer that never read the new row's id hands it over by its sink's key column."""
    item = Probe.create(key="event:7:probe")
    probe = sink(probe_receiver, key="key")
    probe_receiver.failing = 1
    assert outbox.deliver(probe, "event:7:probe") == "retry"
    assert outbox.seconds_until_due(probe, "event:7:probe") > 0
    make_due(Probe)
    assert outbox.seconds_until_due(probe, "event:7:probe") == 0
    assert outbox.deliver(probe, "event:7:probe") == "delivered"
    assert outbox.deliver(probe, "event:7:probe") == "skipped"
    assert outbox.seconds_until_due(probe, "event:7:probe") is None  # settled
    assert outbox.deliver(probe, "event:8:probe") == "skipped"  # no such item
    assert probe_receiver.got == [item.id, item.id]
    assert Probe.get_by_id(item.id).answer == "200"


def test_items_reach_the_queue_only_once_their_transaction_commits(probe_receiver):
    handed = []
    probe = sink(probe_receiver)
    outbox.configure(handed.append)
    try:
        with db.atomic() as tx:
            rolled_back = Probe.create()
            outbox.written(probe, rolled_back.id)
            tx.rollback()
        assert handed == []
        with db.atomic():
            kept = Probe.create()
            outbox.written(probe, kept.id)
            assert handed == []  # not before the commit
        assert handed == [("probe", kept.id)]
    finally:
        outbox.configure(None)
