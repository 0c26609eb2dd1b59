"""Evaluating the opened quotes: score or reject each current quote, then rank.

Scoring (recorded on the competition as ``ranking_rule`` at each evaluation):

- A quote's total is the sum of its line amounts (quantity × unit price, each rounded once).
- Price score = lowest total among the quotes not rejected ÷ this quote's total × price weight.
- Criterion points = score (0–100, given by the buyer with a justification) × weight ÷ 100.
- Total score = price score + criterion points. Every score is rounded to 2 places, half-even.
- Lowest price method: ranked by total, lowest first. Weighted: by total score, highest first.
  Ties go to the earliest submission (the time the current quote was submitted), then the
  lowest quote id. Rejected quotes are kept, with their reason, but never ranked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from common.errors import Conflict
from common.money import round_amount
from common.parsing import FieldErrors
from marketplace.competitions.inputs import QuoteScoring
from marketplace.competitions.models import (
    Competition,
    CriterionScore,
    QualityCriterion,
    Quote,
    QuoteEvaluation,
)
from marketplace.competitions.services.access import lock_as_buyer
from marketplace.competitions.services.closing import close_locked
from marketplace.competitions.services.rules import require_quotes_opened

HUNDRED = Decimal("100")


@dataclass
class _Row:
    """One quote's evaluation being built: the row to save and its criterion points
    (criterion, score, points, justification)."""

    quote: Quote
    evaluation: QuoteEvaluation
    points: list[tuple[QualityCriterion, Decimal, Decimal, str]] = field(default_factory=list)


def ranking_rule(competition: Competition) -> str:
    if competition.method == Competition.Method.LOWEST_PRICE:
        return _("Lowest price: quotes not rejected are ranked by total price, lowest first. Price score = lowest "
                 "total ÷ quote total × 100, rounded to 2 places (half-even). Ties: earliest submission of the "
                 "current quote first, then lowest quote id.")
    return _("Weighted: price %(price)s%% + quality %(quality)s%%. Price score = "
             "lowest total among quotes not rejected ÷ quote total × %(price)s; criterion points = "
             "score (0–100) × weight ÷ 100; total = price score + criterion points; each rounded to 2 places "
             "(half-even). Highest total first. Ties: earliest submission of the current quote first, then "
             "lowest quote id.") % {"price": competition.price_weight, "quality": 100 - competition.price_weight}


def _lock_closed(*, actor: User, competition_id: int):
    """The competition, locked and closed: past its deadline it is closed here first, in this transaction."""
    competition, organization = lock_as_buyer(actor=actor, competition_id=competition_id)
    close_locked(competition)
    require_quotes_opened(competition)
    if competition.status != Competition.Status.CLOSED:
        raise Conflict(_("Quotes can only be evaluated once the competition is closed and before the decision."),
                       code="not_closed")
    return competition, organization


def _scorings_by_quote(scorings: tuple[QuoteScoring, ...], quotes: dict[int, Quote],
                       errors: FieldErrors) -> dict[int, QuoteScoring]:
    given: dict[int, QuoteScoring] = {}
    for scoring in scorings:
        if scoring.quote_id not in quotes or scoring.quote_id in given:
            errors.add("evaluations", "unknown_quote",
                       _("Unknown or repeated quote: %(id)s.") % {"id": scoring.quote_id})
            continue
        given[scoring.quote_id] = scoring
    for quote_id in quotes:
        if quote_id not in given:
            errors.add(f"quotes.{quote_id}", "not_scored", _("Score or reject this quote."))
    return given


def _check_scores(scoring: QuoteScoring, criteria: list[QualityCriterion], errors: FieldErrors) -> None:
    prefix = f"quotes.{scoring.quote_id}"
    if scoring.rejected:
        if not scoring.rejection_reason:
            errors.add(f"{prefix}.rejection_reason", "required", _("Give the reason for rejecting."))
        return
    scored = {score.criterion_id for score in scoring.scores}
    for criterion in criteria:
        if criterion.pk not in scored:
            errors.add(f"{prefix}.scores.{criterion.pk}.score", "required",
                       _("Score \"%(name)s\".") % {"name": criterion.name})


def _build_row(quote: Quote, scoring: QuoteScoring, *, criteria: list[QualityCriterion], lowest: Decimal,
               price_weight: Decimal) -> _Row:
    if scoring.rejected:
        return _Row(quote, QuoteEvaluation(quote=quote, rejected=True, rejection_reason=scoring.rejection_reason))
    price_score = round_amount(lowest / quote.total * price_weight)
    scores = {score.criterion_id: score for score in scoring.scores}
    points = []
    for criterion in criteria:  # in the competition's order; every criterion is scored (``_check_scores``)
        score = scores[criterion.pk]
        value = round_amount(score.score)
        points.append((criterion, value, round_amount(value * Decimal(criterion.weight) / HUNDRED),
                       score.justification))
    quality = sum((point[2] for point in points), Decimal("0.00"))
    evaluation = QuoteEvaluation(quote=quote, price_score=price_score, quality_score=quality,
                                 total_score=price_score + quality)
    return _Row(quote, evaluation, points)


def _rank(rows: list[_Row], method: str) -> None:
    ranked = [row for row in rows if not row.evaluation.rejected]
    if method == Competition.Method.LOWEST_PRICE:
        ranked.sort(key=lambda row: (row.quote.total, row.quote.submitted_at, row.quote.pk))
    else:
        ranked.sort(key=lambda row: (-row.evaluation.total_score, row.quote.submitted_at, row.quote.pk))
    for position, row in enumerate(ranked, start=1):
        row.evaluation.rank = position


def _save(rows: list[_Row]) -> None:
    for row in rows:
        row.evaluation.save()
        CriterionScore.objects.bulk_create([
            CriterionScore(evaluation=row.evaluation, criterion=criterion, score=score, points=points,
                           justification=text)
            for criterion, score, points, text in row.points
        ])


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _audit_payload(competition: Competition, rows: list[_Row], lowest: Decimal | None) -> dict:
    ordered = sorted(rows, key=lambda row: (row.evaluation.rank is None, row.evaluation.rank or 0, row.quote.pk))
    return {
        "method": competition.method, "price_weight": competition.price_weight,
        "lowest_total": _decimal_text(lowest),
        "quotes": [
            {
                "quote": row.quote.pk, "supplier": row.quote.supplier_id, "total": str(row.quote.total),
                "submitted_at": row.quote.submitted_at.isoformat(), "rejected": row.evaluation.rejected,
                "rejection_reason": row.evaluation.rejection_reason, "rank": row.evaluation.rank,
                "price_score": _decimal_text(row.evaluation.price_score),
                "quality_score": _decimal_text(row.evaluation.quality_score),
                "total_score": _decimal_text(row.evaluation.total_score),
                "scores": [
                    {"criterion": criterion.pk, "name": criterion.name, "weight": criterion.weight,
                     "score": str(score), "points": str(points), "justification": text}
                    for criterion, score, points, text in row.points
                ],
            }
            for row in ordered
        ],
    }


@transaction.atomic
def competition_evaluate(*, actor: User, competition_id: int, evaluations: tuple[QuoteScoring, ...]) -> Competition:
    """Score or reject every current quote; compute the ranking. May be repeated until the award:
    a new evaluation replaces the previous scores (each evaluation stays in the audit trail)."""
    competition, organization = _lock_closed(actor=actor, competition_id=competition_id)
    quotes = {quote.pk: quote for quote in Quote.objects.filter(competition=competition, is_current=True)}
    if not quotes:
        raise Conflict(_("No quote was received: record no award instead."), code="no_quotes")
    criteria = list(competition.criteria.all())
    errors = FieldErrors()
    given = _scorings_by_quote(tuple(evaluations), quotes, errors)
    for scoring in given.values():
        _check_scores(scoring, criteria, errors)
    errors.raise_if_any(_("The evaluation is not complete."))

    QuoteEvaluation.objects.filter(quote__competition=competition).delete()
    lowest = min((quotes[pk].total for pk, scoring in given.items() if not scoring.rejected), default=None)
    rows = [_build_row(quotes[pk], scoring, criteria=criteria, lowest=lowest, price_weight=Decimal(competition.price_weight))
            for pk, scoring in given.items()]
    _rank(rows, competition.method)
    _save(rows)
    competition.ranking_rule = ranking_rule(competition)
    competition.evaluated_at, competition.evaluated_by = timezone.now(), actor
    competition.save(update_fields=["ranking_rule", "evaluated_at", "evaluated_by"])
    audit_record(action="competition.evaluated", actor=actor, organization=organization, target=competition,
                 payload=_audit_payload(competition, rows, lowest))
    return competition
