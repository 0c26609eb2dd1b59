"""Business-day arithmetic per country: weekends (Saturday, Sunday) and the country's public holidays
do not count.

Holidays come from the maintained ``holidays`` package (national holidays of Peru, Colombia and most
other countries, for any year), chosen by an ISO 3166-1 alpha-2 code: a framework agreement's
``country``. Days are counted in the project's time zone.

The quotation window rule: a deadline is valid when it is at or after ``earliest_deadline(start,
days, country=...)``, that is the same time of day ``days`` business days after the day of ``start``.
Published on Friday 10:00 with 2 business days: Tuesday 10:00 at the earliest (Saturday and Sunday
skipped). Published on a Saturday: Monday counts as the first day, so Tuesday at the same time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays as holiday_calendars
from django.utils import timezone


def is_supported_country(country: str) -> bool:
    return country in holiday_calendars.list_supported_countries()


@lru_cache(maxsize=32)
def _calendar(country: str) -> holiday_calendars.HolidayBase:
    """The country's calendar; it fills in each year the first time a date of that year is asked."""
    if not is_supported_country(country):
        raise ValueError(f"no holiday calendar for country {country!r}")
    return holiday_calendars.country_holidays(country)


def is_holiday(day: date, *, country: str) -> bool:
    return day in _calendar(country)


def is_business_day(day: date, *, country: str) -> bool:
    return day.weekday() < 5 and not is_holiday(day, country=country)


def add_business_days(day: date, days: int, *, country: str) -> date:
    """The date ``days`` business days after ``day`` (``day`` itself never counts)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = day
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if is_business_day(current, country=country):
            counted += 1
    return current


def business_days_between(start: date, end: date, *, country: str) -> int:
    """How many business days fall after ``start`` up to and including ``end`` (0 if end ≤ start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_business_day(current, country=country):
            count += 1
    return count


def earliest_deadline(start: datetime, days: int, *, country: str) -> datetime:
    """The earliest allowed deadline for a window of ``days`` business days opening at ``start``."""
    local = timezone.localtime(start)
    target = add_business_days(local.date(), days, country=country)
    return local + timedelta(days=(target - local.date()).days)
