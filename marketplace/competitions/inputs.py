"""What the competition services receive: typed, frozen values, read from API bodies and page forms
with ``common.parsing`` (one set of rules, codes and messages for every number, date and text).

A reader refuses what cannot be read (not a number, too many decimals, too long, not a date) with
every field at once, under the key the pages show it at (``lines.0.quantity``,
``quotes.<id>.scores.<id>.score``). The rules of the domain (a unit the lot prices, weights adding
up to 100, a deadline far enough away, a price under the ceiling) are the services' own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from common.parsing import (
    MAX_SHORT_TEXT,
    MAX_TEXT,
    FieldErrors,
    Problem,
    is_blank,
    read_amount,
    read_date_range,
    read_datetime,
    read_decimal,
    read_integer,
    read_price,
    read_quantity,
    read_row_id,
    read_text,
)
from marketplace.competitions.models import SCORE_FIELD, Competition

MAX_DESCRIPTION = 20000
MAX_UNIT = 50
MAX_LINE_DESCRIPTION = 300
MAX_CRITERION_DESCRIPTION = 500
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class LineSpec:
    unit: str
    quantity: Decimal
    description: str = ""


@dataclass(frozen=True)
class CriterionSpec:
    name: str
    weight: int
    description: str = ""


@dataclass(frozen=True)
class CompetitionDraft:
    requirement_id: int
    lines: tuple[LineSpec, ...]
    deadline: datetime
    method: str = Competition.Method.LOWEST_PRICE
    price_weight: int | None = None
    criteria: tuple[CriterionSpec, ...] = ()
    lot_id: int | None = None
    title: str = ""
    description: str = ""
    clarifications_allowed: bool = True


@dataclass(frozen=True)
class QuoteLineInput:
    line_id: int
    unit_price: Decimal
    listing_id: int | None = None


@dataclass(frozen=True)
class CriterionAnswer:
    criterion_id: int
    text: str


@dataclass(frozen=True)
class QuoteInput:
    lines: tuple[QuoteLineInput, ...]
    delivery_terms: str
    responses: tuple[CriterionAnswer, ...] = ()


@dataclass(frozen=True)
class ScoreInput:
    criterion_id: int
    score: Decimal
    justification: str


@dataclass(frozen=True)
class QuoteScoring:
    """One quote's evaluation: rejected with a reason, or scored on every criterion."""

    quote_id: int
    rejected: bool = False
    rejection_reason: str = ""
    scores: tuple[ScoreInput, ...] = ()


@dataclass(frozen=True)
class AwardInput:
    quote_id: int
    justification: str
    not_top_reason: str = ""
    cap: Decimal | None = None  # None: the quote's total
    start: date | None = None  # None: the requirement's period, or today
    end: date | None = None


def _items(value: Any, *, field: str, errors: FieldErrors) -> list[Mapping[str, Any]]:
    """A list of objects (JSON arrays of objects, or the rows a page built); anything else refused."""
    if value is None or value == "":
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(item, Mapping) for item in value):
        errors.add(field, Problem.REQUIRED, _("Send a list of objects."))
        return []
    return list(value)


