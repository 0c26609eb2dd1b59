"""Reads of the buyer's selection: requirements, saved searches, snapshots and the comparison.

Scoping: buyer users see their own organization's requirements and searches;
oversight users see everything (and change nothing: the services refuse them); everybody else
sees nothing, so a lookup answers "not found" rather than revealing that the object exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from agreements.models import Membership, Organization
from agreements.selectors import is_oversight, organization_of, roles_of
from catalog.models import AttributeDefinition, Listing
from catalog.search.service import attribute_value_label
from common.errors import NotFound
from common.money import line_amount
from marketplace.selection.models import Award, Requirement, RequirementCriterion, SavedSearch, SearchSnapshotEntry

BUYER_ROLES = {Membership.Role.REQUESTER, Membership.Role.APPROVER, Membership.Role.ADMINISTRATOR}

MET = "met"
NOT_MET = "not_met"
JUDGE = "judge"


def buyer_organization_of(user) -> Organization | None:
    """The buyer organization on whose behalf ``user`` may act, or None."""
    organization = organization_of(user)
    if organization is None or organization.kind != Organization.Kind.BUYER:
        return None
    if not BUYER_ROLES.intersection(roles_of(user)):
        return None
    return organization


def can_act_on(*, user, requirement: Requirement) -> bool:
    organization = buyer_organization_of(user)
    return organization is not None and organization.pk == requirement.organization_id


def requirements_visible_to(*, user) -> QuerySet[Requirement]:
    queryset = Requirement.objects.select_related("organization", "framework", "lot", "category", "created_by")
    if is_oversight(user):
        return queryset
    organization = buyer_organization_of(user)
    if organization is None:
        return queryset.none()
    return queryset.filter(organization=organization)


def requirement_get(*, user, requirement_id: int | str) -> Requirement:
    try:
        return requirements_visible_to(user=user).prefetch_related("criteria", "estimates").get(pk=int(requirement_id))
    except (Requirement.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such requirement.")) from None


def requirements_open_for(*, user) -> QuerySet[Requirement]:
    """Open requirements the user may save a search into."""
    organization = buyer_organization_of(user)
    if organization is None:
        return Requirement.objects.none()
    return Requirement.objects.filter(organization=organization, status=Requirement.Status.OPEN)


def searches_visible_to(*, user) -> QuerySet[SavedSearch]:
    queryset = SavedSearch.objects.select_related(
        "requirement", "organization", "framework", "created_by", "frozen_by"
    )
    if is_oversight(user):
        return queryset
    organization = buyer_organization_of(user)
    if organization is None:
        return queryset.none()
    return queryset.filter(organization=organization)


def search_get(*, user, search_id: int | str) -> SavedSearch:
    try:
        return searches_visible_to(user=user).get(pk=int(search_id))
    except (SavedSearch.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such saved search.")) from None


def searches_of(*, requirement: Requirement) -> QuerySet[SavedSearch]:
    return requirement.searches.select_related("framework", "frozen_by", "created_by").order_by("-created_at", "-pk")


def snapshot_entries(*, search: SavedSearch) -> QuerySet[SearchSnapshotEntry]:
    return search.entries.select_related(
        "supplier", "listing_version", "listing_version__lot", "listing_version__framework"
    ).order_by("rank")


def awards_of(*, requirement: Requirement) -> QuerySet[Award]:
    return requirement.awards.select_related("supplier", "listing_version", "search", "created_by").order_by("pk")


def attribute_definitions_for(*, lot_id: int | None) -> dict[str, AttributeDefinition]:
    if not lot_id:
        return {}
    return {definition.key: definition for definition in AttributeDefinition.objects.filter(lot_id=lot_id)}


def criterion_check_text(*, criterion: RequirementCriterion, definitions: dict[str, AttributeDefinition]) -> str:
    """What a criterion is checked against, in the words of the catalog's question and answers
    ("Open API is Yes", "Security certifications includes ISO/IEC 27001, SOC 2")."""
    if criterion.operator == RequirementCriterion.Operator.FREE_TEXT:
        return _("Judged by the buyer")
    definition = definitions.get(criterion.attribute_key)
    question = definition.label if definition is not None else criterion.attribute_key
    expected = criterion.expected if isinstance(criterion.expected, list) else [criterion.expected]
    answers = ", ".join(
        attribute_value_label(definition, ("true" if value else "false") if isinstance(value, bool) else str(value))
        for value in expected
    )
    return f"{question} {criterion.get_operator_display()} {answers}"


def criteria_in_words(*, requirement: Requirement) -> list[RequirementCriterion]:
    """The requirement's criteria in order, each with ``check_text`` (``criterion_check_text``)."""
    criteria = list(requirement.criteria.order_by("position", "pk"))
    definitions = attribute_definitions_for(lot_id=requirement.lot_id)
    for criterion in criteria:
        criterion.check_text = criterion_check_text(criterion=criterion, definitions=definitions)
    return criteria


