"""Writes of the buyer's selection: requirement, saved search, freeze, export record and award.

Who may act: buyer users (requester, approver or administrator) of the requirement's organization.
Oversight users may read but every write is refused (403); anybody else is told "not found" (404).
Locking order is always requirement row, then search row, so that saving, freezing and awarding
for one requirement are serialized.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Admission, FrameworkAgreement, Lot, Organization
from agreements.selectors import is_oversight
from audit.chain import digest_of
from audit.services import audit_record
from catalog.models import AttributeDefinition, ListingVersion, NeedCategory
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from common.lifecycle import check_transition
from common.money import to_decimal
from marketplace.orders.services import order_create_from_award
from marketplace.selection.models import (
    Award,
    Requirement,
    RequirementCriterion,
    RequirementEstimate,
    SavedSearch,
    SearchSnapshotEntry,
)
from marketplace.selection.selectors import (
    attribute_definitions_for,
    buyer_organization_of,
    comparison_build,
    entries_digest_items,
)

DEFAULT_FROZEN_LIMIT = 30
# Keys of a results page's query string that are about presentation, not about what is searched.
IGNORED_QUERY_KEYS = {"page", "page_size", "format", "csrfmiddlewaretoken", "name", "requirement", "requirement_title"}


# --- helpers ------------------------------------------------------------------------------------


def normalize_query(query: Any) -> dict[str, Any]:
    """The stored form of a catalog query: sorted keys, trimmed text values, no empty or paging keys.

    Accepts a plain dict or a Django ``QueryDict`` (several values per key become a sorted list).
    """
    if query is None:
        return {}
    if not hasattr(query, "items"):
        raise ValidationFailed(_("The query must be an object."), fields={"query": [_("Give an object of filters.")]})
    if hasattr(query, "lists"):
        pairs = list(query.lists())
    else:
        pairs = list(query.items())
    result: dict[str, Any] = {}
    for key, raw in pairs:
        key = str(key).strip()
        if not key or key in IGNORED_QUERY_KEYS:
            continue
        values = raw if isinstance(raw, list | tuple) else [raw]
        texts = []
        for value in values:
            if value is None:
                continue
            if isinstance(value, dict | list | tuple):
                raise ValidationFailed(
                    _("Query values must be text or numbers."), fields={f"query.{key}": [_("Give a single value.")]}
                )
            text = ("true" if value else "false") if isinstance(value, bool) else str(value).strip()
            if text:
                texts.append(text)
        if not texts:
            continue
        unique = sorted(set(texts))
        result[key] = unique[0] if len(unique) == 1 else unique
    return dict(sorted(result.items()))


def query_summary(query: dict[str, Any]) -> str:
    from catalog.selectors import describe_query

    return describe_query(query)


def _framework_of_query(query: dict[str, Any], *, required: bool) -> FrameworkAgreement | None:
    value = query.get("framework")
    if value in (None, "") or isinstance(value, list):
        if required:
            raise ValidationFailed(
                _("Choose one framework agreement before ending the search."),
                code="framework_required",
                fields={"query.framework": [_("The search must be limited to one framework agreement.")]},
            )
        return None
    try:
        return FrameworkAgreement.objects.get(pk=int(value))
    except (FrameworkAgreement.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed(
            _("The framework in the query does not exist."), fields={"query.framework": [_("Unknown framework.")]}
        ) from None


def _acting_organization(actor) -> Organization:
    organization = buyer_organization_of(actor)
    if organization is None:
        if is_oversight(actor):
            raise Forbidden(_("Oversight users can read selections but cannot change them."))
        raise Forbidden(_("Only buyer users can do this."))
    return organization


def _lock_requirement(*, actor, requirement_id: int) -> Requirement:
    """Lock the requirement row after checking the actor may act on it (404 if not visible)."""
    requirement = Requirement.objects.select_for_update().filter(pk=requirement_id).first()
    if requirement is None:
        raise NotFound(_("No such requirement."))
    if is_oversight(actor):
        raise Forbidden(_("Oversight users can read selections but cannot change them."))
    organization = buyer_organization_of(actor)
    if organization is None or organization.pk != requirement.organization_id:
        raise NotFound(_("No such requirement."))
    return requirement


def _lock_search(*, actor, search_id: int) -> tuple[Requirement, SavedSearch]:
    requirement_id = SavedSearch.objects.filter(pk=search_id).values_list("requirement_id", flat=True).first()
    if requirement_id is None:
        raise NotFound(_("No such saved search."))
    try:
        requirement = _lock_requirement(actor=actor, requirement_id=requirement_id)
    except NotFound:
        raise NotFound(_("No such saved search.")) from None
    search = SavedSearch.objects.select_for_update().get(pk=search_id)
    return requirement, search


def _refuse_if_frozen(search: SavedSearch) -> None:
    if search.status == SavedSearch.Status.FROZEN:
        raise Conflict(
            _("This search has ended and can no longer change."), code="search_frozen",
            extra={"frozen_at": search.frozen_at},
        )


def _require_open(requirement: Requirement) -> None:
    if requirement.status != Requirement.Status.OPEN:
        raise Conflict(
            _("This requirement is closed (%(status)s).") % {"status": requirement.get_status_display()},
            code="requirement_closed",
        )


def requirement_check_editable(requirement: Requirement) -> None:
    """Raise ``Conflict`` when the requirement's details, criteria and estimates can no longer change:
    it is closed, or a search for it has ended (criteria and estimates drive its comparison). Pages
    ask it too, before offering a form that could only be refused."""
    _require_open(requirement)
    if requirement.searches.filter(status=SavedSearch.Status.FROZEN).exists():
        raise Conflict(
            _("A search for this requirement has ended; its requirements can no longer change."),
            code="requirement_locked",
        )


def _money_or_none(value: Any, *, field: str, places: int = 2) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = to_decimal(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Enter a number."), fields={field: [_("Enter a number, like 1500.00.")]}) from None
    if number < 0:
        raise ValidationFailed(_("Enter a positive number."), fields={field: [_("The amount cannot be negative.")]})
    if number.as_tuple().exponent < -places:
        raise ValidationFailed(
            _("Too many decimal places."),
            fields={field: [_("Use at most %(places)s decimal places.") % {"places": places}]},
        )
    return number


def _clean_criterion(*, importance: str, attribute_key: str, operator: str, expected: Any, text: str,
                     definitions: dict[str, AttributeDefinition] | None, prefix: str = "") -> dict[str, Any]:
    """``definitions``: the lot's questions by key (read once per request), or None without a lot."""
    fields: dict[str, list[str]] = {}
    text = (text or "").strip()
    attribute_key = (attribute_key or "").strip()
    operator = operator or RequirementCriterion.Operator.FREE_TEXT
    if importance not in RequirementCriterion.Importance.values:
        fields[f"{prefix}importance"] = [_("Choose essential or desired.")]
    if operator not in RequirementCriterion.Operator.values:
        fields[f"{prefix}operator"] = [_("Choose how the requirement is checked.")]
    if not text:
        fields[f"{prefix}text"] = [_("Describe the requirement in words.")]
    elif len(text) > 300:
        fields[f"{prefix}text"] = [_("Use at most 300 characters.")]
    if operator == RequirementCriterion.Operator.FREE_TEXT:
        attribute_key, expected = "", None
    else:
        if not attribute_key:
            fields[f"{prefix}attribute_key"] = [_("Choose the catalog question this requirement checks.")]
        elif definitions is not None:
            definition = definitions.get(attribute_key)
            if definition is None:
                fields[f"{prefix}attribute_key"] = [_("This lot has no such question.")]
            elif expected not in (None, "", []):
                expected = _fit_to_question(definition=definition, operator=operator, expected=expected,
                                            prefix=prefix, fields=fields)
        if expected in (None, "", []) and f"{prefix}expected" not in fields:
            fields[f"{prefix}expected"] = [_("Give the expected value.")]
        elif operator in (RequirementCriterion.Operator.AT_LEAST, RequirementCriterion.Operator.AT_MOST):
            try:
                expected = str(to_decimal(expected))
            except (TypeError, ValueError):
                fields[f"{prefix}expected"] = [_("Enter a number for a minimum or maximum.")]
        elif isinstance(expected, dict):
            fields[f"{prefix}expected"] = [_("Give a value or a list of values.")]
    if fields:
        raise ValidationFailed(_("The requirement is not valid."), fields=fields)
    return {"importance": importance, "attribute_key": attribute_key, "operator": operator, "expected": expected,
            "text": text}


