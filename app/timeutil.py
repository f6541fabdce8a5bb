"""Time zone rules: stored in naive UTC, shown and reasoned about in the business time zone (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def to_local(value: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) time in the business time zone. The zone converts from UTC itself:
    `datetime.replace(tzinfo=…)` costs several times this on CPython 3.11, and an order's
    answer shows each of its times."""
    return BUSINESS_TZ.fromutc(dt.datetime.combine(value.date(), value.time(), BUSINESS_TZ))


def local_date(value: dt.datetime) -> dt.date:
    return to_local(value).date()


def local_today() -> dt.date:
    return dt.datetime.now(BUSINESS_TZ).date()


def end_of_local_day_utc(day: dt.date) -> dt.datetime:
    """The first UTC instant after the business day `day` ends (naive, as stored)."""
    start_next = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=BUSINESS_TZ)
    return start_next.astimezone(dt.UTC).replace(tzinfo=None)


def start_of_local_day_utc(day: dt.date) -> dt.datetime:
    return end_of_local_day_utc(day - dt.timedelta(days=1))
