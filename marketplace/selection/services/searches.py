"""Saved searches: save a catalog query into a requirement, refine it, end it (freeze its result
set as the listing versions seen) and record each export of the frozen snapshot."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import FrameworkAgreement, Lot, Organization
from audit.chain import digest_of
from audit.services import audit_record
from catalog.selectors import describe_query, search_hits_all
from common.errors import Conflict, ValidationFailed
from common.lifecycle import check_transition
from common.parsing import FieldErrors, read_row_id
from marketplace.selection.inputs import CatalogQuery, read_name, read_query
from marketplace.selection.models import Requirement, SavedSearch, SearchSnapshotEntry
from marketplace.selection.selectors import entries_digest_items
from marketplace.selection.services.access import (
    acting_organization,
    lock_requirement,
    lock_search,
    refuse_if_frozen,
    require_open,
)
from marketplace.selection.services.requirements import requirement_payload

DEFAULT_FROZEN_LIMIT = 30


def query_summary(query: CatalogQuery) -> str:
    return describe_query(query)


def _framework_of_query(query: CatalogQuery, *, required: bool) -> FrameworkAgreement | None:
    value = query.get("framework")
    if value in (None, "") or isinstance(value, list):
        if required:
            raise ValidationFailed(
                _("Choose one framework agreement before ending the search."),
                code="framework_required",
                fields={"query.framework": [_("The search must be limited to one framework agreement.")]},
            )
        return None
    framework_id = read_row_id(value, field="query.framework", errors=FieldErrors())
    framework = FrameworkAgreement.objects.filter(pk=framework_id).first() if framework_id else None
    if framework is None:
        raise ValidationFailed(
            _("The framework in the query does not exist."), fields={"query.framework": [_("Unknown framework.")]}
        )
    return framework


def _requirement_for_search(*, actor: User, organization: Organization, name: str, query: CatalogQuery,
                            framework: FrameworkAgreement | None, requirement_id: int | None) -> Requirement:
    """The requirement the search is saved into: the one given (locked, still searchable) or a new one."""
    if requirement_id is not None:
        requirement = lock_requirement(actor=actor, requirement_id=requirement_id)
        require_open(requirement)
        if requirement.searches.filter(is_active=True, status=SavedSearch.Status.FROZEN).exists():
            raise Conflict(
                _("The search for this requirement has ended; start a new requirement to search again."),
                code="search_frozen",
            )
        return requirement
    lot_id = query.get("lot")
    requirement = Requirement.objects.create(
        organization=organization, created_by=actor, title=name, framework=framework,
        lot=Lot.objects.filter(pk=lot_id, framework=framework).first()
        if framework and isinstance(lot_id, str) and lot_id.isdigit() else None,
    )
    audit_record(action="requirement.created", actor=actor, organization=organization, target=requirement,
                 payload=requirement_payload(requirement))
    return requirement


@transaction.atomic
def search_save(*, actor: User, name: str, query: CatalogQuery, requirement_id: int | None = None) -> SavedSearch:
    """Save a catalog query into a requirement (a new one named after the search when none is given).

    The requirement's previous active search, if still open, stops being active; a requirement
    whose active search has ended cannot take another one (its selection rests on that snapshot).
    """
    organization = acting_organization(actor)
    name = read_name(name)
    normalized = read_query(query)
    framework = _framework_of_query(normalized, required=False)
    requirement = _requirement_for_search(actor=actor, organization=organization, name=name, query=normalized,
                                          framework=framework, requirement_id=requirement_id)
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
                          "superseded": superseded})
    return search


@transaction.atomic
def search_update(*, actor: User, search_id: int, name: str | None = None,
                  query: CatalogQuery | None = None) -> SavedSearch:
    """Rename or refine an open search. An ended (frozen) search never changes."""
    requirement, search = lock_search(actor=actor, search_id=search_id)
    refuse_if_frozen(search)
    require_open(requirement)
    changed = []
    if name is not None:
        search.name = read_name(name)
        changed.append("name")
    if query is not None:
        search.query = read_query(query)
        search.framework = _framework_of_query(search.query, required=False)
        search.summary = query_summary(search.query)
        changed += ["query", "framework", "summary"]
    if changed:
        search.save(update_fields=changed)
        audit_record(action="search.updated", actor=actor, organization=search.organization, target=search,
                     payload={"name": search.name, "query": search.query})
    return search


def entries_hash_of(entries: Iterable[SearchSnapshotEntry]) -> str:
    """The digest carried by the freeze and award events: ``[rank, version id, unit price]`` per entry."""
    return digest_of(entries_digest_items(entries))


@transaction.atomic
def search_freeze(*, actor: User, search_id: int) -> SavedSearch:
    """End the search: store every current result as the listing version seen. Final.

    Refused (409 ``too_many_results``) when the query matches more than the framework allows.
    """
    requirement, search = lock_search(actor=actor, search_id=search_id)
    refuse_if_frozen(search)
    require_open(requirement)
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
                 "result_count": search.result_count, "limit": limit,
                 "entries_hash": search.entries_hash, "entries": entries_digest_items(entries)},
    )
    return search


@transaction.atomic
def search_export_record(*, reader: User, search: SavedSearch, export_format: str) -> None:
    """Record that ``reader`` downloaded the frozen snapshot (or its comparison). A read, not an action:
    anyone the selectors let see the search may download it, auditors included, and each download is
    on the trail. The search is already scoped by the caller."""
    if search.status != SavedSearch.Status.FROZEN:
        raise Conflict(_("Only an ended search can be exported."), code="search_not_frozen")
    audit_record(action="search.exported", actor=reader, organization=search.organization, target=search,
                 payload={"format": export_format, "entries_hash": search.entries_hash,
                          "result_count": search.result_count})

