"""Reading input: the one place that turns text (API bodies, CSV cells, query strings) into values.

Every service input dataclass, serializer and form reads its numbers, dates and texts here, so each
rule is decided once and every refusal says the same thing in the reader's language:

* amounts (caps, budgets): more than 0, at most 2 decimal places, at most ``MAX_AMOUNT``;
* unit prices and quantities: more than 0, at most 6 decimal places, below the column's limit;
* whole numbers within bounds; row ids from 1 to 2**63 - 1 (larger names no row);
* dates as ``YYYY-MM-DD``, months as ``YYYY-MM``, date-times as ISO 8601 (stored in UTC);
* a date range ends on or after its start: a term may end on the day it starts;
* texts are stripped, and refused when required and empty or longer than their limit.

Nothing is rounded: a value the column cannot hold exactly is refused, never silently changed.
Numbers typed on web pages in the reader's language go through ``common.forms`` first.

Each reader takes the ``field`` the value came from and an optional ``errors`` collector. With a
collector, a refusal is added to it and the reader returns None, so a form reports every field at
once (``errors.raise_if_any()``); without one, the refusal is raised at once as ``ValidationFailed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from common.errors import ValidationFailed
from common.money import AMOUNT_FIELD, MAX_AMOUNT, PRICE_FIELD, QUANTITY_FIELD, amount_text, to_decimal

MAX_ROW_ID = 2**63 - 1
MAX_TEXT = 2000  # free text: reasons, justifications, descriptions
MAX_SHORT_TEXT = 200  # titles, names, keys


class Problem(StrEnum):
    """Why a value was refused: the stable codes behind the messages below."""

    REQUIRED = "required"
    NOT_A_NUMBER = "not_a_number"
    NOT_POSITIVE = "not_positive"
    TOO_MANY_DECIMALS = "too_many_decimals"
    TOO_LARGE = "too_large"
    NOT_WHOLE = "not_whole_number"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_ID = "unknown_id"
    NOT_A_DATE = "not_a_date"
    NOT_A_MONTH = "not_a_month"
    NOT_A_DATETIME = "not_a_datetime"
    END_BEFORE_START = "end_before_start"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class Refusal:
    field: str
    problem: str  # a Problem, or a service's own code for a rule of its domain
    message: str


class FieldErrors:
    """The refusals of one input, field by field, raised together as one ``ValidationFailed``."""

    def __init__(self) -> None:
        self.refusals: list[Refusal] = []

    def add(self, field: str, problem: Problem | str, message: str) -> None:
        self.refusals.append(Refusal(field, str(problem), str(message)))

    def __bool__(self) -> bool:
        return bool(self.refusals)

    def __contains__(self, field: str) -> bool:
        return any(refusal.field == field for refusal in self.refusals)

    @property
    def fields(self) -> dict[str, list[str]]:
        fields: dict[str, list[str]] = {}
        for refusal in self.refusals:
            messages = fields.setdefault(refusal.field, [])
            if refusal.message not in messages:
                messages.append(refusal.message)
        return fields

    def problems(self) -> dict[str, list[str]]:
        """Each field's refusal codes (for tests and logs)."""
        problems: dict[str, list[str]] = {}
        for refusal in self.refusals:
            problems.setdefault(refusal.field, []).append(refusal.problem)
        return problems

    def raise_if_any(self, message: str | None = None, *, code: str | None = None) -> None:
        if not self.refusals:
            return
        if message is None:
            message = self.refusals[0].message if len(self.refusals) == 1 else _("Check the highlighted fields.")
        raise ValidationFailed(message, code=code, fields=self.fields)


def _refuse(errors: FieldErrors | None, field: str, problem: Problem, message: str) -> None:
    if errors is None:
        raise ValidationFailed(message, fields={field: [message]})
    errors.add(field, problem, message)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --------------------------------------------------------------------------- numbers