YES = {"true", "yes", "1", "sí", "si"}
NO = {"false", "no", "0"}


def _fit_to_question(*, definition: AttributeDefinition, operator: str, expected: Any, prefix: str,
                     fields: dict[str, list[str]]) -> Any:
    """The expected value in the form the question's answers are stored (a choice's value, a bool, a
    number as text), so that the comparison can check it; a value no answer could match, or an
    operator that cannot apply to the question, is refused here instead of failing every offer later.
    Choices may be named by their value or their label ("Peru" or "peru")."""
    Operator, Kind = RequirementCriterion.Operator, AttributeDefinition.Kind
    values = expected if isinstance(expected, list) else [expected]
    operator_field, expected_field = f"{prefix}operator", f"{prefix}expected"
    if definition.kind == Kind.BOOLEAN:
        if operator != Operator.EQUALS:
            fields[operator_field] = [_("A yes-or-no question is checked with “is”.")]
        answer = values[0] if len(values) == 1 else None
        if isinstance(answer, bool):
            return answer
        text = str(answer).strip().casefold() if answer is not None else ""
        if text in YES or text in NO:
            return text in YES
        fields[expected_field] = [_("Answer yes or no.")]
        return expected
    if definition.kind == Kind.NUMBER:
        if operator == Operator.INCLUDES or len(values) != 1:
            fields[operator_field] = [_("A number question is checked with “is”, “at least” or “at most”.")]
            return expected
        try:
            return str(to_decimal(values[0]))
        except (TypeError, ValueError):
            fields[expected_field] = [_("Enter a number.")]
            return expected
    if operator in (Operator.AT_LEAST, Operator.AT_MOST):
        fields[operator_field] = [_("“At least” and “at most” are for number questions.")]
        return expected
    if definition.kind == Kind.MULTI_CHOICE and operator == Operator.EQUALS:
        fields[operator_field] = [_("Several answers may apply to this question: use “includes”.")]
        return expected
    if operator == Operator.EQUALS and len(values) != 1:
        fields[expected_field] = [_("Give one answer for “is”.")]
        return expected
    by_name = {}
    for choice in definition.choices or []:
        by_name[str(choice.get("label", "")).strip().casefold()] = choice.get("value")
        by_name[str(choice.get("value", "")).strip().casefold()] = choice.get("value")
    matched = [by_name.get(str(value).strip().casefold()) for value in values]
    unknown = [str(value) for value, match in zip(values, matched, strict=True) if match is None]
    if unknown:
        fields[expected_field] = [_("%(values)s: not an answer to this question. Choose from: %(choices)s.") % {
            "values": ", ".join(unknown),
            "choices": ", ".join(str(choice.get("label", choice.get("value"))) for choice in definition.choices or []),
        }]
        return expected
    return matched if isinstance(expected, list) or operator == Operator.INCLUDES else matched[0]