def entries_digest_items(entries) -> list[list[Any]]:
    """The hashed form of a snapshot: ``[rank, listing version id, unit price as text]`` per entry."""
    return [[entry.rank, entry.listing_version_id, str(entry.unit_price)] for entry in entries]


# --- comparison ---------------------------------------------------------------------------------


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def _same(value: Any, expected: Any) -> bool:
    if isinstance(value, bool) or isinstance(expected, bool):
        truthy = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        left = value if isinstance(value, bool) else truthy.get(str(value).strip().lower())
        right = expected if isinstance(expected, bool) else truthy.get(str(expected).strip().lower())
        return left is not None and left == right
    left_number, right_number = _as_decimal(value), _as_decimal(expected)
    if left_number is not None and right_number is not None:
        return left_number == right_number
    return str(value).strip().casefold() == str(expected).strip().casefold()


def evaluate_criterion(criterion: RequirementCriterion, attributes: dict[str, Any]) -> tuple[str, Any]:
    """Evaluate one requirement against a listing version's attributes.

    Returns ``(result, value seen)``: ``met``, ``not_met`` or ``judge`` (free text, or values that
    cannot be compared, need the buyer's judgement). An attribute the supplier did not state does
    not meet an attribute-based requirement.
    """
    operator = criterion.operator
    if operator == RequirementCriterion.Operator.FREE_TEXT or not criterion.attribute_key:
        return JUDGE, None
    if criterion.attribute_key not in attributes or attributes[criterion.attribute_key] in (None, "", []):
        return NOT_MET, None
    value = attributes[criterion.attribute_key]
    expected = criterion.expected
    if operator == RequirementCriterion.Operator.EQUALS:
        if isinstance(value, list):
            return (MET if len(value) == 1 and _same(value[0], expected) else NOT_MET), value
        return (MET if _same(value, expected) else NOT_MET), value
    if operator == RequirementCriterion.Operator.INCLUDES:
        wanted = expected if isinstance(expected, list) else [expected]
        offered = value if isinstance(value, list) else [value]
        met = all(any(_same(item, want) for item in offered) for want in wanted)
        return (MET if met else NOT_MET), value
    if operator in (RequirementCriterion.Operator.AT_LEAST, RequirementCriterion.Operator.AT_MOST):
        number, bound = _as_decimal(value), _as_decimal(expected)
        if number is None or bound is None:
            return JUDGE, value
        if operator == RequirementCriterion.Operator.AT_LEAST:
            return (MET if number >= bound else NOT_MET), value
        return (MET if number <= bound else NOT_MET), value
    return JUDGE, value


@dataclass
class CriterionResult:
    criterion: RequirementCriterion
    result: str
    value: Any

    @property
    def value_text(self) -> str:
        """The value seen, for people: lists joined by commas, booleans as yes/no."""
        values = self.value if isinstance(self.value, list) else [self.value]
        return ", ".join((_("yes") if v else _("no")) if isinstance(v, bool) else str(v) for v in values if v is not None)