def read_decimal(value: Any, *, field: str, errors: FieldErrors | None = None, size: dict[str, int] = PRICE_FIELD,
                 positive: bool = True, required: bool = True, example: str = "12.50") -> Decimal | None:
    """``value`` as a Decimal that a column of ``size`` (``common.money``) stores exactly, or None.

    Refused: empty (when required), not a finite number (floats included: they are not exact),
    more decimals than the column keeps, too many digits before the point, and, when ``positive``,
    zero or less.
    """
    if is_blank(value):
        if required:
            _refuse(errors, field, Problem.REQUIRED, _("Enter a number, such as %(example)s.") % {"example": example})
        return None
    if isinstance(value, bool):
        _refuse(errors, field, Problem.NOT_A_NUMBER, _("Enter a number, such as %(example)s.") % {"example": example})
        return None
    try:
        number = to_decimal(value)
    except (TypeError, ValueError, ArithmeticError):
        _refuse(errors, field, Problem.NOT_A_NUMBER, _("Enter a number, such as %(example)s.") % {"example": example})
        return None
    places = size["decimal_places"]
    limit = Decimal(10) ** (size["max_digits"] - places)
    if size is AMOUNT_FIELD:
        limit = MAX_AMOUNT + Decimal("0.01")
    if abs(number) >= limit:
        _refuse(errors, field, Problem.TOO_LARGE,
                _("Enter a number smaller than %(limit)s.") % {"limit": amount_text(limit, 0)})
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places and number != number.quantize(Decimal(1).scaleb(-places)):
        _refuse(errors, field, Problem.TOO_MANY_DECIMALS,
                _("Enter a number with at most %(places)s decimal places.") % {"places": places})
        return None
    if positive and number <= 0:
        _refuse(errors, field, Problem.NOT_POSITIVE, _("Enter a number greater than 0."))
        return None
    return number.quantize(Decimal(1).scaleb(-places))


def read_amount(value: Any, *, field: str, errors: FieldErrors | None = None, required: bool = True) -> Decimal | None:
    """An amount of money (a cap, a budget): more than 0, at most 2 decimals, at most ``MAX_AMOUNT``."""
    return read_decimal(value, field=field, errors=errors, size=AMOUNT_FIELD, required=required, example="1500.00")


def read_price(value: Any, *, field: str, errors: FieldErrors | None = None, required: bool = True) -> Decimal | None:
    """A unit price: more than 0, at most 6 decimals."""
    return read_decimal(value, field=field, errors=errors, size=PRICE_FIELD, required=required, example="0.25")


def read_quantity(value: Any, *, field: str, errors: FieldErrors | None = None,
                  required: bool = True) -> Decimal | None:
    """A quantity of a pricing unit: more than 0, at most 6 decimals."""
    return read_decimal(value, field=field, errors=errors, size=QUANTITY_FIELD, required=required, example="12.5")


