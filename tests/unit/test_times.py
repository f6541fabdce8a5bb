"""Stored times are naive UTC and shown in Asia/Shanghai: the quick conversions are the plain ones."""

import datetime as dt

import pytest

from app.db import utcnow
from app.timeutil import BUSINESS_TZ, to_local


@pytest.mark.parametrize(
    "stored",
    [
        dt.datetime(2026, 12, 3, 15, 59, 59, 999999),  # the last moment of a Shanghai day
        dt.datetime(2026, 12, 3, 16, 0),  # midnight in Shanghai
        dt.datetime(1988, 4, 9, 17, 59, 59),  # just before a summer-time change (1986-1991)
        dt.datetime(1988, 4, 9, 18, 0),
        dt.datetime(1988, 9, 10, 16, 30),  # the hour the clocks went back
        dt.datetime(1988, 9, 10, 17, 30),
        dt.datetime(1900, 1, 1),
        dt.datetime(2099, 12, 31, 23, 59, 59),
    ],
)
def test_a_stored_time_is_shown_as_the_zone_converts_it(stored):
    plain = stored.replace(tzinfo=dt.UTC).astimezone(BUSINESS_TZ)
    shown = to_local(stored)
    assert shown == plain and shown.tzinfo is BUSINESS_TZ
    assert shown.isoformat() == plain.isoformat() and shown.fold == plain.fold


def test_now_is_naive_utc():
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    now = utcnow()
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert now.tzinfo is None and before <= now <= after
