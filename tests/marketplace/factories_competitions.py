"""Builders for competition tests: requirements, published listings and competitions in each state."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from agreements.models import Membership, Organization
from catalog.models import Listing, ListingVersion
from marketplace.competitions import services
from marketplace.competitions.inputs import read_award, read_competition_draft, read_evaluations, read_quote
from marketplace.competitions.models import Competition, Quote
from marketplace.selection.models import Requirement
from tests.factories import AdmissionFactory, CeilingPriceFactory, member


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement

    title = factory.Sequence(lambda n: f"Hosting need {n}")
    description = "Host the case-management system"
    status = Requirement.Status.OPEN


def org_of(user) -> Organization:
    return user.memberships.first().organization


def requirement_for(user, *, lot=None, **kwargs) -> Requirement:
    return RequirementFactory(organization=org_of(user), created_by=user, lot=lot,
                              framework=lot.framework if lot else None, **kwargs)


def published_listing(*, supplier: Organization, lot, unit: str, price: str, user=None) -> Listing:
    """A published listing with its current version, built directly (the catalog services are not needed)."""
    existing = supplier.memberships.select_related("user").first()
    user = user or (existing.user if existing else member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER,
                                                          organization=supplier))
    ceiling = lot.ceiling_prices.get(unit=unit).max_unit_price
    listing = Listing.objects.create(
        supplier=supplier, framework=lot.framework, lot=lot, status=Listing.Status.PUBLISHED, title=f"{supplier} {unit}",
        summary="A service", unit=unit, unit_price=Decimal(price), created_by=user, has_unpublished_changes=False,
    )
    version = ListingVersion.objects.create(
        listing=listing, number=1, supplier=supplier, framework=lot.framework, lot=lot, title=listing.title,
        summary=listing.summary, unit=unit, unit_price=Decimal(price), ceiling_price=ceiling,
        content_hash="0" * 64, published_at=timezone.now(), published_by=user,
    )
    listing.current_version = version
    listing.save(update_fields=["current_version"])
    return listing


def far_deadline(days: int = 30):
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0)


def create_competition(buyer, lot, *, weighted: bool = False, deadline=None, clarifications_allowed: bool = True,
                       lines=None) -> Competition:
    if not lot.ceiling_prices.filter(unit="vCPU-hour").exists():
        CeilingPriceFactory(lot=lot, unit="vCPU-hour", max_unit_price=Decimal("0.250000"))
    if not lot.ceiling_prices.filter(unit="GB-month").exists():
        CeilingPriceFactory(lot=lot, unit="GB-month", max_unit_price=Decimal("0.100000"))
    requirement = requirement_for(buyer, lot=lot)
    kwargs = {}
    if weighted:
        kwargs = {"method": "weighted", "price_weight": 60,
                  "criteria": [{"name": "Support", "weight": 30}, {"name": "Exit plan", "weight": 10}]}
    return create_as(
        actor=buyer, requirement_id=requirement.pk,
        lines=lines or [{"unit": "vCPU-hour", "quantity": "1000"}, {"unit": "GB-month", "quantity": "500"}],
        deadline=deadline or far_deadline(), clarifications_allowed=clarifications_allowed, **kwargs,
    )


# The services take typed input read by ``marketplace.competitions.inputs``; these call them the way
# the API does, from plain values, so each test also goes through the readers.

def create_as(*, actor, requirement_id, lines, deadline, lot_id=None, **fields) -> Competition:
    draft = read_competition_draft({"requirement": requirement_id, "lot": lot_id, "lines": lines,
                                    "deadline": deadline, **fields})
    return services.competition_create(actor=actor, draft=draft)


def quote_as(*, actor, competition_id, lines, delivery_terms, responses=None) -> Quote:
    quote = read_quote({"lines": lines, "delivery_terms": delivery_terms, "responses": responses or []})
    return services.quote_submit(actor=actor, competition_id=competition_id, quote=quote)


def evaluate_as(*, actor, competition_id, evaluations) -> Competition:
    return services.competition_evaluate(actor=actor, competition_id=competition_id,
                                         evaluations=read_evaluations(evaluations))


def award_as(*, actor, competition_id, quote_id, **fields):
    return services.competition_award(actor=actor, competition_id=competition_id,
                                      award=read_award({"quote": quote_id, **fields}))


def publish(buyer, competition) -> Competition:
    return services.competition_publish(actor=buyer, competition_id=competition.pk)


def quote_lines(competition, *prices: str) -> list[dict]:
    return [{"line": line.pk, "unit_price": price} for line, price in zip(competition.lines.all(), prices, strict=True)]


def quote_responses(competition) -> list[dict]:
    return [{"criterion": criterion.pk, "text": f"Our answer on {criterion.name}"} for criterion in competition.criteria.all()]


def submit(supplier_user, competition, *prices: str) -> Quote:
    return quote_as(
        actor=supplier_user, competition_id=competition.pk, lines=quote_lines(competition, *prices),
        delivery_terms="Within 5 days", responses=quote_responses(competition),
    )


def pass_deadline(competition) -> None:
    """Simulate time passing: move the deadline into the past (nothing else changes)."""
    Competition.objects.filter(pk=competition.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    competition.refresh_from_db()


def close(competition) -> Competition:
    pass_deadline(competition)
    services.competition_close(competition_id=competition.pk)
    competition.refresh_from_db()
    return competition


def admitted_supplier(lot, **kwargs):
    user = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER, **kwargs)
    AdmissionFactory(supplier=org_of(user), lot=lot)
    return user