def _clean_estimate(*, unit: str, quantity: Any, prefix: str = "") -> dict[str, Any]:
    unit = (unit or "").strip()
    fields: dict[str, list[str]] = {}
    if not unit:
        fields[f"{prefix}unit"] = [_("Give the pricing unit, like vCPU-hour.")]
    try:
        number = to_decimal(quantity)
        if number <= 0:
            fields[f"{prefix}quantity"] = [_("The quantity must be more than zero.")]
        elif number.as_tuple().exponent < -6:
            fields[f"{prefix}quantity"] = [_("Use at most 6 decimal places.")]
    except (TypeError, ValueError):
        fields[f"{prefix}quantity"] = [_("Enter a number, like 1200.")]
        number = None
    if fields:
        raise ValidationFailed(_("The estimate is not valid."), fields=fields)
    return {"unit": unit, "quantity": number}


def _requirement_fields(*, title: str, framework_id, lot_id, category_id, description: str, budget,
                        period_start: date | None, period_end: date | None) -> dict[str, Any]:
    fields: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        fields["title"] = [_("Give the requirement a title.")]
    elif len(title) > 200:
        fields["title"] = [_("Use at most 200 characters.")]
    framework = lot = category = None
    if framework_id not in (None, ""):
        framework = FrameworkAgreement.objects.filter(pk=framework_id).first()
        if framework is None:
            fields["framework"] = [_("Unknown framework.")]
    if lot_id not in (None, ""):
        lot = Lot.objects.filter(pk=lot_id).first()
        if lot is None:
            fields["lot"] = [_("Unknown lot.")]
        elif framework is not None and lot.framework_id != framework.pk:
            fields["lot"] = [_("This lot belongs to another framework.")]
        elif framework is None and "framework" not in fields:
            framework = lot.framework
    if category_id not in (None, ""):
        category = NeedCategory.objects.filter(pk=category_id).first()
        if category is None:
            fields["category"] = [_("Unknown need category.")]
    if period_start and period_end and period_end < period_start:
        fields["period_end"] = [_("The period must end after it starts.")]
    try:
        budget_value = _money_or_none(budget, field="budget")
    except ValidationFailed as error:
        fields.update(error.fields)
        budget_value = None
    if fields:
        raise ValidationFailed(_("The requirement is not valid."), fields=fields)
    return {"title": title, "framework": framework, "lot": lot, "category": category,
            "description": (description or "").strip(), "budget": budget_value,
            "period_start": period_start, "period_end": period_end}


