"""The tests' clock: every date a test builds is relative to "now", so the suite passes whatever the date.

"Now" is the process clock as Django sees it (``django.utils.timezone``), so a test that moves time
with the ``clock`` fixture (time-machine, tests/conftest.py) moves these helpers too, and a whole run
under ``faketime`` (scripts/test-future-clock) moves everything. Dates that are arbitrary inputs, not
tied to now (a parser given "2026-13-01"), stay literal in the tests.

Month helpers return a day of a month counted from the current month: ``months_from_this_month(-2)``
is the first day of the month before last, ``months_from_this_month(3, day=-1)`` the last day of the
month three months ahead, ``months_from_this_month(1, day=31)`` the 31st or the month's last day.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localdate()


def days_from_today(days: int) -> date:
    return today() + timedelta(days=days)


def this_month() -> date:
    """The first day of the current month."""
    return today().replace(day=1)


def months_from_this_month(months: int, *, day: int = 1) -> date:
    """Day ``day`` (1..31, clamped to the month's length; -1 is the last day) of the month ``months``
    months after the current one (negative: before)."""
    start = this_month()
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    length = calendar.monthrange(year, month)[1]
    return date(year, month, length if day == -1 else min(day, length))


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """An aware date-time on ``day`` at ``hour:minute`` in the project's time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))
