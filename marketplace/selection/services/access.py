"""Who may change a selection, and the row locks every selection write takes.

Who may act: buyer users (requester, approver or administrator) of the requirement's organization.
Oversight users may read but every write is refused (403); anybody else is told "not found" (404).
Locking order is always requirement row, then search row, so that saving, freezing and awarding
for one requirement are serialized.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from agreements.models import Organization
from agreements.selectors import is_oversight
from common.errors import Conflict, Forbidden, NotFound
from marketplace.selection.models import Requirement, SavedSearch
from marketplace.selection.selectors import buyer_organization_of


def acting_organization(actor: User) -> Organization:
    organization = buyer_organization_of(actor)
    if organization is None:
        if is_oversight(actor):
            raise Forbidden(_("Oversight users can read selections but cannot change them."))
        raise Forbidden(_("Only buyer users can do this."))
    return organization


def lock_requirement(*, actor: User, requirement_id: int) -> Requirement:
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


def lock_search(*, actor: User, search_id: int) -> tuple[Requirement, SavedSearch]:
    requirement_id = SavedSearch.objects.filter(pk=search_id).values_list("requirement_id", flat=True).first()
    if requirement_id is None:
        raise NotFound(_("No such saved search."))
    try:
        requirement = lock_requirement(actor=actor, requirement_id=requirement_id)
    except NotFound:
        raise NotFound(_("No such saved search.")) from None
    search = SavedSearch.objects.select_for_update().get(pk=search_id)
    return requirement, search


def refuse_if_frozen(search: SavedSearch) -> None:
    if search.status == SavedSearch.Status.FROZEN:
        raise Conflict(
            _("This search has ended and can no longer change."), code="search_frozen",
            extra={"frozen_at": search.frozen_at},
        )


def require_open(requirement: Requirement) -> None:
    if requirement.status != Requirement.Status.OPEN:
        raise Conflict(
            _("This requirement is closed (%(status)s).") % {"status": requirement.get_status_display()},
            code="requirement_closed",
        )


def refuse_if_decided(requirement: Requirement) -> None:
    if requirement.status != Requirement.Status.OPEN or requirement.awards.exists():
        raise Conflict(_("This requirement already has an outcome."), code="already_awarded",
                       extra={"status": requirement.status})


def requirement_check_editable(requirement: Requirement) -> None:
    """Raise ``Conflict`` when the requirement's details, criteria and estimates can no longer change:
    it is closed, or a search for it has ended (criteria and estimates drive its comparison). Pages
    ask it too, before offering a form that could only be refused."""
    require_open(requirement)
    if requirement.searches.filter(status=SavedSearch.Status.FROZEN).exists():
        raise Conflict(
            _("A search for this requirement has ended; its requirements can no longer change."),
            code="requirement_locked",
        )