def _requirement_payload(requirement: Requirement) -> dict[str, Any]:
    return {
        "title": requirement.title,
        "framework": requirement.framework_id,
        "lot": requirement.lot_id,
        "category": requirement.category_id,
        "budget": requirement.budget,
        "period_start": requirement.period_start,
        "period_end": requirement.period_end,
        "criteria": [
            [item.importance, item.attribute_key, item.operator, item.expected, item.text]
            for item in requirement.criteria.order_by("importance", "position", "pk")
        ],
        "estimates": [[item.unit, item.quantity] for item in requirement.estimates.order_by("unit")],
    }


# --- requirements -------------------------------------------------------------------------------


@transaction.atomic
def requirement_create(
    *,
    actor,
    title: str,
    framework_id: int | None = None,
    lot_id: int | None = None,
    category_id: int | None = None,
    description: str = "",
    budget: Any = None,
    period_start: date | None = None,
    period_end: date | None = None,
    criteria: list[dict[str, Any]] | None = None,
    estimates: list[dict[str, Any]] | None = None,
) -> Requirement:
    organization = _acting_organization(actor)
    values = _requirement_fields(
        title=title, framework_id=framework_id, lot_id=lot_id, category_id=category_id, description=description,
        budget=budget, period_start=period_start, period_end=period_end,
    )
    lot = values["lot"]
    definitions = attribute_definitions_for(lot_id=lot.pk) if lot else None
    cleaned_criteria, cleaned_estimates, errors = [], [], {}
    for index, item in enumerate(criteria or []):
        try:
            cleaned_criteria.append(_clean_criterion(
                importance=item.get("importance", ""), attribute_key=item.get("attribute_key", ""),
                operator=item.get("operator", ""), expected=item.get("expected"), text=item.get("text", ""),
                definitions=definitions, prefix=f"criteria.{index}.",
            ))
        except ValidationFailed as error:
            errors.update(error.fields)
    seen_units = set()
    for index, item in enumerate(estimates or []):
        try:
            cleaned = _clean_estimate(unit=item.get("unit", ""), quantity=item.get("quantity"), prefix=f"estimates.{index}.")
        except ValidationFailed as error:
            errors.update(error.fields)
            continue
        if cleaned["unit"] in seen_units:
            errors[f"estimates.{index}.unit"] = [_("Give each unit once.")]
        seen_units.add(cleaned["unit"])
        cleaned_estimates.append(cleaned)
    if errors:
        raise ValidationFailed(_("The requirement is not valid."), fields=errors)
    requirement = Requirement.objects.create(organization=organization, created_by=actor, **values)
    RequirementCriterion.objects.bulk_create(
        [RequirementCriterion(requirement=requirement, position=position, **item)
         for position, item in enumerate(cleaned_criteria)]
    )
    RequirementEstimate.objects.bulk_create(
        [RequirementEstimate(requirement=requirement, **item) for item in cleaned_estimates]
    )
    audit_record(action="requirement.created", actor=actor, organization=organization, target=requirement,
                 payload=_requirement_payload(requirement))
    return requirement


