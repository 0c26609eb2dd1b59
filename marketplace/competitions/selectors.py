"""Reads about competitions, always scoped by who asks.

Sealing: before a competition is closed (``closed_at`` is set only at or after the deadline) a
quote is readable by its own supplier only. Buyer, authority and oversight alike see none.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from agreements.models import FrameworkAgreement, Lot, Organization
from agreements.selectors import organization_of
from catalog.models import Listing
from catalog.selectors import listed_q
from marketplace.competitions.models import ClarificationQuestion, Competition, Invitation, Quote, QuoteEvaluation
from marketplace.selection.models import Award, Requirement


def competitions_visible_to(*, user) -> QuerySet[Competition]:
    """Buyer: its organization's. Supplier: those it was invited to. Authority: those under its
    frameworks once published. Oversight: all. Anyone else: none."""
    queryset = Competition.objects.select_related("organization", "framework", "lot", "requirement")
    organization = organization_of(user)
    if organization is None:
        return queryset.none()
    if organization.kind == Organization.Kind.OVERSIGHT:
        return queryset
    if organization.kind == Organization.Kind.BUYER:
        return queryset.filter(organization=organization)
    if organization.kind == Organization.Kind.SUPPLIER:
        return queryset.filter(invitations__supplier=organization).exclude(status=Competition.Status.DRAFT)
    if organization.kind == Organization.Kind.AUTHORITY:
        return queryset.filter(framework__authority=organization).exclude(status=Competition.Status.DRAFT)
    return queryset.none()


def with_effective_status(queryset: QuerySet[Competition], status: str) -> QuerySet[Competition]:
    """The competitions whose status, as readers see it (``Competition.effective_status``), is
    ``status``: a published one past its deadline counts as closed, before the sweep writes it."""
    now = timezone.now()
    overdue = Q(status=Competition.Status.PUBLISHED, deadline__lte=now)
    if status == Competition.Status.CLOSED:
        return queryset.filter(Q(status=Competition.Status.CLOSED) | overdue)
    if status == Competition.Status.PUBLISHED:
        return queryset.filter(status=Competition.Status.PUBLISHED, deadline__gt=now)
    return queryset.filter(status=status)


def competition_detail(*, user, competition_id: int) -> Competition | None:
    return (
        competitions_visible_to(user=user)
        .prefetch_related("lines", "criteria")
        .filter(pk=competition_id)
        .first()
    )


def is_buyer_of(*, user, competition: Competition) -> bool:
    organization = organization_of(user)
    return organization is not None and organization.pk == competition.organization_id


def invitation_of(*, user, competition: Competition) -> Invitation | None:
    organization = organization_of(user)
    if organization is None or organization.kind != Organization.Kind.SUPPLIER:
        return None
    return Invitation.objects.filter(competition=competition, supplier=organization).first()


def quotes_visible_to(*, user, competition: Competition, include_history: bool = False) -> QuerySet[Quote]:
    """The quotes this user may read: its own always; everyone's only after the competition closed.

    Who may read all quotes once opened: the buying organization, the framework's authority and
    oversight. Other suppliers never read a competitor's quote.
    """
    queryset = Quote.objects.filter(competition=competition).select_related("supplier").prefetch_related(
        "lines__line", "responses__criterion"
    ).order_by("submitted_at", "pk")
    if not include_history:
        queryset = queryset.filter(is_current=True)
    organization = organization_of(user)
    if organization is None:
        return queryset.none()
    if organization.kind == Organization.Kind.SUPPLIER:
        return queryset.filter(supplier=organization)
    if not competition.quotes_opened:
        return queryset.none()
    if organization.kind == Organization.Kind.OVERSIGHT:
        return queryset
    if organization.kind == Organization.Kind.BUYER and organization.pk == competition.organization_id:
        return queryset
    if organization.kind == Organization.Kind.AUTHORITY and organization.pk == competition.framework.authority_id:
        return queryset
    return queryset.none()


def questions_visible_to(*, user, competition: Competition) -> QuerySet[ClarificationQuestion]:
    """Invitees see every answered question and their own unanswered ones; the buyer, authority
    and oversight see all. Who asked is never shown except to the asker (see ``asked_by_me``)."""
    queryset = ClarificationQuestion.objects.filter(competition=competition).order_by("asked_at", "pk")
    organization = organization_of(user)
    if organization is None:
        return queryset.none()
    if organization.kind == Organization.Kind.SUPPLIER:
        if not Invitation.objects.filter(competition=competition, supplier=organization).exists():
            return queryset.none()
        return queryset.filter(Q(answered_at__isnull=False) | Q(supplier=organization))
    return queryset


def ranking_of(*, user, competition: Competition) -> list[QuoteEvaluation]:
    """The evaluations (ranked first, then rejected) for those who may read all quotes."""
    visible = quotes_visible_to(user=user, competition=competition)
    if not competition.evaluated_at:
        return []
    evaluations = (
        QuoteEvaluation.objects.filter(quote__in=visible)
        .select_related("quote__supplier")
        .prefetch_related(Prefetch("scores"))
    )
    return sorted(evaluations, key=lambda evaluation: (evaluation.rank is None, evaluation.rank or 0, evaluation.pk))


def invitations_of(*, competition: Competition) -> QuerySet[Invitation]:
    return Invitation.objects.filter(competition=competition).select_related("supplier")


def invitations_for_supplier(*, user) -> QuerySet[Invitation]:
    organization = organization_of(user)
    if organization is None or organization.kind != Organization.Kind.SUPPLIER:
        return Invitation.objects.none()
    return Invitation.objects.filter(supplier=organization).select_related("competition__lot")


def overdue_competition_ids(*, now: datetime) -> list[int]:
    return list(
        Competition.objects.filter(status=Competition.Status.PUBLISHED, deadline__lte=now)
        .order_by("deadline", "pk")
        .values_list("pk", flat=True)
    )


def open_requirements_of(*, user) -> QuerySet[Requirement]:
    """The asking buyer's open requirements, from which a competition can be created."""
    organization = organization_of(user)
    if organization is None or organization.kind != Organization.Kind.BUYER:
        return Requirement.objects.none()
    return (Requirement.objects.filter(organization=organization, status=Requirement.Status.OPEN)
            .select_related("lot__framework").order_by("-created_at"))


def award_of(*, competition: Competition):
    """The competition's award (winner, justification, totals, order), or None before it is decided."""
    if competition.award_id is None:
        return None
    return Award.objects.select_related("supplier", "order", "framework").get(pk=competition.award_id)


def listings_for_quote_line(*, supplier: Organization, lot: Lot, unit: str) -> QuerySet:
    """The supplier's listings a quote line can offer: listed (``catalog.selectors.listed_q``: what
    buyers see), in the lot, priced per the line's unit by their current version; cheapest first."""
    return (Listing.objects.filter(listed_q(), supplier=supplier, lot=lot, current_version__unit=unit)
            .select_related("current_version").order_by("current_version__unit_price", "pk"))


def lots_open_for_competition() -> QuerySet[Lot]:
    """Lots of live frameworks (only those accept call-offs), with their ceiling prices."""
    return (
        Lot.objects.filter(framework__status=FrameworkAgreement.Status.LIVE)
        .select_related("framework").prefetch_related("ceiling_prices").order_by("framework__reference", "number")
    )
