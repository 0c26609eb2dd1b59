"""The auditor's reads: the selection log, the trail of one selection, its check, the red flags.

Everything here is for oversight users only (``require_oversight`` raises ``Forbidden`` for anyone
else) and writes nothing: checking a trail recomputes hashes in memory and compares them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from agreements.selectors import is_oversight
from audit.chain import GENESIS_HASH, digest_of, hash_of_event
from audit.models import AuditEvent
from common.errors import Forbidden, NotFound, ValidationFailed
from common.money import round_amount
from marketplace.competitions.models import Competition, CriterionScore, QuoteEvaluation
from marketplace.orders.models import CallOffOrder
from marketplace.oversight.models import RedFlag
from marketplace.selection.models import Award, Requirement, RequirementCriterion, SavedSearch, SearchSnapshotEntry
from marketplace.selection.selectors import comparison_build, criteria_in_words, entries_digest_items

SORTS = {
    "date": ("created_at", "pk"), "-date": ("-created_at", "-pk"),
    "value": (F("value").asc(nulls_last=True), "pk"), "-value": (F("value").desc(nulls_last=True), "-pk"),
    "buyer": ("organization__name", "pk"), "-buyer": ("-organization__name", "-pk"),
    "supplier": (F("supplier__name").asc(nulls_last=True), "pk"),
    "-supplier": (F("supplier__name").desc(nulls_last=True), "-pk"),
}
DEFAULT_SORT = "-date"


def require_oversight(user) -> None:
    if not is_oversight(user):
        raise Forbidden(_("Only oversight users (auditors) can read this."))


# --- selection log ---------------------------------------------------------------------------------


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


def _int(value: Any, name: str, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        errors[name] = [_("Enter a whole number.")]
        return None
    if not 0 < number < 2**63:  # no row has such an id; the database would refuse to compare with it
        errors[name] = [_("Choose one from the list.")]
        return None
    return number


def _date(value: Any, name: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[name] = [_("Enter a date as YYYY-MM-DD.")]
        return None


def _decimal(value: Any, name: str, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors[name] = [_("Enter an amount, e.g. 1500.00.")]
        return None
    if not number.is_finite():
        errors[name] = [_("Enter an amount, e.g. 1500.00.")]
        return None
    return number


def parse_log_filters(params) -> LogFilters:
    """Read the log's filters from query parameters; bad values raise ``ValidationFailed`` (400)."""
    errors: dict[str, list[str]] = {}
    filters = LogFilters(
        buyer=_int(params.get("buyer"), "buyer", errors),
        supplier=_int(params.get("supplier"), "supplier", errors),
        framework=_int(params.get("framework"), "framework", errors),
        lot=_int(params.get("lot"), "lot", errors),
        date_from=_date(params.get("date_from"), "date_from", errors),
        date_to=_date(params.get("date_to"), "date_to", errors),
        value_min=_decimal(params.get("value_min"), "value_min", errors),
        value_max=_decimal(params.get("value_max"), "value_max", errors),
        method=(params.get("method") or "").strip(),
        outcome=(params.get("outcome") or "").strip(),
        flag=(params.get("flag") or "").strip(),
        sort=(params.get("sort") or DEFAULT_SORT).strip(),
    )
    if filters.method and filters.method not in Award.Method.values:
        errors["method"] = [_("Choose direct or competition.")]
    if filters.outcome and filters.outcome not in Award.Outcome.values:
        errors["outcome"] = [_("Choose awarded or no_award.")]
    if filters.flag and filters.flag not in RedFlag.Kind.values and filters.flag not in ("any", "none"):
        errors["flag"] = [_("Choose a kind of red flag, any or none.")]
    if filters.sort not in SORTS:
        errors["sort"] = [_("Sort by one of: %(keys)s.") % {"keys": ", ".join(SORTS)}]
    if errors:
        raise ValidationFailed(_("Some filters are not valid."), fields=errors)
    return filters


