"""Reads about the catalog, always scoped by who asks."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from agreements.models import Lot, Organization
from agreements.selectors import frameworks_visible_to, organization_of
from catalog.models import AttributeDefinition, Listing, ListingVersion, NeedCategory
from catalog.search import SearchHit, SearchResult, describe_query, search_hits_all, search_listings
from catalog.search.query import ID_KEYS, RESERVED_KEYS, as_id, normalize_attribute_value
from common.errors import NotFound

# A listing is "listed" (buyers see its current version) unless suspended or withdrawn.
HIDDEN_STATUSES = (Listing.Status.SUSPENDED, Listing.Status.WITHDRAWN)

__all__ = [
    "SearchHit", "SearchResult", "describe_query", "search_hits_all", "search_listings", "listing_version_get",
    "listings_visible_to", "listing_get", "is_listed", "listed_q", "categories_tree", "review_queue",
    "listings_of_supplier", "attribute_definitions_for", "can_see_drafts", "search_filters_known",
]


def listed_q() -> Q:
    return Q(current_version__isnull=False) & ~Q(status__in=HIDDEN_STATUSES)


def is_listed(listing: Listing) -> bool:
    return listing.current_version_id is not None and listing.status not in HIDDEN_STATUSES


def listings_visible_to(*, user) -> QuerySet[Listing]:
    """Owner supplier and the framework's authority see drafts; oversight sees all; others published only."""
    queryset = Listing.objects.select_related("supplier", "framework", "lot", "current_version")
    organization = organization_of(user)
    if organization is None:
        return queryset.filter(listed_q())
    if organization.kind == Organization.Kind.OVERSIGHT:
        return queryset
    if organization.kind == Organization.Kind.AUTHORITY:
        return queryset.filter(listed_q() | Q(framework__authority=organization))
    if organization.kind == Organization.Kind.SUPPLIER:
        return queryset.filter(listed_q() | Q(supplier=organization))
    return queryset.filter(listed_q())


def can_see_drafts(*, user, listing: Listing) -> bool:
    organization = organization_of(user)
    if organization is None:
        return False
    return (organization.kind == Organization.Kind.OVERSIGHT or organization.pk == listing.supplier_id
            or organization.pk == listing.framework.authority_id)


def listing_get(*, user, listing_id) -> Listing:
    try:
        return listings_visible_to(user=user).get(pk=int(listing_id))
    except (Listing.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such listing.")) from None


def listing_version_get(*, version_id) -> ListingVersion:
    try:
        return ListingVersion.objects.select_related("supplier", "framework", "lot", "listing").get(pk=int(version_id))
    except (ListingVersion.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such listing version.")) from None


def listings_of_supplier(*, user) -> QuerySet[Listing]:
    organization = organization_of(user)
    if organization is None or organization.kind != Organization.Kind.SUPPLIER:
        return Listing.objects.none()
    return Listing.objects.filter(supplier=organization).select_related("framework", "lot", "current_version")


def review_queue(*, user) -> QuerySet[Listing]:
    organization = organization_of(user)
    if organization is None or organization.kind != Organization.Kind.AUTHORITY:
        return Listing.objects.none()
    return (Listing.objects.filter(framework__authority=organization, status=Listing.Status.SUBMITTED)
            .select_related("supplier", "framework", "lot").order_by("updated_at"))


def categories_tree() -> list[dict]:
    """The need taxonomy as nested dicts: id, slug, name, description, code, lots, children."""
    nodes = {}
    roots = []
    categories = NeedCategory.objects.prefetch_related("lots").order_by("path")
    for category in categories:
        nodes[category.pk] = {
            "id": category.pk, "slug": category.slug, "name": category.name, "description": category.description,
            "code": category.code, "code_scheme": category.code_scheme, "position": category.position,
            "lots": sorted(lot.pk for lot in category.lots.all()), "children": [],
        }
    for category in categories:
        node = nodes[category.pk]
        if category.parent_id and category.parent_id in nodes:
            nodes[category.parent_id]["children"].append(node)
        else:
            roots.append(node)
    for node in nodes.values():
        node["children"].sort(key=lambda n: (n["position"], n["name"]))
    roots.sort(key=lambda n: (n["position"], n["name"]))
    return roots


def attribute_definitions_for(*, lot_ids=None) -> QuerySet[AttributeDefinition]:
    queryset = AttributeDefinition.objects.select_related("lot")
    if lot_ids is not None:
        queryset = queryset.filter(lot_id__in=list(lot_ids))
    return queryset.order_by("position", "key", "lot_id")


def search_filters_known(*, user, query: dict[str, list[str]]) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """Split a search page's query into the values that name something ``user`` can see, and the
    ``(key, value)`` pairs that name nothing (an unknown id, a value no question offers, an unknown key).

    The API keeps its contract (a malformed id is a 400, an unknown one finds nothing); a page drops such
    filters instead and says so. Keywords, price, stock and sort pass through for the search to check.
    """
    frameworks = frameworks_visible_to(user=user).order_by()
    existing = {
        "framework": lambda ids: frameworks.filter(pk__in=ids),
        "lot": lambda ids: Lot.objects.filter(pk__in=ids, framework__in=frameworks),
        "category": lambda ids: NeedCategory.objects.filter(pk__in=ids),
        "supplier": lambda ids: Organization.objects.filter(pk__in=ids, kind=Organization.Kind.SUPPLIER),
    }
    questions: dict[str, list[AttributeDefinition]] = {}
    for definition in AttributeDefinition.objects.filter(key__in=[k for k in query if k not in RESERVED_KEYS]):
        questions.setdefault(definition.key, []).append(definition)
    known: dict[str, list[str]] = {}
    ignored: list[tuple[str, str]] = []
    for key, values in query.items():
        if key in ID_KEYS:
            values = [part.strip() for value in values for part in value.split(",") if part.strip()]
            ids = {as_id(value) for value in values} - {None}
            found = set(existing[key](ids).values_list("pk", flat=True)) if ids else set()
            kept = [value for value in values if as_id(value) in found]
        elif key in ("q", "price_max", "in_stock", "sort"):
            kept = values
        else:
            kept = [value for value in values if any(_offers(d, value) for d in questions.get(key, []))]
        ignored += [(key, value) for value in values if value not in kept]
        if kept:
            known[key] = kept
    return known, ignored


def _offers(definition: AttributeDefinition, value: str) -> bool:
    """Whether ``value`` is an answer the question can have (what a listing could be filtered on)."""
    value = normalize_attribute_value(value)
    if definition.kind == AttributeDefinition.Kind.BOOLEAN:
        return value in ("true", "false")
    if definition.kind == AttributeDefinition.Kind.NUMBER:
        try:
            return Decimal(value).is_finite()
        except InvalidOperation:
            return False
    return value in {normalize_attribute_value(choice.get("value")) for choice in definition.choices or []}
