"""What the selection services take: typed, frozen inputs, read from request bodies and forms.

Each ``read_*`` turns text (an API body, a form's cleaned data) into its input with
``common.parsing``, so numbers, dates and texts follow the project's one set of rules: a budget or
cap is an amount (more than 0, 2 decimals), a quantity more than 0 with up to 6 decimals, a period
(and an award's order term) may end on the day it starts, never before. Refusals are collected
field by field (``criteria.0.text``) and raised together as one ``ValidationFailed``. The rules that
need the database (a lot of the chosen framework, a criterion that fits its catalog question) are
the services', checked once the values are readable; the services check the values again, so a
caller that builds an input by hand gets the same refusals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from common.errors import ValidationFailed
from common.parsing import (
    MAX_SHORT_TEXT,
    MAX_TEXT,
    FieldErrors,
    read_amount,
    read_date_range,
    read_quantity,
    read_row_id,
    read_text,
)
from marketplace.selection.models import RequirementCriterion

CRITERION_TEXT = 300  # a requirement line is one sentence
UNIT_TEXT = 50

# A catalog query as stored: each key's value is one text or a sorted list of texts.
CatalogQuery = Mapping[str, str | list[str]]
# What a criterion expects: a choice's value (or several), yes/no, or a number for at least / at most.
Expected = str | bool | Decimal | list[str] | None

# Keys of a results page's query string that are about presentation, not about what is searched.
IGNORED_QUERY_KEYS = {"page", "page_size", "format", "csrfmiddlewaretoken", "name", "requirement", "requirement_title"}


@dataclass(frozen=True)
class RequirementInput:
    title: str
    framework_id: int | None = None
    lot_id: int | None = None
    category_id: int | None = None
    description: str = ""
    budget: Decimal | None = None
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class CriterionInput:
    importance: str
    text: str
    attribute_key: str = ""
    operator: str = RequirementCriterion.Operator.FREE_TEXT
    expected: Expected = None


@dataclass(frozen=True)
class EstimateInput:
    unit: str
    quantity: Decimal


@dataclass(frozen=True)
class DirectAwardInput:
    listing_version_id: int
    justification: str
    cheaper_option_reason: str = ""
    cap: Decimal | None = None
    start: date | None = None
    end: date | None = None


def _mapping(value: object, *, field: str, errors: FieldErrors) -> Mapping:
    if isinstance(value, Mapping):
        return value
    errors.add(field, "not_an_object", _("Give an object of fields."))
    return {}


def read_requirement(data: Mapping, *, errors: FieldErrors | None = None) -> RequirementInput:
    """The requirement's details; with no ``errors`` collector the refusals are raised at once."""
    collector = errors if errors is not None else FieldErrors()
    title = read_text(data.get("title"), field="title", errors=collector, max_length=MAX_SHORT_TEXT,
                      message=_("Give the requirement a title."))
    ids = {name: read_row_id(data.get(name), field=name, errors=collector, required=False)
           for name in ("framework", "lot", "category")}
    start, end = read_date_range(data.get("period_start"), data.get("period_end"), errors=collector,
                                 start_field="period_start", end_field="period_end", required=False)
    details = RequirementInput(
        title=title, framework_id=ids["framework"], lot_id=ids["lot"], category_id=ids["category"],
        description=read_text(data.get("description"), field="description", errors=collector, required=False),
        budget=read_amount(data.get("budget"), field="budget", errors=collector, required=False),
        period_start=start, period_end=end,
    )
    if errors is None:
        collector.raise_if_any(_("The requirement is not valid."))
    return details


def _read_expected(value: object, *, field: str, errors: FieldErrors) -> Expected:
    if value is None or isinstance(value, bool | Decimal):
        return value
    if isinstance(value, list | tuple):
        if all(isinstance(item, str | int | float | Decimal) and not isinstance(item, bool) for item in value):
            return [str(item).strip() for item in value if str(item).strip()]
    elif isinstance(value, str | int | float):
        return str(value).strip()
    errors.add(field, "not_a_value", _("Give a value or a list of values."))
    return None


def read_criterion(data: Mapping, *, errors: FieldErrors | None = None, prefix: str = "") -> CriterionInput:
    collector = errors if errors is not None else FieldErrors()
    criterion = CriterionInput(
        importance=str(data.get("importance") or "").strip(),
        text=read_text(data.get("text"), field=f"{prefix}text", errors=collector, max_length=CRITERION_TEXT,
                       message=_("Describe the requirement in words.")),
        attribute_key=read_text(data.get("attribute_key"), field=f"{prefix}attribute_key", errors=collector,
                                required=False, max_length=MAX_SHORT_TEXT),
        operator=str(data.get("operator") or RequirementCriterion.Operator.FREE_TEXT).strip(),
        expected=_read_expected(data.get("expected"), field=f"{prefix}expected", errors=collector),
    )
    if errors is None:
        collector.raise_if_any(_("The requirement is not valid."))
    return criterion


