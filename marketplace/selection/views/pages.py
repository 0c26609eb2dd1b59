"""What every selection page needs: the requirement or search the user may see, whether the user may
change it, and the link back to the catalog results a search came from."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from catalog.selectors import search_hits_all
from common.errors import DomainError, NotFound
from marketplace.selection import selectors
from marketplace.selection.models import Requirement, SavedSearch
from marketplace.selection.services.access import requirement_check_editable


def editable(request, requirement: Requirement) -> bool:
    """Whether this user may change the requirement now (the service's rule, asked before offering forms)."""
    if not selectors.can_act_on(user=request.user, requirement=requirement):
        return False
    try:
        requirement_check_editable(requirement)
    except DomainError:
        return False
    return True


def requirement_or_404(request, pk: int) -> Requirement:
    try:
        return selectors.requirement_get(user=request.user, requirement_id=pk)
    except NotFound:
        raise Http404(_("No such requirement.")) from None


def search_or_404(request, pk: int) -> SavedSearch:
    try:
        return selectors.search_get(user=request.user, search_id=pk)
    except NotFound:
        raise Http404(_("No such saved search.")) from None


def require_actor(request, requirement: Requirement) -> None:
    if not selectors.can_act_on(user=request.user, requirement=requirement):
        raise PermissionDenied(_("Oversight users can read selections but cannot change them."))


def catalog_results_url(query: dict) -> str:
    pairs = []
    for key, value in query.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, item))
    for name in ("catalog:search", "catalog:listing-list", "catalog:listings"):
        try:
            return reverse(name) + "?" + urlencode(pairs)
        except NoReverseMatch:
            continue
    return "/catalog/?" + urlencode(pairs)


def current_count(search: SavedSearch) -> tuple[int | None, str]:
    try:
        total, _hits = search_hits_all(query=dict(search.query), limit=1)
    except DomainError as error:
        return None, error.message
    return total, ""


def download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def frozen_or_404(search: SavedSearch) -> SavedSearch:
    if search.status != SavedSearch.Status.FROZEN:
        raise Http404(_("Only an ended search has fixed results."))
    return search