def selection_log(*, user, filters: LogFilters | None = None) -> QuerySet[Award]:
    """Every award and no-award, direct or by competition, with what the log shows and filters on.

    ``value`` is the awarded value: the chosen option's estimated total (direct) or the winning
    quote's total (competition); ``order_cap`` the order's current cap; ``lot_id`` the lot of the
    competition, else of the awarded listing version, else of the requirement.
    """
    require_oversight(user)
    filters = filters or LogFilters()
    active_flags = Q(red_flags__cleared_at__isnull=True)
    queryset = (
        Award.objects.select_related("organization", "supplier", "framework", "requirement", "search",
                                     "listing_version", "order", "competition")
        .annotate(
            value=F("estimated_total"),
            lot_id=Coalesce("competition__lot_id", "listing_version__lot_id", "requirement__lot_id"),
            order_cap=F("order__cap"),
            flags_count=Count("red_flags", filter=active_flags, distinct=True),
        )
        .prefetch_related(Prefetch("red_flags", queryset=RedFlag.objects.filter(cleared_at__isnull=True)
                                   .order_by("kind", "pk"), to_attr="active_flags"))
    )
    if filters.buyer is not None:
        queryset = queryset.filter(organization_id=filters.buyer)
    if filters.supplier is not None:
        queryset = queryset.filter(supplier_id=filters.supplier)
    if filters.framework is not None:
        queryset = queryset.filter(framework_id=filters.framework)
    if filters.lot is not None:
        queryset = queryset.filter(lot_id=filters.lot)
    tz = timezone.get_current_timezone()
    if filters.date_from is not None:
        queryset = queryset.filter(created_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=tz))
    if filters.date_to is not None:
        queryset = queryset.filter(created_at__lte=datetime.combine(filters.date_to, time.max, tzinfo=tz))
    if filters.value_min is not None:
        queryset = queryset.filter(value__gte=filters.value_min)
    if filters.value_max is not None:
        queryset = queryset.filter(value__lte=filters.value_max)
    if filters.method:
        queryset = queryset.filter(method=filters.method)
    if filters.outcome:
        queryset = queryset.filter(outcome=filters.outcome)
    if filters.flag == "any":
        queryset = queryset.filter(flags_count__gt=0)
    elif filters.flag == "none":
        queryset = queryset.filter(flags_count=0)
    elif filters.flag:
        queryset = queryset.filter(pk__in=RedFlag.objects.filter(kind=filters.flag, cleared_at__isnull=True,
                                                                  award__isnull=False).values("award_id"))
    return queryset.order_by(*SORTS[filters.sort])


def log_row(award: Award) -> dict[str, Any]:
    """One log row as plain values (for the API's JSON and the CSV export). Decimals as strings."""
    order = getattr(award, "order", None) if _has_order(award) else None
    return {
        "id": award.pk,
        "date": award.created_at.isoformat(),
        "buyer": {"id": award.organization_id, "name": award.organization.name},
        "supplier": {"id": award.supplier_id, "name": award.supplier.name} if award.supplier_id else None,
        "framework": {"id": award.framework_id, "reference": award.framework.reference},
        "lot": award.lot_id,
        "requirement": {"id": award.requirement_id, "title": award.requirement.title},
        "method": award.method,
        "outcome": award.outcome,
        "currency": award.framework.currency,
        "estimated_total": _text(award.estimated_total),
        "lowest_estimated_total": _text(award.lowest_estimated_total),
        "price_difference": _text(award.price_difference),
        "order": {"id": order.pk, "reference": order.reference, "cap": _text(order.cap),
                  "original_cap": _text(order.original_cap), "status": order.status} if order else None,
        "flags": [flag.kind for flag in getattr(award, "active_flags", [])],
    }


CSV_COLUMNS = ["id", "date", "buyer", "supplier", "framework", "lot", "requirement", "method", "outcome", "currency",
               "estimated_total", "lowest_estimated_total", "price_difference", "order", "order_cap",
               "order_original_cap", "flags"]
# The same columns as the CSV header a person reads: the keys in English, translated (context "CSV column").
CSV_COLUMN_LABELS = [
    pgettext_lazy("CSV column", "id"), pgettext_lazy("CSV column", "date"), pgettext_lazy("CSV column", "buyer"),
    pgettext_lazy("CSV column", "supplier"), pgettext_lazy("CSV column", "framework"), pgettext_lazy("CSV column", "lot"),
    pgettext_lazy("CSV column", "requirement"), pgettext_lazy("CSV column", "method"),
    pgettext_lazy("CSV column", "outcome"), pgettext_lazy("CSV column", "currency"),
    pgettext_lazy("CSV column", "estimated_total"), pgettext_lazy("CSV column", "lowest_estimated_total"),
    pgettext_lazy("CSV column", "price_difference"), pgettext_lazy("CSV column", "order"),
    pgettext_lazy("CSV column", "order_cap"), pgettext_lazy("CSV column", "order_original_cap"),
    pgettext_lazy("CSV column", "flags"),
]


