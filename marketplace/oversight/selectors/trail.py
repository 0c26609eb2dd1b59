"""The trail of one selection: everything recorded from the need to the statements, step by step,
with the audit events that recorded each step (described in the reader's language)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from common.errors import NotFound, ValidationFailed
from common.money import round_amount
from common.parsing import read_row_id
from marketplace.competitions.models import Competition, CriterionScore, QuoteEvaluation
from marketplace.competitions.selectors import quotes_visible_to, ranking_of
from marketplace.orders.models import CallOffOrder
from marketplace.orders.selectors import statements_of, usage_totals
from marketplace.oversight.models import RedFlag
from marketplace.oversight.selectors.access import require_oversight
from marketplace.oversight.selectors.trail_events import describe_event, target_type
from marketplace.selection.models import Award, Requirement, RequirementCriterion, SavedSearch, SearchSnapshotEntry
from marketplace.selection.selectors import comparison_build, criteria_in_words


@dataclass
class TrailStep:
    """One step of the trail: a title, what it shows, and the audit events that recorded it."""

    key: str
    title: str
    events: list[AuditEvent] = field(default_factory=list)


@dataclass
class Trail:
    award: Award
    requirement: Requirement
    essential: list[RequirementCriterion]
    desired: list[RequirementCriterion]
    estimates: list
    searches: list[SavedSearch]
    search: SavedSearch | None
    entries: list[SearchSnapshotEntry]
    comparison: Any
    competition: Competition | None
    competition_lines: list
    quotes: list
    evaluations: list[QuoteEvaluation]
    order: CallOffOrder | None
    order_lines: list
    amendments: list
    usage_totals: dict | None
    statements: list
    flags: list[RedFlag]
    steps: list[TrailStep]

    @property
    def events(self) -> list[AuditEvent]:
        """Every event of the trail once, in chain order."""
        seen: dict[int, AuditEvent] = {}
        for step in self.steps:
            for event in step.events:
                seen[event.pk] = event
        return sorted(seen.values(), key=lambda event: event.sequence)


def _events_for(model, target_ids: list[int]) -> list[AuditEvent]:
    """The events of these rows in chain order, each with ``description``: the event in the reader's words."""
    if not target_ids:
        return []
    events = list(AuditEvent.objects.filter(target_type=target_type(model), target_id__in=[str(pk) for pk in target_ids])
                  .order_by("sequence"))
    for event in events:
        event.description = describe_event(event)
    return events


def _award(award_id: Any) -> Award:
    try:
        pk = read_row_id(award_id, field="award")
        return Award.objects.select_related(
            "organization", "supplier", "framework", "requirement", "search", "snapshot_entry", "listing_version",
            "created_by",
        ).get(pk=pk)
    except (Award.DoesNotExist, ValidationFailed):
        raise NotFound(_("No such selection.")) from None


def _competition_of(award: Award) -> Competition | None:
    try:
        return award.competition
    except Competition.DoesNotExist:
        return None


@dataclass
class _CompetitionPart:
    lines: list = field(default_factory=list)
    quotes: list = field(default_factory=list)
    evaluations: list[QuoteEvaluation] = field(default_factory=list)


def _competition_part(user: User, competition: Competition | None) -> _CompetitionPart:
    if competition is None:
        return _CompetitionPart()
    evaluations = ranking_of(user=user, competition=competition)
    for evaluation in evaluations:
        evaluation.score_rows = list(
            CriterionScore.objects.filter(evaluation=evaluation).select_related("criterion")
            .order_by("criterion__position", "pk"))
    return _CompetitionPart(
        lines=list(competition.lines.all()),
        quotes=list(quotes_visible_to(user=user, competition=competition, include_history=True)),
        evaluations=evaluations,
    )


@dataclass
class _OrderPart:
    totals: dict | None = None
    statements: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    amendments: list = field(default_factory=list)


def _order_part(order: CallOffOrder | None) -> _OrderPart:
    if order is None:
        return _OrderPart()
    totals = usage_totals(order=order)
    totals["accepted_amount"] = round_amount(totals["accepted_amount"])  # SQLite's SUM drops the scale
    return _OrderPart(
        totals=totals, statements=list(statements_of(order=order)), lines=list(order.lines.all()),
        amendments=list(order.cap_amendments.select_related("amended_by").order_by("created_at", "pk")),
    )


def _steps(requirement: Requirement, searches: list[SavedSearch], competition: Competition | None, award: Award,
           order: CallOffOrder | None) -> list[TrailStep]:
    steps = [
        TrailStep("requirement", _("The requirement"), _events_for(Requirement, [requirement.pk])),
        TrailStep("search", _("The saved search and its frozen results"),
                  _events_for(SavedSearch, [item.pk for item in searches])),
    ]
    if competition is not None:
        steps.append(TrailStep("competition", _("The competition, quotes and scores"),
                               _events_for(Competition, [competition.pk])))
    steps.append(TrailStep("award", _("The decision"), _events_for(Award, [award.pk])))
    if order is not None:
        steps.append(TrailStep("order", _("The call-off order, amendments and usage"),
                               _events_for(CallOffOrder, [order.pk])))
    return steps


def selection_trail(*, user: User, award_id: Any) -> Trail:
    """Everything recorded about one selection, from the need to the statements, with its events."""
    require_oversight(user)
    award = _award(award_id)
    requirement = Requirement.objects.select_related("framework", "lot", "category", "created_by").get(
        pk=award.requirement_id)
    criteria = criteria_in_words(requirement=requirement)
    searches = list(requirement.searches.select_related("framework", "created_by", "frozen_by").order_by("created_at", "pk"))
    search = award.search or next((item for item in reversed(searches) if item.status == SavedSearch.Status.FROZEN), None)
    entries = list(search.entries.select_related("supplier", "listing_version__framework").order_by("rank")) if search else []
    frozen = search is not None and search.status == SavedSearch.Status.FROZEN
    competition = _competition_of(award)
    competing = _competition_part(user, competition)
    order = CallOffOrder.objects.filter(award=award).select_related("framework", "activated_by", "created_by").first()
    ordered = _order_part(order)
    flags = list(RedFlag.objects.filter(Q(award=award) | Q(order__award=award)).filter(cleared_at__isnull=True)
                 .order_by("kind", "pk").distinct())
    return Trail(
        award=award, requirement=requirement,
        essential=[item for item in criteria if item.importance == RequirementCriterion.Importance.ESSENTIAL],
        desired=[item for item in criteria if item.importance == RequirementCriterion.Importance.DESIRED],
        estimates=list(requirement.estimates.order_by("unit")), searches=searches, search=search, entries=entries,
        comparison=comparison_build(search=search) if frozen else None, competition=competition,
        competition_lines=competing.lines, quotes=competing.quotes, evaluations=competing.evaluations, order=order,
        order_lines=ordered.lines, amendments=ordered.amendments, usage_totals=ordered.totals,
        statements=ordered.statements, flags=flags, steps=_steps(requirement, searches, competition, award, order),
    )
