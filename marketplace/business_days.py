"""Business-day arithmetic: weekends (Saturday, Sunday) and the configured holidays do not count.

Holidays come from the setting ``MARKETPLACE_HOLIDAYS`` (a list of ISO dates, read at each call so
that tests and deployments can change it). Days are counted in the project's time zone.

The quotation window rule: a deadline is valid when it is at or after ``earliest_deadline(start,
days)``, that is the same time of day ``days`` business days after the day of ``start``. Published
on Friday 10:00 with 2 business days: Tuesday 10:00 at the earliest (Saturday and Sunday skipped).
Published on a Saturday: Monday counts as the first day, so Tuesday at the same time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.utils import timezone


@lru_cache(maxsize=8)
def _parse(holidays: tuple[str, ...]) -> frozenset[date]:
    return frozenset(date.fromisoformat(value) for value in holidays)


def holidays() -> frozenset[date]:
    return _parse(tuple(getattr(settings, "MARKETPLACE_HOLIDAYS", ()) or ()))


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays()


def add_business_days(day: date, days: int) -> date:
    """The date ``days`` business days after ``day`` (``day`` itself never counts)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = day
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if is_business_day(current):
            counted += 1
    return current


def business_days_between(start: date, end: date) -> int:
    """How many business days fall after ``start`` up to and including ``end`` (0 if end ≤ start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_business_day(current):
            count += 1
    return count


def earliest_deadline(start: datetime, days: int) -> datetime:
    """The earliest allowed deadline for a window of ``days`` business days opening at ``start``."""
    local = timezone.localtime(start)
    target = add_business_days(local.date(), days)
    return local + timedelta(days=(target - local.date()).days)