@transaction.atomic
def requirement_update(*, actor, requirement_id: int, **changes: Any) -> Requirement:
    """Change the requirement's details while it is open and no search for it has ended."""
    requirement = _lock_requirement(actor=actor, requirement_id=requirement_id)
    requirement_check_editable(requirement)
    current = {
        "title": requirement.title, "framework_id": requirement.framework_id, "lot_id": requirement.lot_id,
        "category_id": requirement.category_id, "description": requirement.description,
        "budget": requirement.budget, "period_start": requirement.period_start, "period_end": requirement.period_end,
    }
    unknown = set(changes) - set(current)
    if unknown:
        raise ValidationFailed(_("Unknown fields."), fields={key: [_("This field cannot be changed.")] for key in unknown})
    current.update(changes)
    values = _requirement_fields(**current)
    for key, value in values.items():
        setattr(requirement, key, value)
    requirement.save(update_fields=list(values))
    audit_record(action="requirement.updated", actor=actor, organization=requirement.organization,
                 target=requirement, payload=_requirement_payload(requirement))
    return requirement


@transaction.atomic
def requirement_criterion_add(*, actor, requirement_id: int, importance: str, text: str,
                              attribute_key: str = "", operator: str = "text", expected: Any = None) -> RequirementCriterion:
    requirement = _lock_requirement(actor=actor, requirement_id=requirement_id)
    requirement_check_editable(requirement)
    cleaned = _clean_criterion(importance=importance, attribute_key=attribute_key, operator=operator,
                               expected=expected, text=text,
                               definitions=attribute_definitions_for(lot_id=requirement.lot_id) if requirement.lot_id else None)
    position = requirement.criteria.count()
    criterion = RequirementCriterion.objects.create(requirement=requirement, position=position, **cleaned)
    audit_record(action="requirement.criterion_added", actor=actor, organization=requirement.organization,
                 target=requirement, payload={"criterion": criterion.pk, **cleaned})
    return criterion


@transaction.atomic
def requirement_criterion_remove(*, actor, requirement_id: int, criterion_id: int) -> Requirement:
    requirement = _lock_requirement(actor=actor, requirement_id=requirement_id)
    requirement_check_editable(requirement)
    criterion = requirement.criteria.filter(pk=criterion_id).first()
    if criterion is None:
        raise NotFound(_("No such requirement line."))
    payload = {"criterion": criterion.pk, "text": criterion.text, "importance": criterion.importance}
    criterion.delete()
    audit_record(action="requirement.criterion_removed", actor=actor, organization=requirement.organization,
                 target=requirement, payload=payload)
    return requirement


@transaction.atomic
def requirement_estimate_set(*, actor, requirement_id: int, unit: str, quantity: Any) -> RequirementEstimate:
    """Set the estimated consumption for one pricing unit (replacing an earlier estimate for it)."""
    requirement = _lock_requirement(actor=actor, requirement_id=requirement_id)
    requirement_check_editable(requirement)
    cleaned = _clean_estimate(unit=unit, quantity=quantity)
    estimate, _created = RequirementEstimate.objects.update_or_create(
        requirement=requirement, unit=cleaned["unit"], defaults={"quantity": cleaned["quantity"]}
    )
    audit_record(action="requirement.estimate_set", actor=actor, organization=requirement.organization,
                 target=requirement, payload=cleaned)
    return estimate


@transaction.atomic
def requirement_estimate_remove(*, actor, requirement_id: int, estimate_id: int) -> Requirement:
    requirement = _lock_requirement(actor=actor, requirement_id=requirement_id)
    requirement_check_editable(requirement)
    estimate = requirement.estimates.filter(pk=estimate_id).first()
    if estimate is None:
        raise NotFound(_("No such estimate."))
    payload = {"unit": estimate.unit, "quantity": estimate.quantity}
    estimate.delete()
    audit_record(action="requirement.estimate_removed", actor=actor, organization=requirement.organization,
                 target=requirement, payload=payload)
    return requirement


# --- saved searches -----------------------------------------------------------------------------


