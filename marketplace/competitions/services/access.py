"""Who may act on a competition, and its row lock.

The one rule of every service (as ``marketplace.orders.services``): someone who can see the
competition (``competitions_visible_to``) but lacks the role gets ``Forbidden`` (403); someone who
cannot see it gets ``NotFound`` (404), so other organizations cannot even learn that it exists.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from agreements.models import Organization
from agreements.selectors import organization_of
from common.errors import Forbidden, NotFound
from marketplace.competitions.models import Competition, Invitation
from marketplace.competitions.selectors import competitions_visible_to


def buyer_organization(actor: User) -> Organization:
    organization = organization_of(actor)
    if organization is None or organization.kind != Organization.Kind.BUYER:
        raise Forbidden(_("Only a buyer entity can do this."), code="not_a_buyer")
    return organization


def lock_competition(competition_id: int) -> Competition:
    competition = (
        Competition.objects.select_for_update().select_related("framework", "lot", "organization", "requirement")
        .filter(pk=competition_id).first()
    )
    if competition is None:
        raise NotFound(_("No such competition."))
    return competition


def _refuse(actor: User, competition: Competition, error: Forbidden) -> None:
    if competitions_visible_to(user=actor).filter(pk=competition.pk).exists():
        raise error
    raise NotFound(_("No such competition."))


def lock_as_buyer(*, actor: User, competition_id: int) -> tuple[Competition, Organization]:
    competition = lock_competition(competition_id)
    organization = organization_of(actor)
    if organization is None or organization.pk != competition.organization_id:
        _refuse(actor, competition, Forbidden(_("Only the buying organization can do this."), code="not_a_buyer"))
    return competition, organization


def lock_as_invitee(*, actor: User, competition_id: int) -> tuple[Competition, Organization, Invitation]:
    competition = lock_competition(competition_id)
    organization = organization_of(actor)
    invitation = None
    if organization is not None and organization.kind == Organization.Kind.SUPPLIER:
        invitation = (Invitation.objects.select_for_update()
                      .filter(competition=competition, supplier=organization).first())
    if invitation is None or competition.status == Competition.Status.DRAFT:
        _refuse(actor, competition, Forbidden(_("Only invited suppliers can do this."), code="not_a_supplier"))
    return competition, organization, invitation
