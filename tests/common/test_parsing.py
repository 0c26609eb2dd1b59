"""common.parsing: each rule decided once, each refusal with its code and message."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from common.errors import ValidationFailed
from common.money import MAX_AMOUNT
from common.parsing import (
    FieldErrors,
    Problem,
    read_amount,
    read_date,
    read_date_range,
    read_datetime,
    read_integer,
    read_month,
    read_price,
    read_quantity,
    read_row_id,
    read_text,
)


def refused(reader, value, **kwargs) -> dict[str, list[str]]:
    errors = FieldErrors()
    assert reader(value, field="x", errors=errors, **kwargs) in (None, "")
    return errors.problems()


@pytest.mark.parametrize(("value", "expected"), [
    ("1500", Decimal("1500.00")), ("0.01", Decimal("0.01")), (Decimal("2.50"), Decimal("2.50")),
    ("1.500", Decimal("1.50")), (7, Decimal("7.00")), (str(MAX_AMOUNT), MAX_AMOUNT),
])
def test_amounts_that_a_column_holds_exactly_are_read(value, expected):
    amount = read_amount(value, field="cap")
    assert amount == expected and amount.as_tuple().exponent == -2


@pytest.mark.parametrize(("value", "problem"), [
    ("", Problem.REQUIRED), (None, Problem.REQUIRED), ("abc", Problem.NOT_A_NUMBER), (1.5, Problem.NOT_A_NUMBER),
    (True, Problem.NOT_A_NUMBER), ("NaN", Problem.NOT_A_NUMBER), ("Infinity", Problem.NOT_A_NUMBER),
    ("0", Problem.NOT_POSITIVE), ("-3", Problem.NOT_POSITIVE), ("1.005", Problem.TOO_MANY_DECIMALS),
    ("1e30", Problem.TOO_LARGE), (str(MAX_AMOUNT + Decimal("0.01")), Problem.TOO_LARGE),
])
def test_amounts_refused_with_their_reason(value, problem):
    assert refused(read_amount, value) == {"x": [problem]}


def test_prices_and_quantities_keep_six_decimals_and_refuse_a_seventh():
    assert read_price("0.123456", field="p") == Decimal("0.123456")
    assert read_quantity("8760", field="q") == Decimal("8760.000000")
    assert refused(read_price, "0.0000001") == {"x": [Problem.TOO_MANY_DECIMALS]}
    assert refused(read_quantity, "1000000000000") == {"x": [Problem.TOO_LARGE]}


def test_without_a_collector_the_refusal_is_raised_under_its_field():
    with pytest.raises(ValidationFailed) as raised:
        read_amount("12.345", field="cap")
    assert raised.value.fields == {"cap": ["Enter a number with at most 2 decimal places."]}
    assert raised.value.message == "Enter a number with at most 2 decimal places."


def test_a_collector_reports_every_field_at_once():
    errors = FieldErrors()
    read_amount("x", field="cap", errors=errors)
    read_date("31/12/2026", field="start", errors=errors)
    read_text("  ", field="reason", errors=errors, message="Give a reason.")
    with pytest.raises(ValidationFailed) as raised:
        errors.raise_if_any()
    assert raised.value.fields == {"cap": ["Enter a number, such as 1500.00."], "start": ["Enter a date as YYYY-MM-DD."],
                                   "reason": ["Give a reason."]}
    assert raised.value.message == "Check the highlighted fields."


def test_an_empty_collector_raises_nothing():
    FieldErrors().raise_if_any()


@pytest.mark.parametrize(("value", "expected"), [("5", 5), (" 12 ", 12), (3, 3), ("+4", 4)])
def test_whole_numbers_within_bounds(value, expected):
    assert read_integer(value, field="n", low=1, high=100) == expected


@pytest.mark.parametrize(("value", "problem"), [
    ("1.5", Problem.NOT_WHOLE), ("x", Problem.NOT_WHOLE), (True, Problem.NOT_WHOLE), ("0", Problem.OUT_OF_RANGE),
    ("101", Problem.OUT_OF_RANGE), ("9" * 40, Problem.NOT_WHOLE), ("", Problem.REQUIRED), ("²", Problem.NOT_WHOLE),
    ("١٢", Problem.NOT_WHOLE),
])
def test_whole_numbers_refused(value, problem):
    assert refused(read_integer, value, low=1, high=100) == {"x": [problem]}


def test_row_ids_name_a_row_a_database_can_hold():
    assert read_row_id("42", field="line") == 42
    assert read_row_id(str(2**63 - 1), field="line") == 2**63 - 1
    for value in ("0", "-1", str(2**63), "1.0", "abc", "1" * 30, "²", "١٢"):
        assert refused(read_row_id, value) == {"x": [Problem.UNKNOWN_ID]}


def test_a_term_may_end_on_the_day_it_starts_but_not_before():
    assert read_date_range("2026-03-01", "2026-03-01") == (date(2026, 3, 1), date(2026, 3, 1))
    with pytest.raises(ValidationFailed) as raised:
        read_date_range("2026-03-02", "2026-03-01")
    assert raised.value.fields == {"end": ["Enter a date on or after the start date."]}


def test_a_date_range_names_each_bad_date():
    errors = FieldErrors()
    assert read_date_range("soon", "2026-02-30", errors=errors, start_field="from", end_field="to") == (None, None)
    assert errors.problems() == {"from": [Problem.NOT_A_DATE], "to": [Problem.NOT_A_DATE]}


def test_dates_and_months():
    assert read_date(datetime(2026, 5, 4, 23, 0, tzinfo=UTC), field="d") == date(2026, 5, 4)
    assert read_month("2026-03", field="month") == date(2026, 3, 1)
    assert read_month(date(2026, 3, 17)) == date(2026, 3, 1)
    for value in ("2026-13", "2026", "03-2026", "", None, "0000-01"):
        assert refused(read_month, value) == {"x": [Problem.NOT_A_MONTH]}


def test_date_times_are_kept_in_utc_and_a_naive_one_is_read_in_the_project_time_zone(settings):
    settings.TIME_ZONE = "America/Lima"
    assert read_datetime("2026-03-01T10:00:00-05:00", field="t") == datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    assert read_datetime("2026-03-01T10:00:00", field="t") == datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    assert refused(read_datetime, "yesterday") == {"x": [Problem.NOT_A_DATETIME]}
    assert refused(read_datetime, "0001-01-01T00:00:00+05:00") == {"x": [Problem.OUT_OF_RANGE]}


def test_texts_are_stripped_and_limited():
    assert read_text("  Needed for the audit  ", field="reason") == "Needed for the audit"
    assert read_text("", field="note", required=False) == ""
    assert refused(read_text, "x" * 11, max_length=10) == {"x": [Problem.TOO_LONG]}
    with pytest.raises(ValidationFailed) as raised:
        read_text(" ", field="justification", message="Explain why.")
    assert raised.value.fields == {"justification": ["Explain why."]}


def test_messages_follow_the_language():
    from django.utils import translation

    with translation.override("es"):
        errors = FieldErrors()
        read_date("x", field="start", errors=errors)
        assert errors.fields["start"] != ["Enter a date as YYYY-MM-DD."]
