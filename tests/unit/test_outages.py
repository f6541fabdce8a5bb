"""An outage's end is a success after the failures stopped, not a call answered just before it."""

from __future__ import annotations

import logging
import time

from app.outages import Outage

BEGINS, OVER = "outage begins", "outage over"


def _lines(caplog, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


def test_a_success_answered_before_the_outage_began_does_not_end_it(caplog):
    caplog.set_level(logging.WARNING, logger="app.outages")
    outage = Outage("redis", settle=0.2)
    outage.failed("rate limits", ConnectionError("refused"))
    outage.ok()  # another thread's call, answered just before Redis went away
    outage.failed("rate limits", ConnectionError("refused"))
    assert outage.ongoing
    assert len(_lines(caplog, BEGINS)) == 1
    assert _lines(caplog, OVER) == []

    time.sleep(0.25)  # no call failed since
    outage.ok()
    outage.ok()
    assert not outage.ongoing
    (over,) = _lines(caplog, OVER)
    assert "2 calls failed meanwhile" in over
    assert len(_lines(caplog, BEGINS)) == 1


def test_an_outage_after_the_last_one_ended_is_logged_again(caplog):
    caplog.set_level(logging.WARNING, logger="app.outages")
    outage = Outage("redis", settle=0.0)
    for _ in range(2):
        outage.failed("sessions", ConnectionError("refused"))
        outage.ok()
    assert len(_lines(caplog, BEGINS)) == 2
    assert len(_lines(caplog, OVER)) == 2