def read_estimate(data: Mapping, *, errors: FieldErrors | None = None, prefix: str = "") -> EstimateInput:
    collector = errors if errors is not None else FieldErrors()
    estimate = EstimateInput(
        unit=read_text(data.get("unit"), field=f"{prefix}unit", errors=collector, max_length=UNIT_TEXT,
                       message=_("Give the pricing unit, like vCPU-hour.")),
        quantity=read_quantity(data.get("quantity"), field=f"{prefix}quantity", errors=collector),
    )
    if errors is None:
        collector.raise_if_any(_("The estimate is not valid."))
    return estimate


def read_items(value: object, *, field: str, errors: FieldErrors, reader) -> list:
    """A list of objects (criteria, estimates), each read by ``reader`` with its numbered prefix."""
    if value is None:
        return []
    if not isinstance(value, Sequence) or isinstance(value, str):
        errors.add(field, "not_a_list", _("Give a list."))
        return []
    return [reader(_mapping(item, field=f"{field}.{index}", errors=errors), errors=errors, prefix=f"{field}.{index}.")
            for index, item in enumerate(value)]


def read_new_requirement(data: Mapping) -> tuple[RequirementInput, list[CriterionInput], list[EstimateInput]]:
    """A requirement with its criteria and estimates (the API's create body), every refusal at once."""
    errors = FieldErrors()
    details = read_requirement(data, errors=errors)
    criteria = read_items(data.get("criteria"), field="criteria", errors=errors, reader=read_criterion)
    estimates = read_items(data.get("estimates"), field="estimates", errors=errors, reader=read_estimate)
    errors.raise_if_any(_("The requirement is not valid."))
    return details, criteria, estimates


def read_direct_award(data: Mapping) -> DirectAwardInput:
    errors = FieldErrors()
    listing_version_id = read_row_id(data.get("listing_version"), field="listing_version", errors=errors)
    start, end = read_date_range(data.get("start"), data.get("end"), errors=errors)
    award = DirectAwardInput(
        listing_version_id=listing_version_id or 0,
        justification=read_text(data.get("justification"), field="justification", errors=errors, required=False),
        cheaper_option_reason=read_text(data.get("cheaper_option_reason"), field="cheaper_option_reason",
                                        errors=errors, required=False),
        cap=read_amount(data.get("cap"), field="cap", errors=errors), start=start, end=end,
    )
    errors.raise_if_any(_("The award is not valid."))
    return award


def read_reason(data: Mapping, *, field: str = "reason") -> str:
    """A free-text reason; whether it may be empty is the service's rule."""
    return read_text(data.get(field), field=field, required=False, max_length=MAX_TEXT)


def read_name(value: object, *, field: str = "name") -> str:
    return read_text(value, field=field, max_length=MAX_SHORT_TEXT, message=_("Give the search a name."))


def _query_texts(key: str, raw: object) -> list[str]:
    texts = []
    for value in raw if isinstance(raw, list | tuple) else [raw]:
        if value is None:
            continue
        if isinstance(value, dict | list | tuple):
            raise ValidationFailed(_("Query values must be text or numbers."),
                                   fields={f"query.{key}": [_("Give a single value.")]})
        text = ("true" if value else "false") if isinstance(value, bool) else str(value).strip()
        if text:
            texts.append(text)
    return texts


def read_query(query: object) -> dict[str, str | list[str]]:
    """The stored form of a catalog query: sorted keys, trimmed text values, no empty or paging keys.

    Accepts a plain mapping or a Django ``QueryDict`` (several values per key become a sorted list).
    """
    if query is None:
        return {}
    if not hasattr(query, "items"):
        raise ValidationFailed(_("The query must be an object."), fields={"query": [_("Give an object of filters.")]})
    pairs = list(query.lists()) if hasattr(query, "lists") else list(query.items())
    result: dict[str, str | list[str]] = {}
    for key, raw in pairs:
        key = str(key).strip()
        if not key or key in IGNORED_QUERY_KEYS:
            continue
        unique = sorted(set(_query_texts(key, raw)))
        if unique:
            result[key] = unique[0] if len(unique) == 1 else unique
    return dict(sorted(result.items()))
