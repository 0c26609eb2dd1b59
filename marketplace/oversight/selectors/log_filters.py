"""The selection log's filters, read from query parameters with ``common.parsing``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils.translation import gettext as _

from common.money import AMOUNT_FIELD
from common.parsing import FieldErrors, read_date, read_decimal, read_row_id
from marketplace.oversight.models import RedFlag
from marketplace.selection.models import Award

SORTS = {
    "date": ("created_at", "pk"), "-date": ("-created_at", "-pk"),
    "value": (F("value").asc(nulls_last=True), "pk"), "-value": (F("value").desc(nulls_last=True), "-pk"),
    "buyer": ("organization__name", "pk"), "-buyer": ("-organization__name", "-pk"),
    "supplier": (F("supplier__name").asc(nulls_last=True), "pk"),
    "-supplier": (F("supplier__name").desc(nulls_last=True), "-pk"),
}
DEFAULT_SORT = "-date"
ID_FILTERS = ("buyer", "supplier", "framework", "lot")
DATE_FILTERS = ("date_from", "date_to")
VALUE_FILTERS = ("value_min", "value_max")
NOT_A_CHOICE = "not_a_choice"


@dataclass
class LogFilters:
    buyer: int | None = None
    supplier: int | None = None
    framework: int | None = None
    lot: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    value_min: Decimal | None = None
    value_max: Decimal | None = None
    method: str = ""
    outcome: str = ""
    flag: str = ""
    sort: str = DEFAULT_SORT


def _choice(params: Mapping[str, Any], name: str, default: str = "") -> str:
    return str(params.get(name) or default).strip()


def parse_log_filters(params: Mapping[str, Any]) -> LogFilters:
    """Read the log's filters from query parameters; bad values raise ``ValidationFailed`` (400) with
    every refused field. Ids name rows (1 to 2**63 - 1), dates are YYYY-MM-DD, values are amounts
    (at most 2 decimals; 0 and less are allowed as bounds)."""
    errors = FieldErrors()
    values: dict[str, Any] = {}
    for name in ID_FILTERS:
        values[name] = read_row_id(params.get(name), field=name, errors=errors, required=False)
    for name in DATE_FILTERS:
        values[name] = read_date(params.get(name), field=name, errors=errors, required=False)
    for name in VALUE_FILTERS:
        values[name] = read_decimal(params.get(name), field=name, errors=errors, size=AMOUNT_FIELD, positive=False,
                                    required=False, example="1500.00")
    filters = LogFilters(**values, method=_choice(params, "method"), outcome=_choice(params, "outcome"),
                         flag=_choice(params, "flag"), sort=_choice(params, "sort", DEFAULT_SORT))
    if filters.method and filters.method not in Award.Method.values:
        errors.add("method", NOT_A_CHOICE, _("Choose direct or competition."))
    if filters.outcome and filters.outcome not in Award.Outcome.values:
        errors.add("outcome", NOT_A_CHOICE, _("Choose awarded or no_award."))
    if filters.flag and filters.flag not in RedFlag.Kind.values and filters.flag not in ("any", "none"):
        errors.add("flag", NOT_A_CHOICE, _("Choose a kind of red flag, any or none."))
    if filters.sort not in SORTS:
        errors.add("sort", NOT_A_CHOICE, _("Sort by one of: %(keys)s.") % {"keys": ", ".join(SORTS)})
    errors.raise_if_any(_("Some filters are not valid."))
    return filters