def _flag(value: Any, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value in (True, "true", "True", "on", "1", 1)


# --- creation --------------------------------------------------------------------------------------

def _read_lines(data: Mapping[str, Any], errors: FieldErrors) -> list[LineSpec]:
    lines = []
    for index, item in enumerate(_items(data.get("lines"), field="lines", errors=errors)):
        unit = read_text(item.get("unit"), field=f"lines.{index}.unit", errors=errors, max_length=MAX_UNIT,
                         message=_("Enter the unit, such as vCPU-hour."))
        quantity = read_quantity(item.get("quantity"), field=f"lines.{index}.quantity", errors=errors)
        description = read_text(item.get("description"), field=f"lines.{index}.description", errors=errors,
                                required=False, max_length=MAX_LINE_DESCRIPTION)
        if unit and quantity is not None:
            lines.append(LineSpec(unit=unit, quantity=quantity, description=description))
    return lines


def _read_criteria(data: Mapping[str, Any], errors: FieldErrors) -> list[CriterionSpec]:
    criteria = []
    for index, item in enumerate(_items(data.get("criteria"), field="criteria", errors=errors)):
        name = read_text(item.get("name"), field=f"criteria.{index}.name", errors=errors, max_length=MAX_SHORT_TEXT,
                         message=_("Name the criterion."))
        weight = read_integer(item.get("weight"), field=f"criteria.{index}.weight", errors=errors, low=1, high=99)
        description = read_text(item.get("description"), field=f"criteria.{index}.description", errors=errors,
                                required=False, max_length=MAX_CRITERION_DESCRIPTION)
        if name and weight is not None:
            criteria.append(CriterionSpec(name=name, weight=weight, description=description))
    return criteria


def read_competition_draft(data: Mapping[str, Any]) -> CompetitionDraft:
    """A draft competition from an API body or the creation page's rows (``lines``, ``criteria`` as lists)."""
    errors = FieldErrors()
    requirement_id = read_row_id(data.get("requirement"), field="requirement", errors=errors)
    lot_id = read_row_id(data.get("lot"), field="lot", errors=errors, required=False)
    method = str(data.get("method") or Competition.Method.LOWEST_PRICE)
    if method not in Competition.Method.values:
        errors.add("method", Problem.UNKNOWN_ID, _("Choose lowest price or weighted."))
    weighted = method == Competition.Method.WEIGHTED
    price_weight = (read_integer(data.get("price_weight"), field="price_weight", errors=errors, low=1, high=99)
                    if weighted else None)
    lines = _read_lines(data, errors)
    criteria = _read_criteria(data, errors)
    deadline = read_datetime(data.get("deadline"), field="deadline", errors=errors,
                             example="2026-03-01T10:00")
    title = read_text(data.get("title"), field="title", errors=errors, required=False, max_length=MAX_SHORT_TEXT)
    description = read_text(data.get("description"), field="description", errors=errors, required=False,
                            max_length=MAX_DESCRIPTION)
    errors.raise_if_any(_("The competition is not valid."))
    return CompetitionDraft(
        requirement_id=requirement_id, lot_id=lot_id, method=method, price_weight=price_weight,
        lines=tuple(lines), criteria=tuple(criteria), deadline=deadline, title=title, description=description,
        clarifications_allowed=_flag(data.get("clarifications_allowed"), default=True),
    )


# --- quotes ----------------------------------------------------------------------------------------

def read_quote(data: Mapping[str, Any]) -> QuoteInput:
    """A quote: ``lines`` of ``{"line", "unit_price", "listing"?}``, ``delivery_terms``, ``responses``
    of ``{"criterion", "text"}``. Whether every line and criterion is answered is the service's check."""
    errors = FieldErrors()
    lines = []
    for item in _items(data.get("lines"), field="lines", errors=errors):
        line_id = read_row_id(item.get("line"), field="lines", errors=errors)
        if line_id is None:
            continue
        price = read_price(item.get("unit_price"), field=f"lines.{line_id}.unit_price", errors=errors)
        listing_id = read_row_id(item.get("listing"), field=f"lines.{line_id}.listing", errors=errors, required=False)
        if price is not None:
            lines.append(QuoteLineInput(line_id=line_id, unit_price=price, listing_id=listing_id))
    delivery_terms = read_text(
        data.get("delivery_terms"), field="delivery_terms", errors=errors,
        message=_("Describe your delivery terms (at most %(max)s characters).") % {"max": MAX_TEXT})
    responses = []
    for item in _items(data.get("responses"), field="responses", errors=errors):
        criterion_id = read_row_id(item.get("criterion"), field="responses", errors=errors)
        if criterion_id is None:
            continue
        text = read_text(item.get("text"), field=f"responses.{criterion_id}", errors=errors, required=False)
        responses.append(CriterionAnswer(criterion_id=criterion_id, text=text))
    errors.raise_if_any(_("The quote is not valid."))
    return QuoteInput(lines=tuple(lines), delivery_terms=delivery_terms, responses=tuple(responses))


# --- evaluation and award --------------------------------------------------------------------------

def _read_score(item: Mapping[str, Any], *, prefix: str, errors: FieldErrors) -> ScoreInput | None:
    criterion_id = read_row_id(item.get("criterion"), field=f"{prefix}.scores", errors=errors)
    if criterion_id is None:
        return None
    field = f"{prefix}.scores.{criterion_id}"
    score = read_decimal(item.get("score"), field=f"{field}.score", errors=errors, size=SCORE_FIELD,
                         positive=False, example="85.5")
    if score is not None and not Decimal("0") <= score <= HUNDRED:
        errors.add(f"{field}.score", Problem.OUT_OF_RANGE, _("Enter a score from 0 to 100."))
        score = None
    justification = read_text(item.get("justification"), field=f"{field}.justification", errors=errors,
                              message=_("Explain the score."))
    if score is None or not justification:
        return None
    return ScoreInput(criterion_id=criterion_id, score=score, justification=justification)


def read_evaluations(items: Any) -> tuple[QuoteScoring, ...]:
    """Each quote's scoring: ``{"quote", "rejected", "rejection_reason", "scores": [{"criterion",
    "score", "justification"}]}``. A rejected quote's scores are not read."""
    errors = FieldErrors()
    scorings = []
    for item in _items(items, field="evaluations", errors=errors):
        quote_id = read_row_id(item.get("quote"), field="evaluations", errors=errors)
        if quote_id is None:
            continue
        prefix = f"quotes.{quote_id}"
        rejected = _flag(item.get("rejected"), default=False)
        reason = read_text(item.get("rejection_reason"), field=f"{prefix}.rejection_reason", errors=errors,
                           required=rejected, message=_("Give the reason for rejecting."))
        scores = [] if rejected else [
            _read_score(score, prefix=prefix, errors=errors)
            for score in _items(item.get("scores"), field=f"{prefix}.scores", errors=errors)]
        scorings.append(QuoteScoring(quote_id=quote_id, rejected=rejected, rejection_reason=reason,
                                     scores=tuple(score for score in scores if score is not None)))
    errors.raise_if_any(_("The evaluation is not complete."))
    return tuple(scorings)


def read_award(data: Mapping[str, Any]) -> AwardInput:
    """The award: ``quote``, ``justification``, ``not_top_reason``, and the order's ``cap``, ``start``
    and ``end`` (each optional). The order may end on the day it starts (``read_date_range``)."""
    errors = FieldErrors()
    quote_id = read_row_id(data.get("quote"), field="quote", errors=errors)
    justification = read_text(data.get("justification"), field="justification", errors=errors, required=False)
    not_top_reason = read_text(data.get("not_top_reason"), field="not_top_reason", errors=errors, required=False)
    cap = None if is_blank(data.get("cap")) else read_amount(data.get("cap"), field="cap", errors=errors)
    start, end = read_date_range(data.get("start"), data.get("end"), errors=errors, required=False)
    errors.raise_if_any(_("The award is not valid."))
    return AwardInput(quote_id=quote_id, justification=justification, not_top_reason=not_top_reason, cap=cap,
                      start=start, end=end)


def read_reason(value: Any, *, field: str = "reason") -> str:
    """A reason (decline, no award, cancel): the service says it is required; this refuses one too long."""
    return read_text(value, field=field, required=False)
