"""Reads about the catalog, always scoped by who asks."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from agreements.models import Organization
from agreements.selectors import organization_of
from catalog.models import AttributeDefinition, Listing, ListingVersion, NeedCategory
from catalog.search import SearchHit, SearchResult, describe_query, search_hits_all, search_listings
from common.errors import NotFound

# A listing is "listed" (buyers see its current version) unless suspended or withdrawn.
HIDDEN_STATUSES = (Listing.Status.SUSPENDED, Listing.Status.WITHDRAWN)

__all__ = [
    "SearchHit", "SearchResult", "describe_query", "search_hits_all", "search_listings", "listing_version_get",
    "listings_visible_to", "listing_get", "is_listed", "listed_q", "categories_tree", "review_queue",
    "listings_of_supplier", "attribute_definitions_for", "can_see_drafts",
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
