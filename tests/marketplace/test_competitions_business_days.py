from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.conf import settings
from django.test import override_settings

from agreements.models import FrameworkAgreement
from common.errors import ValidationFailed
from marketplace.business_days import add_business_days, business_days_between, earliest_deadline, is_business_day
from marketplace.competitions.models import Competition
from tests.marketplace.factories_competitions import create_competition


def at(year, month, day, hour=10, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@override_settings(MARKETPLACE_HOLIDAYS=[])
def test_two_business_days_from_thursday_is_monday():
    assert add_business_days(date(2026, 11, 26), 2) == date(2026, 11, 30)


@override_settings(MARKETPLACE_HOLIDAYS=[])
def test_friday_skips_the_weekend():
    assert add_business_days(date(2026, 11, 27), 2) == date(2026, 12, 1)
    assert earliest_deadline(at(2026, 11, 27, 10), 2) == at(2026, 12, 1, 10)


@override_settings(MARKETPLACE_HOLIDAYS=[])
def test_saturday_start_counts_from_monday():
    assert add_business_days(date(2026, 11, 28), 2) == date(2026, 12, 1)
    assert add_business_days(date(2026, 11, 29), 1) == date(2026, 11, 30)


@override_settings(MARKETPLACE_HOLIDAYS=["2026-12-08", "2026-12-09"])
def test_holidays_are_skipped_like_weekends():
    assert not is_business_day(date(2026, 12, 8))
    assert add_business_days(date(2026, 12, 7), 2) == date(2026, 12, 11)
    assert earliest_deadline(at(2026, 12, 7, 16, 30), 2) == at(2026, 12, 11, 16, 30)


@override_settings(MARKETPLACE_HOLIDAYS=["2026-12-25"])
def test_holiday_on_friday_then_weekend():
    assert add_business_days(date(2026, 12, 24), 1) == date(2026, 12, 28)


@override_settings(MARKETPLACE_HOLIDAYS=["2026-12-08"])
def test_business_days_between_counts_only_working_days():
    assert business_days_between(date(2026, 12, 4), date(2026, 12, 11)) == 4
    assert business_days_between(date(2026, 12, 11), date(2026, 12, 4)) == 0
    assert add_business_days(date(2026, 12, 4), 0) == date(2026, 12, 4)


def test_default_holidays_come_from_settings():
    assert "2026-12-25" in settings.MARKETPLACE_HOLIDAYS
    assert not is_business_day(date(2026, 12, 25))


@pytest.mark.django_db
@override_settings(MARKETPLACE_HOLIDAYS=[])
def test_deadline_one_minute_inside_the_window_is_refused_with_earliest_date(buyer_user, lot):
    framework = lot.framework
    assert framework.min_quotation_business_days == 2
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 11, 27, 10)):
        with pytest.raises(ValidationFailed) as error:
            create_competition(buyer_user, lot, deadline=at(2026, 12, 1, 9, 59))
    assert error.value.code == "deadline_too_soon"
    assert error.value.extra == {"earliest_deadline": "2026-12-01T10:00:00+00:00"}
    assert "deadline" in error.value.fields
    assert Competition.objects.count() == 0


@pytest.mark.django_db
@override_settings(MARKETPLACE_HOLIDAYS=[])
def test_deadline_exactly_at_the_window_is_accepted(buyer_user, lot):
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 11, 27, 10)):
        competition = create_competition(buyer_user, lot, deadline=at(2026, 12, 1, 10))
    assert competition.deadline == at(2026, 12, 1, 10)
    assert competition.status == Competition.Status.DRAFT


@pytest.mark.django_db
@override_settings(MARKETPLACE_HOLIDAYS=["2026-12-08", "2026-12-09"])
def test_holidays_lengthen_the_window_at_creation(buyer_user, lot):
    FrameworkAgreement.objects.filter(pk=lot.framework_id).update(min_quotation_business_days=3)
    lot.framework.refresh_from_db()
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 12, 4, 12)):  # a Friday
        with pytest.raises(ValidationFailed) as error:
            create_competition(buyer_user, lot, deadline=at(2026, 12, 10, 12))  # Mon + Thu = 2 business days
        assert error.value.code == "deadline_too_soon"
        competition = create_competition(buyer_user, lot, deadline=at(2026, 12, 11, 12))  # Mon, Thu, Fri
    assert competition.deadline == at(2026, 12, 11, 12)
    assert Competition.objects.count() == 1