def csv_column_labels() -> list[str]:
    return [str(label) for label in CSV_COLUMN_LABELS]


def log_csv_row(award: Award) -> list[str]:
    row = log_row(award)
    order = row["order"] or {}
    return [
        str(row["id"]), row["date"], row["buyer"]["name"], row["supplier"]["name"] if row["supplier"] else "",
        row["framework"]["reference"], "" if row["lot"] is None else str(row["lot"]), row["requirement"]["title"],
        row["method"], row["outcome"], row["currency"], row["estimated_total"] or "",
        row["lowest_estimated_total"] or "", row["price_difference"] or "", order.get("reference", ""),
        order.get("cap", "") or "", order.get("original_cap", "") or "", " ".join(row["flags"]),
    ]


def _has_order(award: Award) -> bool:
    try:
        return award.order is not None
    except CallOffOrder.DoesNotExist:
        return False


def _competition_of(award: Award) -> Competition | None:
    try:
        return award.competition
    except Competition.DoesNotExist:
        return None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def log_choices() -> dict[str, list[tuple[int, str]]]:
    """Options for the log's filter form: the buyers, suppliers, frameworks and lots with awards."""
    from agreements.models import FrameworkAgreement, Lot, Organization

    awards = Award.objects.all()
    return {
        "buyers": list(Organization.objects.filter(pk__in=awards.values("organization_id"))
                       .order_by("name").values_list("pk", "name")),
        "suppliers": list(Organization.objects.filter(pk__in=awards.values("supplier_id"))
                          .order_by("name").values_list("pk", "name")),
        "frameworks": list(FrameworkAgreement.objects.order_by("reference").values_list("pk", "reference")),
        "lots": [(lot.pk, f"{lot.framework.reference} · {lot}") for lot in
                 Lot.objects.select_related("framework").order_by("framework__reference", "number")],
    }


# --- the trail of one selection ----------------------------------------------------------------


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


