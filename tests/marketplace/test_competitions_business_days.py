from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from agreements.models import FrameworkAgreement
from common.business_days import add_business_days, business_days_between, earliest_deadline, is_business_day
from common.errors import ValidationFailed
from marketplace.competitions.models import Competition
from tests.marketplace.factories_competitions import create_competition

# The dates below are calendar facts (weekdays and national holidays), not "now": they stay literal.


def at(year, month, day, hour=10, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_two_business_days_from_thursday_is_monday():
    assert add_business_days(date(2026, 11, 26), 2, country="PE") == date(2026, 11, 30)


def test_friday_skips_the_weekend():
    assert add_business_days(date(2026, 11, 27), 2, country="PE") == date(2026, 12, 1)
    assert earliest_deadline(at(2026, 11, 27, 10), 2, country="PE") == at(2026, 12, 1, 10)


def test_saturday_start_counts_from_monday():
    assert add_business_days(date(2026, 11, 28), 2, country="PE") == date(2026, 12, 1)
    assert add_business_days(date(2026, 11, 29), 1, country="PE") == date(2026, 11, 30)


def test_peru_holidays_are_skipped_like_weekends():
    # 8 December (Immaculate Conception) and 9 December (Battle of Ayacucho).
    assert not is_business_day(date(2026, 12, 8), country="PE")
    assert not is_business_day(date(2026, 12, 9), country="PE")
    assert add_business_days(date(2026, 12, 7), 2, country="PE") == date(2026, 12, 11)
    assert earliest_deadline(at(2026, 12, 7, 16, 30), 2, country="PE") == at(2026, 12, 11, 16, 30)


def test_peru_fiestas_patrias():
    # 28 July (Independence Day, a Tuesday in 2026) and 29 July.
    assert is_business_day(date(2026, 7, 27), country="PE")
    assert not is_business_day(date(2026, 7, 28), country="PE")
    assert not is_business_day(date(2026, 7, 29), country="PE")
    assert add_business_days(date(2026, 7, 27), 1, country="PE") == date(2026, 7, 30)


def test_holiday_on_friday_then_weekend():
    assert add_business_days(date(2026, 12, 24), 1, country="PE") == date(2026, 12, 28)


def test_business_days_between_counts_only_working_days():
    # Friday 4 to Friday 11 December 2026: Monday 7, Thursday 10, Friday 11 (8 and 9 are holidays).
    assert business_days_between(date(2026, 12, 4), date(2026, 12, 11), country="PE") == 3
    assert business_days_between(date(2026, 12, 11), date(2026, 12, 4), country="PE") == 0
    assert add_business_days(date(2026, 12, 4), 0, country="PE") == date(2026, 12, 4)


def test_colombia_has_its_own_calendar():
    # 20 July 2026, a Monday: Colombia's Independence Day, a working day in Peru.
    assert not is_business_day(date(2026, 7, 20), country="CO")
    assert is_business_day(date(2026, 7, 20), country="PE")
    assert add_business_days(date(2026, 7, 17), 1, country="CO") == date(2026, 7, 21)
    assert add_business_days(date(2026, 7, 17), 1, country="PE") == date(2026, 7, 20)


def test_calendar_knows_years_past_any_hand_written_list():
    # 2031: Maundy Thursday 10 April and Good Friday 11 April; 8 and 9 December on Monday and Tuesday.
    assert add_business_days(date(2031, 4, 9), 1, country="PE") == date(2031, 4, 14)
    assert add_business_days(date(2031, 12, 5), 1, country="PE") == date(2031, 12, 10)
    assert business_days_between(date(2031, 12, 5), date(2031, 12, 12), country="PE") == 3


def test_unknown_country_is_refused():
    with pytest.raises(ValueError):
        is_business_day(date(2026, 7, 20), country="XX")
    with pytest.raises(ValidationError) as error:
        FrameworkAgreement._meta.get_field("country").run_validators("XX")
    assert error.value.error_list[0].code == "invalid_country"
    FrameworkAgreement._meta.get_field("country").run_validators("CO")


@pytest.mark.django_db
def test_deadline_one_minute_inside_the_window_is_refused_with_earliest_date(buyer_user, lot):
    framework = lot.framework
    assert framework.min_quotation_business_days == 2
    assert framework.country == "PE"
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 11, 27, 10)):
        with pytest.raises(ValidationFailed) as error:
            create_competition(buyer_user, lot, deadline=at(2026, 12, 1, 9, 59))
    assert error.value.code == "deadline_too_soon"
    assert error.value.extra == {"earliest_deadline": "2026-12-01T10:00:00+00:00"}
    assert "deadline" in error.value.fields
    assert Competition.objects.count() == 0


@pytest.mark.django_db
def test_deadline_exactly_at_the_window_is_accepted(buyer_user, lot):
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 11, 27, 10)):
        competition = create_competition(buyer_user, lot, deadline=at(2026, 12, 1, 10))
    assert competition.deadline == at(2026, 12, 1, 10)
    assert competition.status == Competition.Status.DRAFT


@pytest.mark.django_db
def test_holidays_lengthen_the_window_at_creation(buyer_user, lot):
    FrameworkAgreement.objects.filter(pk=lot.framework_id).update(min_quotation_business_days=3)
    lot.framework.refresh_from_db()
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 12, 4, 12)):  # a Friday
        with pytest.raises(ValidationFailed) as error:
            create_competition(buyer_user, lot, deadline=at(2026, 12, 10, 12))  # Mon + Thu = 2 business days
        assert error.value.code == "deadline_too_soon"
        assert Competition.objects.count() == 0
        competition = create_competition(buyer_user, lot, deadline=at(2026, 12, 11, 12))  # Mon, Thu, Fri
    assert competition.deadline == at(2026, 12, 11, 12)
    assert Competition.objects.count() == 1


@pytest.mark.django_db
def test_the_framework_country_chooses_the_calendar(buyer_user, lot):
    FrameworkAgreement.objects.filter(pk=lot.framework_id).update(country="CO")
    lot.framework.refresh_from_db()
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 7, 17, 10)):  # Friday before 20 July
        with pytest.raises(ValidationFailed) as error:
            create_competition(buyer_user, lot, deadline=at(2026, 7, 21, 10))  # enough in Peru
        assert error.value.extra == {"earliest_deadline": "2026-07-22T10:00:00+00:00"}
        assert Competition.objects.count() == 0
        FrameworkAgreement.objects.filter(pk=lot.framework_id).update(country="PE")
        lot.framework.refresh_from_db()
        competition = create_competition(buyer_user, lot, deadline=at(2026, 7, 21, 10))
    assert competition.deadline == at(2026, 7, 21, 10)