def read_integer(value: Any, *, field: str, low: int, high: int, errors: FieldErrors | None = None,
                 required: bool = True) -> int | None:
    """A whole number from ``low`` to ``high`` (both included)."""
    if is_blank(value):
        if required:
            _refuse(errors, field, Problem.REQUIRED,
                    _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
        return None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        digits = text.lstrip("+-")
        number = int(text) if digits.isascii() and digits.isdigit() and len(text) < 30 else None
    if number is None:
        _refuse(errors, field, Problem.NOT_WHOLE, _("Enter a whole number."))
        return None
    if not low <= number <= high:
        _refuse(errors, field, Problem.OUT_OF_RANGE,
                _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
        return None
    return number


def read_row_id(value: Any, *, field: str, errors: FieldErrors | None = None, required: bool = True) -> int | None:
    """The id of a row to choose: digits from 1 to 2**63 - 1. Anything else names no row."""
    if is_blank(value):
        if required:
            _refuse(errors, field, Problem.REQUIRED, _("Choose one from the list."))
        return None
    text = str(value).strip() if not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or not 0 < int(text) <= MAX_ROW_ID:
        _refuse(errors, field, Problem.UNKNOWN_ID, _("Choose one from the list."))
        return None
    return int(text)


# --------------------------------------------------------------------------- dates and times


def read_date(value: Any, *, field: str, errors: FieldErrors | None = None, required: bool = True) -> date | None:
    """A calendar date as ``YYYY-MM-DD`` (or a ``date``; a ``datetime`` gives its date)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if is_blank(value):
        if required:
            _refuse(errors, field, Problem.REQUIRED, _("Enter a date as YYYY-MM-DD."))
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        _refuse(errors, field, Problem.NOT_A_DATE, _("Enter a date as YYYY-MM-DD."))
        return None


def read_date_range(start: Any, end: Any, *, errors: FieldErrors | None = None, start_field: str = "start",
                    end_field: str = "end", required: bool = True) -> tuple[date | None, date | None]:
    """A period from ``start`` to ``end``, both included: it may end on the day it starts, never before."""
    collector = errors if errors is not None else FieldErrors()
    first = read_date(start, field=start_field, errors=collector, required=required)
    last = read_date(end, field=end_field, errors=collector, required=required)
    if first is not None and last is not None and last < first:
        collector.add(end_field, Problem.END_BEFORE_START, _("Enter a date on or after the start date."))
    if errors is None:
        collector.raise_if_any()
    return first, last


def read_month(value: Any, *, field: str = "month", errors: FieldErrors | None = None) -> date | None:
    """A calendar month as ``YYYY-MM`` (or a date), as its first day."""
    if isinstance(value, date):
        return value.replace(day=1)
    text = "" if value is None else str(value).strip()
    year, _sep, month = text.partition("-")
    if len(year) == 4 and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12 and int(year) >= 1:
        return date(int(year), int(month), 1)
    _refuse(errors, field, Problem.NOT_A_MONTH, _("Enter a month as YYYY-MM."))
    return None


def read_datetime(value: Any, *, field: str, errors: FieldErrors | None = None, required: bool = True,
                  example: str = "2026-03-01T10:00:00Z") -> datetime | None:
    """An instant as ISO 8601 (or a ``datetime``), in UTC. A time without its offset is read in the
    project's time zone."""
    if is_blank(value):
        if required:
            _refuse(errors, field, Problem.REQUIRED,
                    _("Enter a date and time in ISO 8601, e.g. %(example)s.") % {"example": example})
        return None
    parsed = value if isinstance(value, datetime) else None
    if parsed is None:
        try:
            parsed = parse_datetime(str(value).strip())
        except ValueError:
            parsed = None
    if parsed is None:
        _refuse(errors, field, Problem.NOT_A_DATETIME,
                _("Enter a date and time in ISO 8601, e.g. %(example)s.") % {"example": example})
        return None
    try:
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
        return parsed.astimezone(UTC)  # as the database gives it back
    except (OverflowError, ValueError):  # 0001-01-01T00:00+05:00 is before the first representable instant
        _refuse(errors, field, Problem.OUT_OF_RANGE, _("Enter a date and time within the calendar."))
        return None


# --------------------------------------------------------------------------- texts


def read_text(value: Any, *, field: str, errors: FieldErrors | None = None, required: bool = True,
              max_length: int = MAX_TEXT, message: str | None = None) -> str:
    """``value`` stripped; refused when required and empty (with ``message``, or a plain "Enter …"),
    or longer than ``max_length`` characters. Returns "" when refused."""
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            _refuse(errors, field, Problem.REQUIRED, message or _("This field is required."))
        return ""
    if len(text) > max_length:
        _refuse(errors, field, Problem.TOO_LONG,
                _("Use at most %(n)s characters (this has %(count)s).") % {"n": max_length, "count": len(text)})
        return ""
    return text