def _target_type(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _events_for(target_type: str, target_ids: list[int], *, actions: tuple[str, ...] | None = None) -> list[AuditEvent]:
    if not target_ids:
        return []
    queryset = AuditEvent.objects.filter(target_type=target_type, target_id__in=[str(pk) for pk in target_ids])
    if actions:
        queryset = queryset.filter(action__in=actions)
    return list(queryset.order_by("sequence"))


def selection_trail(*, user, award_id: Any) -> Trail:
    """Everything recorded about one selection, from the need to the statements, with its events."""
    require_oversight(user)
    try:
        award = Award.objects.select_related(
            "organization", "supplier", "framework", "requirement", "search", "snapshot_entry", "listing_version",
            "created_by",
        ).get(pk=int(award_id))
    except (Award.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such selection.")) from None
    requirement = Requirement.objects.select_related("framework", "lot", "category", "created_by").get(
        pk=award.requirement_id)
    criteria = criteria_in_words(requirement=requirement)
    searches = list(requirement.searches.select_related("framework", "created_by", "frozen_by").order_by("created_at", "pk"))
    search = award.search or next((item for item in reversed(searches) if item.status == SavedSearch.Status.FROZEN), None)
    entries = list(search.entries.select_related("supplier", "listing_version").order_by("rank")) if search else []
    comparison = comparison_build(search=search) if search is not None and search.status == SavedSearch.Status.FROZEN else None

    competition = _competition_of(award)
    quotes: list = []
    evaluations: list[QuoteEvaluation] = []
    competition_lines: list = []
    if competition is not None:
        from marketplace.competitions.selectors import quotes_visible_to, ranking_of

        competition_lines = list(competition.lines.all())
        quotes = list(quotes_visible_to(user=user, competition=competition, include_history=True))
        evaluations = ranking_of(user=user, competition=competition)
        for evaluation in evaluations:
            evaluation.score_rows = list(
                CriterionScore.objects.filter(evaluation=evaluation).select_related("criterion")
                .order_by("criterion__position", "pk"))

    order = CallOffOrder.objects.filter(award=award).select_related("framework", "activated_by", "created_by").first()
    usage_totals = None
    if order is not None:
        from marketplace.orders.selectors import statements_of
        from marketplace.orders.selectors import usage_totals as totals_of

        usage_totals = totals_of(order=order)
        usage_totals["accepted_amount"] = round_amount(usage_totals["accepted_amount"])  # SQLite's SUM drops the scale
        statements = list(statements_of(order=order))
        order_lines = list(order.lines.all())
        amendments = list(order.cap_amendments.select_related("amended_by").order_by("created_at", "pk"))
    else:
        statements, order_lines, amendments = [], [], []

    steps = [
        TrailStep("requirement", _("The requirement"), _events_for(_target_type(Requirement), [requirement.pk])),
        TrailStep("search", _("The saved search and its frozen results"),
                  _events_for(_target_type(SavedSearch), [item.pk for item in searches])),
    ]
    if competition is not None:
        steps.append(TrailStep("competition", _("The competition, quotes and scores"),
                               _events_for(_target_type(Competition), [competition.pk])))
    steps.append(TrailStep("award", _("The decision"), _events_for(_target_type(Award), [award.pk])))
    if order is not None:
        steps.append(TrailStep("order", _("The call-off order, amendments and usage"),
                               _events_for(_target_type(CallOffOrder), [order.pk])))
    flags = list(RedFlag.objects.filter(Q(award=award) | Q(order__award=award)).filter(cleared_at__isnull=True)
                 .order_by("kind", "pk").distinct())
    return Trail(
        award=award, requirement=requirement,
        essential=[item for item in criteria if item.importance == RequirementCriterion.Importance.ESSENTIAL],
        desired=[item for item in criteria if item.importance == RequirementCriterion.Importance.DESIRED],
        estimates=list(requirement.estimates.order_by("unit")), searches=searches, search=search, entries=entries,
        comparison=comparison, competition=competition, competition_lines=competition_lines, quotes=quotes,
        evaluations=evaluations, order=order, order_lines=order_lines, amendments=amendments,
        usage_totals=usage_totals, statements=statements, flags=flags, steps=steps,
    )


# --- checking a trail --------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class TrailCheck:
    award_id: int
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"award": self.award_id, "ok": self.ok,
                "checks": [{"name": check.name, "ok": check.ok, "detail": check.detail} for check in self.checks]}


def trail_check(*, user, award_id: Any) -> TrailCheck:
    """Verify the trail's events against the chain and the frozen snapshot against its hashes.

    For each event of the trail: its stored hash equals the hash recomputed from its fields
    (``audit.chain.hash_of_event``), and its ``prev_hash`` equals the stored hash of the event with
    the sequence just before it (the genesis hash for the first). For the frozen search: the hash
    recomputed from the stored ``SearchSnapshotEntry`` rows equals ``SavedSearch.entries_hash``,
    the award's ``entries_hash`` and the ``entries_hash`` in the freeze and award events. Reads only.
    """
    trail = selection_trail(user=user, award_id=award_id)
    checks: list[Check] = []
    events = trail.events
    if not events:
        checks.append(Check(_("Audit events recorded"), False, _("No audit event records this selection.")))
    previous_by_sequence = {
        event.sequence: event.hash
        for event in AuditEvent.objects.filter(sequence__in=[item.sequence - 1 for item in events]).only("sequence", "hash")
    }
    for event in events:
        label = _("Event #%(sequence)s %(action)s") % {"sequence": event.sequence, "action": event.action}
        recomputed = hash_of_event(event)
        if recomputed == event.hash:
            checks.append(Check(label + " · " + _("hash"), True, _("The stored hash matches the event's contents.")))
        else:
            checks.append(Check(label + " · " + _("hash"), False, _(
                "The event was altered: its contents hash to %(recomputed)s but %(stored)s is stored."
            ) % {"recomputed": recomputed, "stored": event.hash}))
        expected_prev = GENESIS_HASH if event.sequence == 1 else previous_by_sequence.get(event.sequence - 1)
        if expected_prev is None:
            checks.append(Check(label + " · " + _("link"), False, _(
                "Event #%(previous)s, which it should follow, is missing from the chain.") % {
                    "previous": event.sequence - 1}))
        elif expected_prev == event.prev_hash:
            checks.append(Check(label + " · " + _("link"), True, _("It points at the event before it in the chain.")))
        else:
            checks.append(Check(label + " · " + _("link"), False, _(
                "Its previous hash %(found)s is not the hash of event #%(previous)s (%(expected)s)."
            ) % {"found": event.prev_hash, "previous": event.sequence - 1, "expected": expected_prev}))
    search = trail.search
    if search is not None and search.status == SavedSearch.Status.FROZEN:
        checks.extend(_snapshot_checks(trail, search, events))
    return TrailCheck(award_id=trail.award.pk, checks=checks)


def _snapshot_checks(trail: Trail, search: SavedSearch, events: list[AuditEvent]) -> list[Check]:
    stored_rows = list(SearchSnapshotEntry.objects.filter(search=search).order_by("rank"))
    items = entries_digest_items(stored_rows)
    recomputed = digest_of(items)
    checks = []

    def compare(name: str, expected: str | None, missing: str) -> None:
        if not expected:
            checks.append(Check(name, False, missing))
        elif expected == recomputed:
            checks.append(Check(name, True, _("The frozen results hash to %(hash)s, as recorded.") % {"hash": expected}))
        else:
            checks.append(Check(name, False, _(
                "The frozen results as stored now hash to %(recomputed)s, but %(expected)s was recorded: "
                "a stored result was changed after the search ended."
            ) % {"recomputed": recomputed, "expected": expected}))

    compare(_("Snapshot hash on the saved search"), search.entries_hash, _("The saved search has no recorded hash."))
    freeze = next((event for event in events if event.action == "search.frozen"
                   and event.target_id == str(search.pk)), None)
    compare(_("Snapshot hash in the freeze event"), (freeze.payload or {}).get("entries_hash") if freeze else None,
            _("No freeze event was found for this search."))
    if freeze is not None and isinstance((freeze.payload or {}).get("entries"), list):
        recorded = {tuple(item[:2]): item[2] for item in freeze.payload["entries"] if len(item) == 3}
        changed = [f"#{rank}" for rank, version, price in items if recorded.get((rank, version)) != price]
        if changed:
            checks.append(Check(_("Frozen prices against the freeze event"), False, _(
                "These results differ from what the freeze event recorded: %(ranks)s.") % {"ranks": ", ".join(changed)}))
        else:
            checks.append(Check(_("Frozen prices against the freeze event"), True,
                                _("Every stored result and price is the one the freeze event recorded.")))
    if trail.award.search_id == search.pk:
        compare(_("Snapshot hash on the award"), trail.award.entries_hash, _("The award records no snapshot hash."))
        award_event = next((event for event in events if event.action in ("award.made", "award.no_award")
                            and event.target_id == str(trail.award.pk)), None)
        compare(_("Snapshot hash in the award event"),
                (award_event.payload or {}).get("entries_hash") if award_event else None,
                _("No award event was found for this selection."))
    return checks


# --- red flags -------------------------------------------------------------------------------------


def red_flags(*, user, kind: str = "", buyer: int | None = None, include_cleared: bool = False) -> QuerySet[RedFlag]:
    require_oversight(user)
    queryset = RedFlag.objects.select_related("buyer", "supplier", "award", "order", "competition")
    if not include_cleared:
        queryset = queryset.filter(cleared_at__isnull=True)
    if kind:
        queryset = queryset.filter(kind=kind)
    if buyer is not None:
        queryset = queryset.filter(buyer_id=buyer)
    return queryset.order_by("-raised_at", "-pk")


def red_flags_by_buyer(*, user) -> list[dict[str, Any]]:
    """Active flags counted per buyer, most first: ``[{"buyer_id", "buyer", "count", "by_kind"}]``."""
    rows: dict[int, dict[str, Any]] = {}
    for buyer_id, buyer_name, kind, count in (
        red_flags(user=user).values_list("buyer_id", "buyer__name", "kind").annotate(count=Count("pk"))
        .order_by("buyer__name", "kind")
    ):
        row = rows.setdefault(buyer_id, {"buyer_id": buyer_id, "buyer": buyer_name, "count": 0, "by_kind": {}})
        row["count"] += count
        row["by_kind"][kind] = count
    return sorted(rows.values(), key=lambda row: (-row["count"], row["buyer"]))