@transaction.atomic
def search_save(*, actor, name: str, query: Any, requirement_id: int | None = None) -> SavedSearch:
    """Save a catalog query into a requirement (a new one named after the search when none is given).

    The requirement's previous active search, if still open, stops being active; a requirement
    whose active search has ended cannot take another one (its selection rests on that snapshot).
    """
    organization = _acting_organization(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the search a name."), fields={"name": [_("Give the search a name.")]})
    if len(name) > 200:
        raise ValidationFailed(_("The name is too long."), fields={"name": [_("Use at most 200 characters.")]})
    normalized = normalize_query(query)
    framework = _framework_of_query(normalized, required=False)
    if requirement_id in (None, ""):
        requirement = Requirement.objects.create(
            organization=organization, created_by=actor, title=name, framework=framework,
            lot=Lot.objects.filter(pk=normalized["lot"], framework=framework).first()
            if framework and isinstance(normalized.get("lot"), str) and normalized["lot"].isdigit() else None,
        )
        audit_record(action="requirement.created", actor=actor, organization=organization, target=requirement,
                     payload=_requirement_payload(requirement))
    else:
        try:
            requirement = _lock_requirement(actor=actor, requirement_id=int(requirement_id))
        except (TypeError, ValueError):
            raise ValidationFailed(_("Unknown requirement."), fields={"requirement": [_("Unknown requirement.")]}) from None
        _require_open(requirement)
        if requirement.searches.filter(is_active=True, status=SavedSearch.Status.FROZEN).exists():
            raise Conflict(
                _("The search for this requirement has ended; start a new requirement to search again."),
                code="search_frozen",
            )
    superseded = list(
        requirement.searches.select_for_update().filter(is_active=True).values_list("pk", flat=True)
    )
    if superseded:
        SavedSearch.objects.filter(pk__in=superseded).update(is_active=False)
    search = SavedSearch.objects.create(
        requirement=requirement, organization=organization, framework=framework, name=name, query=normalized,
        summary=query_summary(normalized), created_by=actor,
    )
    audit_record(action="search.saved", actor=actor, organization=organization, target=search,
                 payload={"requirement": requirement.pk, "name": name, "query": normalized,
                          "summary": search.summary, "superseded": superseded})
    return search


@transaction.atomic
def search_update(*, actor, search_id: int, name: str | None = None, query: Any = None) -> SavedSearch:
    """Rename or refine an open search. An ended (frozen) search never changes."""
    requirement, search = _lock_search(actor=actor, search_id=search_id)
    _refuse_if_frozen(search)
    _require_open(requirement)
    changed = []
    if name is not None:
        name = name.strip()
        if not name or len(name) > 200:
            raise ValidationFailed(_("Give the search a name."), fields={"name": [_("Give a name of at most 200 characters.")]})
        search.name = name
        changed.append("name")
    if query is not None:
        search.query = normalize_query(query)
        search.framework = _framework_of_query(search.query, required=False)
        search.summary = query_summary(search.query)
        changed += ["query", "framework", "summary"]
    if changed:
        search.save(update_fields=changed)
        audit_record(action="search.updated", actor=actor, organization=search.organization, target=search,
                     payload={"name": search.name, "query": search.query, "summary": search.summary})
    return search


def entries_hash_of(entries) -> str:
    """The digest carried by the freeze and award events: ``[rank, version id, unit price]`` per entry."""
    return digest_of(entries_digest_items(entries))


@transaction.atomic
def search_freeze(*, actor, search_id: int) -> SavedSearch:
    """End the search: store every current result as the listing version seen. Final.

    Refused (409 ``too_many_results``) when the query matches more than the framework allows.
    """
    from catalog.selectors import search_hits_all

    requirement, search = _lock_search(actor=actor, search_id=search_id)
    _refuse_if_frozen(search)
    _require_open(requirement)
    if not search.is_active:
        raise Conflict(_("A newer search replaced this one; end the newer search instead."), code="search_not_active")
    check_transition(search, SavedSearch.Status.FROZEN)
    framework = _framework_of_query(search.query, required=True)
    limit = framework.max_frozen_results or DEFAULT_FROZEN_LIMIT
    total, hits = search_hits_all(query=dict(search.query), limit=limit + 1)
    if total > limit:
        raise Conflict(
            _("The search found %(count)s results; a search can end with at most %(limit)s. Refine it first.")
            % {"count": total, "limit": limit},
            code="too_many_results",
            extra={"count": total, "limit": limit},
        )
    hits = list(hits)[:limit]
    SearchSnapshotEntry.objects.bulk_create([
        SearchSnapshotEntry(search=search, rank=rank, listing_version_id=hit.version_id, supplier_id=hit.supplier_id,
                            unit=hit.unit, unit_price=hit.unit_price)
        for rank, hit in enumerate(hits, start=1)
    ])
    # Hash what was stored, read back, so that anyone recomputing it from the table gets the same digest.
    entries = list(SearchSnapshotEntry.objects.filter(search=search).order_by("rank"))
    search.status = SavedSearch.Status.FROZEN
    search.framework = framework
    search.result_count = len(entries)
    search.entries_hash = entries_hash_of(entries)
    search.frozen_by = actor
    search.frozen_at = timezone.now()
    search.save(update_fields=["status", "framework", "result_count", "entries_hash", "frozen_by", "frozen_at"])
    audit_record(
        action="search.frozen", actor=actor, organization=search.organization, target=search,
        payload={"requirement": requirement.pk, "framework": framework.pk, "query": search.query,
                 "summary": search.summary, "result_count": search.result_count, "limit": limit,
                 "entries_hash": search.entries_hash, "entries": entries_digest_items(entries)},
    )
    return search


@transaction.atomic
def search_export_record(*, actor, search: SavedSearch, export_format: str) -> None:
    """Record that ``actor`` downloaded the frozen snapshot (or its comparison). The search is already scoped."""
    if search.status != SavedSearch.Status.FROZEN:
        raise Conflict(_("Only an ended search can be exported."), code="search_not_frozen")
    audit_record(action="search.exported", actor=actor, organization=search.organization, target=search,
                 payload={"format": export_format, "entries_hash": search.entries_hash,
                          "result_count": search.result_count})


# --- awards -------------------------------------------------------------------------------------


def _text(value: str | None, *, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message, code="justification_required" if field == "justification" else "validation_error",
                               fields={field: [message]})
    return value


@transaction.atomic
def award_direct(
    *,
    actor,
    search_id: int,
    listing_version_id: int,
    justification: str,
    cheaper_option_reason: str = "",
    cap: Any = None,
    start: date | None = None,
    end: date | None = None,
) -> tuple[Award, Any]:
    """Award the requirement to one entry of its ended search; returns the award and the draft order.

    When the chosen entry is not the lowest estimated total among entries meeting every essential
    requirement, ``cheaper_option_reason`` is required and the price difference is recorded.
    The draft call-off order is created in the same transaction when the orders module exists.
    """
    requirement, search = _lock_search(actor=actor, search_id=search_id)
    if search.status != SavedSearch.Status.FROZEN:
        raise Conflict(_("End the search before awarding."), code="search_not_frozen")
    if requirement.status != Requirement.Status.OPEN or requirement.awards.exists():
        raise Conflict(_("This requirement already has an outcome."), code="already_awarded",
                       extra={"status": requirement.status})
    entry = search.entries.select_related("listing_version", "supplier").filter(
        listing_version_id=listing_version_id
    ).first()
    if entry is None:
        raise ValidationFailed(
            _("Choose one of the ended search's results."), code="not_in_snapshot",
            fields={"listing_version": [_("This listing version is not in the ended search.")]},
        )
    justification = _text(justification, field="justification",
                          message=_("Explain why this option was chosen."))
    cheaper_option_reason = (cheaper_option_reason or "").strip()
    cap_value = _money_or_none(cap, field="cap")
    if cap_value is not None and cap_value <= 0:
        raise ValidationFailed(_("The cap must be more than zero."), fields={"cap": [_("The cap must be more than zero.")]})
    if start and end and end < start:
        raise ValidationFailed(_("The order must end after it starts."), fields={"end": [_("End after the start.")]})

    comparison = comparison_build(search=search)
    row = comparison.row_for_version(entry.listing_version_id)
    if not row.essential_compliant:
        failed = [item.criterion.text for item in row.essential if item.result == "not_met"]
        raise ValidationFailed(
            _("This option does not meet every essential requirement."), code="essential_not_met",
            fields={"listing_version": [_("Not met: %(list)s") % {"list": "; ".join(failed)}]},
        )
    needs_reason = comparison.cheaper_option_needed(row)
    lowest = comparison.lowest_estimated_total
    difference = (row.estimated_total - lowest) if (row.estimated_total is not None and lowest is not None) else None
    if needs_reason and not cheaper_option_reason:
        message = _("Explain why the cheaper option was not chosen.")
        raise ValidationFailed(
            message, code="cheaper_option_reason_required", fields={"cheaper_option_reason": [message]},
            extra={key: None if value is None else str(value) for key, value in (
                ("estimated_total", row.estimated_total), ("lowest_estimated_total", lowest),
                ("price_difference", difference))},
        )

    framework = search.framework
    framework = FrameworkAgreement.objects.get(pk=framework.pk)
    if framework.status != FrameworkAgreement.Status.LIVE:
        raise Conflict(_("The framework agreement is not live, so no call-off can be made under it."),
                       code="framework_not_live", extra={"framework_status": framework.status})
    if not framework.direct_award_allowed:
        raise Conflict(_("This framework does not allow direct award; run a further competition."),
                       code="direct_award_not_allowed")
    version: ListingVersion = entry.listing_version
    if not Admission.objects.filter(supplier_id=entry.supplier_id, lot_id=version.lot_id,
                                    status=Admission.Status.ADMITTED).exists():
        raise Conflict(_("The supplier is no longer admitted to this lot."), code="supplier_not_admitted")

    check_transition(requirement, Requirement.Status.AWARDED)
    award = Award.objects.create(
        organization=requirement.organization, requirement=requirement, framework=framework,
        method=Award.Method.DIRECT, outcome=Award.Outcome.AWARDED, search=search, snapshot_entry=entry,
        listing_version=version, supplier=entry.supplier, justification=justification,
        cheaper_option_reason=cheaper_option_reason, estimated_total=row.estimated_total,
        lowest_estimated_total=lowest, price_difference=difference, entries_hash=search.entries_hash,
        created_by=actor,
    )
    requirement.status = Requirement.Status.AWARDED
    requirement.save(update_fields=["status"])

    order = None
    order = order_create_from_award(actor=actor, award=award, cap=cap_value, start=start, end=end)

    audit_record(
        action="award.made", actor=actor, organization=requirement.organization, target=award,
        payload={
            "requirement": requirement.pk, "search": search.pk, "entries_hash": search.entries_hash,
            "rank": entry.rank, "listing_version": version.pk, "supplier": entry.supplier_id,
            "unit": entry.unit, "unit_price": entry.unit_price, "estimated_total": row.estimated_total,
            "lowest_estimated_total": lowest, "price_difference": difference,
            "justification": justification, "cheaper_option_reason": cheaper_option_reason,
            "cap": cap_value, "start": start, "end": end, "order": getattr(order, "pk", None),
        },
    )
    return award, order


@transaction.atomic
def award_none(*, actor, requirement_id: int | None = None, search_id: int | None = None, reason: str) -> Award:
    """Close the requirement without an award, with a reason (work cancelled, nothing suitable...).

    From a search, the search must have ended; the event then carries its entries hash.
    """
    search = None
    if search_id is not None:
        requirement, search = _lock_search(actor=actor, search_id=search_id)
        if search.status != SavedSearch.Status.FROZEN:
            raise Conflict(_("End the search before recording its outcome."), code="search_not_frozen")
    elif requirement_id is not None:
        requirement = _lock_requirement(actor=actor, requirement_id=requirement_id)
    else:
        raise ValidationFailed(_("Say which requirement has no award."))
    reason = _text(reason, field="reason", message=_("Give the reason for not awarding."))
    if requirement.status != Requirement.Status.OPEN or requirement.awards.exists():
        raise Conflict(_("This requirement already has an outcome."), code="already_awarded",
                       extra={"status": requirement.status})
    if search is None:
        search = requirement.searches.filter(status=SavedSearch.Status.FROZEN).order_by("-frozen_at").first()
    framework_id = (search.framework_id if search else None) or requirement.framework_id
    if framework_id is None:
        latest = requirement.searches.exclude(framework=None).order_by("-created_at").first()
        framework_id = latest.framework_id if latest else None
    if framework_id is None:
        raise ValidationFailed(_("Choose the framework of this requirement first."), code="framework_required",
                               fields={"framework": [_("The requirement has no framework agreement.")]})
    check_transition(requirement, Requirement.Status.NO_AWARD)
    award = Award.objects.create(
        organization=requirement.organization, requirement=requirement, framework_id=framework_id,
        method=Award.Method.DIRECT, outcome=Award.Outcome.NO_AWARD, search=search, justification=reason,
        entries_hash=search.entries_hash if search else "", created_by=actor,
    )
    requirement.status = Requirement.Status.NO_AWARD
    requirement.save(update_fields=["status"])
    audit_record(
        action="award.no_award", actor=actor, organization=requirement.organization, target=award,
        payload={"requirement": requirement.pk, "search": search.pk if search else None,
                 "entries_hash": award.entries_hash, "reason": reason},
    )
    return award
