"""The tests' clock (tests/clock.py) and the ``clock`` fixture (tests/conftest.py)."""

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from tests.clock import at, days_from_today, months_from_this_month, now, this_month, today


def test_month_helpers_count_from_the_current_month_across_years(clock):
    clock.move_to(datetime(2031, 1, 31, 12, 0, tzinfo=UTC))

    assert today() == date(2031, 1, 31)
    assert this_month() == date(2031, 1, 1)
    assert months_from_this_month(-1) == date(2030, 12, 1)
    assert months_from_this_month(-13, day=-1) == date(2029, 12, 31)
    assert months_from_this_month(1, day=31) == date(2031, 2, 28)  # clamped to the month's length
    assert months_from_this_month(13, day=-1) == date(2032, 2, 29)  # a leap year
    assert months_from_this_month(11, day=15) == date(2031, 12, 15)
    assert days_from_today(1) == date(2031, 2, 1)
    assert at(date(2031, 2, 1), 9, 30) == datetime(2031, 2, 1, 9, 30, tzinfo=UTC)


def test_the_clock_fixture_stands_still_until_moved(clock):
    start = now()
    assert timezone.now() == start  # no tick

    clock.shift(timedelta(days=3))

    assert now() == start + timedelta(days=3)
    assert today() == (start + timedelta(days=3)).date()


def test_without_the_fixture_the_helpers_follow_the_real_clock():
    assert abs(now() - datetime.now(UTC)) < timedelta(seconds=5)
    assert today() == timezone.localdate()
