"""Test data for the selection journey, independent of the catalog's own factories.

``published_listing`` writes a listing, its version and its search entry (through the catalog's
own indexer), so that freezing goes through the real search.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import factory
from django.utils import timezone

from agreements.models import Membership, Organization
from catalog.models import AttributeDefinition, Listing, ListingVersion
from marketplace.selection.models import Requirement, RequirementCriterion, RequirementEstimate
from tests.clock import months_from_this_month
from tests.factories import (
    AdmissionFactory,
    CeilingPriceFactory,
    FrameworkFactory,
    LotFactory,
    OrganizationFactory,
    member,
)

AWARD_TERM = {"cap": "5000.00", "start": months_from_this_month(-9), "end": months_from_this_month(0, day=-1)}


class AttributeDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttributeDefinition

    lot = factory.SubFactory(LotFactory)
    key = factory.Sequence(lambda n: f"attribute_{n}")
    label = factory.LazyAttribute(lambda o: o.key.replace("_", " "))
    kind = AttributeDefinition.Kind.CHOICE


class SelectionRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement

    organization = factory.SubFactory(OrganizationFactory, kind=Organization.Kind.BUYER)
    title = factory.Sequence(lambda n: f"Hosting need {n}")
    created_by = factory.LazyAttribute(lambda o: member(Organization.Kind.BUYER, organization=o.organization))


def published_listing(*, supplier: Organization, lot, title: str, unit: str = "vCPU-hour",
                      unit_price: str = "0.200000", ceiling: str = "0.250000", attributes: dict | None = None,
                      summary: str = "Virtual machines billed per vCPU-hour", features: list | None = None,
                      exit_statement: str = "", lead_time_days: int | None = None, stock: int | None = None,
                      index: bool = True) -> ListingVersion:
    """A published listing with one version, indexed for search (the catalog's own indexer)."""
    author = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER, organization=supplier)
    listing = Listing.objects.create(
        supplier=supplier, framework=lot.framework, lot=lot, status=Listing.Status.PUBLISHED, title=title,
        summary=summary, features=features or [], attributes=attributes or {}, unit=unit,
        unit_price=Decimal(unit_price), exit_statement=exit_statement, lead_time_days=lead_time_days, stock=stock,
        created_by=author, has_unpublished_changes=False,
    )
    version = ListingVersion.objects.create(
        listing=listing, number=1, supplier=supplier, framework=lot.framework, lot=lot, title=title,
        summary=summary, features=features or [], attributes=attributes or {}, unit=unit,
        unit_price=Decimal(unit_price), ceiling_price=Decimal(ceiling), exit_statement=exit_statement,
        lead_time_days=lead_time_days, content_hash=hashlib.sha256(title.encode()).hexdigest(),
        published_at=timezone.now(), published_by=author,
    )
    Listing.objects.filter(pk=listing.pk).update(current_version=version)
    listing.refresh_from_db()
    if index:
        from catalog.search.index import index_listing

        index_listing(listing=listing)
    return version


def admitted_supplier(*, lot, name: str, email: str = "", phone: str = "") -> Organization:
    supplier = OrganizationFactory(kind=Organization.Kind.SUPPLIER, name=name, contact_email=email,
                                   contact_phone=phone)
    AdmissionFactory(supplier=supplier, lot=lot)
    return supplier


def hosting_market(*, framework=None, listings: int = 3):
    """A live framework with a hosting lot, two attribute questions and ``listings`` offers.

    Offers (unit price per vCPU-hour; data location; uptime %):
    1 "Andes compute" 0.200000 PE 99.9 · 2 "Pacific compute" 0.150000 US 99.95 · 3 "Condor compute"
    0.180000 PE 99.5, then more "Extra compute n" at 0.210000 PE 99.9.
    """
    framework = framework or FrameworkFactory()
    lot = LotFactory(framework=framework, number=1, title="Cloud hosting")
    CeilingPriceFactory(lot=lot, unit="vCPU-hour", max_unit_price=Decimal("0.250000"))
    AttributeDefinitionFactory(lot=lot, key="data_location", kind=AttributeDefinition.Kind.CHOICE,
                               choices=[{"value": "PE", "label": "Peru"}, {"value": "US", "label": "USA"}])
    AttributeDefinitionFactory(lot=lot, key="uptime", kind=AttributeDefinition.Kind.NUMBER, unit="%")
    specs = [
        ("Andes compute", "Andes Cloud", "0.200000", "PE", "99.9", "sales@andes.example", "+51 1 111 1111"),
        ("Pacific compute", "Pacific Data", "0.150000", "US", "99.95", "bids@pacific.example", "+51 1 222 2222"),
        ("Condor compute", "Condor IT", "0.180000", "PE", "99.5", "hello@condor.example", "+51 1 333 3333"),
    ]
    for n in range(3, listings):
        specs.append((f"Extra compute {n}", f"Extra Supplier {n}", "0.210000", "PE", "99.9", "", ""))
    versions = []
    for title, supplier_name, price, location, uptime, email, phone in specs[:listings]:
        supplier = admitted_supplier(lot=lot, name=supplier_name, email=email, phone=phone)
        versions.append(published_listing(
            supplier=supplier, lot=lot, title=title, unit_price=price,
            attributes={"data_location": location, "uptime": uptime},
            features=[f"{title} feature"], exit_statement=f"{supplier_name} exports data as open formats.",
            lead_time_days=1,
        ))
    return framework, lot, versions


def add_criterion(requirement: Requirement, *, importance: str, text: str, attribute_key: str = "",
                  operator: str = "text", expected=None) -> RequirementCriterion:
    return RequirementCriterion.objects.create(
        requirement=requirement, importance=importance, text=text, attribute_key=attribute_key,
        operator=operator, expected=expected, position=requirement.criteria.count(),
    )


def add_estimate(requirement: Requirement, *, unit: str, quantity: str) -> RequirementEstimate:
    return RequirementEstimate.objects.create(requirement=requirement, unit=unit, quantity=Decimal(quantity))


def search_saved_from_pages(client, framework, *, name: str = "Peru", requirement: str = "new", end: bool = True):
    """Through the buyer's pages: save the search of ``framework``'s catalog into ``requirement``
    ("new" or a requirement's id) and, with ``end``, end it. The only saved search of the test."""
    from urllib.parse import urlencode

    from marketplace.selection.models import SavedSearch

    client.post("/buyer/searches/save/", {"name": name, "requirement": requirement,
                                          "query_string": urlencode({"framework": framework.pk})})
    search = SavedSearch.objects.get()
    if end:
        client.post(f"/buyer/searches/{search.pk}/end/", {"confirm": "on"})
        search.refresh_from_db()
    return search