@dataclass
class ComparisonRow:
    entry: SearchSnapshotEntry
    estimated_total: Decimal | None
    essential: list[CriterionResult]
    desired: list[CriterionResult]
    stock: int | None
    in_stock: bool
    is_lowest: bool = False
    price_difference: Decimal | None = None

    @property
    def version(self):
        return self.entry.listing_version

    @property
    def essential_compliant(self) -> bool:
        return all(item.result != NOT_MET for item in self.essential)

    @property
    def needs_judgement(self) -> bool:
        return any(item.result == JUDGE for item in self.essential)

    @property
    def desired_met(self) -> int:
        return sum(1 for item in self.desired if item.result == MET)


@dataclass
class Comparison:
    search: SavedSearch
    requirement: Requirement
    essential: list[RequirementCriterion]
    desired: list[RequirementCriterion]
    rows: list[ComparisonRow] = field(default_factory=list)
    lowest_estimated_total: Decimal | None = None

    def row_for_version(self, version_id: int) -> ComparisonRow | None:
        return next((row for row in self.rows if row.entry.listing_version_id == version_id), None)

    def cheaper_option_needed(self, row: ComparisonRow) -> bool:
        """Whether choosing ``row`` needs a written reason for passing over a cheaper compliant option.

        With estimated totals: the row is not among the lowest (or has no total while others do).
        Without any estimated total among compliant entries: a compliant entry with the same unit
        has a lower unit price.
        """
        if self.lowest_estimated_total is not None:
            return row.estimated_total is None or row.estimated_total > self.lowest_estimated_total
        return any(
            other.essential_compliant and other.entry.unit == row.entry.unit
            and other.entry.unit_price < row.entry.unit_price
            for other in self.rows
        )


def comparison_build(*, search: SavedSearch) -> Comparison:
    """The side-by-side report of a frozen search's entries against its requirement.

    Estimated total = quantity × unit price for the requirement's estimate in the entry's unit,
    rounded once (entries priced in a unit the buyer did not estimate have no total). The lowest
    estimated total is taken among entries that fail no essential requirement; an entry whose
    essential requirement needs judgement is not counted as failing.
    """
    requirement = Requirement.objects.prefetch_related(
        Prefetch("criteria", queryset=RequirementCriterion.objects.order_by("position", "pk")), "estimates"
    ).get(pk=search.requirement_id)
    criteria = list(requirement.criteria.all())
    essential = [item for item in criteria if item.importance == RequirementCriterion.Importance.ESSENTIAL]
    desired = [item for item in criteria if item.importance == RequirementCriterion.Importance.DESIRED]
    estimates = {estimate.unit: estimate.quantity for estimate in requirement.estimates.all()}
    entries = list(snapshot_entries(search=search))
    stock_by_listing = dict(
        Listing.objects.filter(pk__in=[entry.listing_version.listing_id for entry in entries]).values_list("pk", "stock")
    )
    comparison = Comparison(search=search, requirement=requirement, essential=essential, desired=desired)
    for entry in entries:
        attributes = entry.listing_version.attributes or {}
        quantity = estimates.get(entry.unit)
        stock = stock_by_listing.get(entry.listing_version.listing_id)
        comparison.rows.append(
            ComparisonRow(
                entry=entry,
                estimated_total=(
                    line_amount(quantity=quantity, unit_price=entry.unit_price) if quantity is not None else None
                ),
                essential=[CriterionResult(item, *evaluate_criterion(item, attributes)) for item in essential],
                desired=[CriterionResult(item, *evaluate_criterion(item, attributes)) for item in desired],
                stock=stock,
                in_stock=stock is None or stock > 0,
            )
        )
    totals = [row.estimated_total for row in comparison.rows if row.essential_compliant and row.estimated_total is not None]
    if totals:
        comparison.lowest_estimated_total = min(totals)
        for row in comparison.rows:
            if row.estimated_total is not None:
                row.price_difference = row.estimated_total - comparison.lowest_estimated_total
                row.is_lowest = row.essential_compliant and row.estimated_total == comparison.lowest_estimated_total
    return comparison
