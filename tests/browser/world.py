"""A small marketplace built through the real services, for the browser journeys.

Parties (organizations, users, memberships) come from tests/factories.py; the framework, its lot,
ceilings and admissions from agreements.services; need categories and published listings from the
catalog services (so that their search entries exist); selections and orders from the marketplace
services. Every user's password is ``PASSWORD``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from agreements import services as agreements
from agreements.models import Admission, FrameworkAgreement, Lot, Membership, Organization
from catalog.models import Listing, NeedCategory
from tests.clock import months_from_this_month
from tests.factories import (
    AttributeDefinitionFactory,
    OrganizationFactory,
    member,
    need_category,
    published_listing,
)

PASSWORD = "secret-pass-123"
LOCATIONS = [{"value": "peru", "label": "Peru"}, {"value": "eu", "label": "European Union"},
             {"value": "usa", "label": "United States"}]

# title, supplier key, summary, need key, unit price per vCPU-hour, data location, 24x7 support
OFFERS = [
    ("Backup vault", "andes", "Nightly backup of servers kept in Lima.", "backup", "0.100000", "peru", True),
    ("Encrypted server backup", "pacific", "Encrypted backup copies kept in Peru for 90 days.", "backup",
     "0.080000", "peru", False),
    ("Cold storage archive", "pacific", "Archive storage with yearly restore tests.", "store", "0.060000",
     "usa", False),
    ("Website hosting", "andes", "Host a public website with a content delivery network.", "website",
     "0.150000", "eu", True),
]


@dataclass
class World:
    framework: FrameworkAgreement
    lot: Lot
    users: dict = field(default_factory=dict)
    organizations: dict = field(default_factory=dict)
    needs: dict = field(default_factory=dict)
    listings: dict = field(default_factory=dict)


def build_world() -> World:
    """Authority, two buyer organizations, two admitted suppliers, an auditor; one live framework with a
    cloud-hosting lot (ceilings 0.25 per vCPU-hour and 0.12 per GB-month), two filter questions, a need
    taxonomy and four published listings (``OFFERS``)."""
    authority = OrganizationFactory(kind=Organization.Kind.AUTHORITY, name="Central Procurement Agency")
    ministry = OrganizationFactory(kind=Organization.Kind.BUYER, name="Ministry of Health")
    town = OrganizationFactory(kind=Organization.Kind.BUYER, name="Municipality of Arequipa")
    andes = OrganizationFactory(kind=Organization.Kind.SUPPLIER, name="Andes Cloud S.A.C.")
    pacific = OrganizationFactory(kind=Organization.Kind.SUPPLIER, name="Pacific Data S.A.")
    comptroller = OrganizationFactory(kind=Organization.Kind.OVERSIGHT, name="Comptroller General")
    users = {
        "authority": member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR, organization=authority,
                            username="authority"),
        # The requester who drafts orders is also an approver, so that the two-person rule (not a
        # missing role) is what stops her activating her own order.
        "ana": member(Organization.Kind.BUYER, Membership.Role.REQUESTER, Membership.Role.APPROVER,
                      organization=ministry, username="ana"),
        "olga": member(Organization.Kind.BUYER, Membership.Role.APPROVER, organization=ministry, username="olga"),
        "rita": member(Organization.Kind.BUYER, Membership.Role.REQUESTER, organization=town, username="rita"),
        "supplier": member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER, organization=andes,
                           username="supplier"),
        "supplier2": member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER, organization=pacific,
                            username="supplier2"),
        "auditor": member(Organization.Kind.OVERSIGHT, Membership.Role.AUDITOR, organization=comptroller,
                          username="auditor"),
    }
    framework = agreements.framework_create(
        actor=None, authority=authority, reference="FA-2026-CLOUD", title="Cloud Services", currency="PEN",
        start_date=months_from_this_month(-11), end_date=months_from_this_month(24, day=-1),
        description="Cloud hosting for public entities, priced by consumption.",
    )
    framework = agreements.framework_transition(actor=None, framework=framework,
                                                target=FrameworkAgreement.Status.OPEN)
    lot = agreements.lot_create(actor=None, framework=framework, number=1, title="Cloud hosting")
    agreements.ceiling_price_set(actor=None, lot=lot, unit="vCPU-hour", max_unit_price=Decimal("0.250000"))
    agreements.ceiling_price_set(actor=None, lot=lot, unit="GB-month", max_unit_price=Decimal("0.120000"))
    for supplier in (andes, pacific):
        admission = agreements.admission_apply(actor=None, supplier=supplier, lot=lot)
        agreements.admission_transition(actor=None, admission=admission, target=Admission.Status.ADMITTED)
    framework = agreements.framework_transition(actor=None, framework=framework,
                                                target=FrameworkAgreement.Status.LIVE)
    AttributeDefinitionFactory(lot=lot, key="data_location", label="Data location", kind="choice",
                               choices=LOCATIONS, position=1)
    AttributeDefinitionFactory(lot=lot, key="support_24x7", label="Support around the clock", kind="boolean",
                               choices=[], position=2)
    store = need_category("Store and back up data", lots=[lot])
    needs = {
        "store": store,
        "backup": need_category("Back up servers", parent=store, lots=[lot]),
        "website": need_category("Host a public website", lots=[lot]),
    }
    authors = {"andes": users["supplier"], "pacific": users["supplier2"]}
    listings = {}
    for title, supplier_key, summary, need_key, price, location, support in OFFERS:
        listings[title] = published_listing(
            supplier_user=authors[supplier_key], authority_user=users["authority"], lot=lot, title=title,
            summary=summary, categories=[needs[need_key].pk], unit_price=price,
            attributes={"data_location": location, "support_24x7": support},
        )
    return World(framework=framework, lot=lot, users=users, needs=needs, listings=listings,
                 organizations={"authority": authority, "ministry": ministry, "town": town, "andes": andes,
                                "pacific": pacific, "comptroller": comptroller})


def award_and_draft_order(world: World, *, buyer_key: str = "ana", cap: str = "10.00", title: str = "Backups"):
    """Requirement → saved search (data kept in Peru) → ended search → direct award → draft order.

    The chosen offer is "Backup vault" (0.10 per vCPU-hour), not the cheapest compliant one, so the
    award carries a cheaper-option reason. Returns (requirement, search, award, order).
    """
    from marketplace.selection import services as selection
    from marketplace.selection.inputs import CriterionInput, DirectAwardInput, EstimateInput, RequirementInput

    buyer = world.users[buyer_key]
    start = max(timezone.localdate(), world.framework.start_date)
    requirement = selection.requirement_create(
        actor=buyer, details=RequirementInput(
            title=title, framework_id=world.framework.pk, lot_id=world.lot.pk,
            description="Back up the records servers every night.", budget=Decimal("500.00"),
            period_start=start, period_end=start + timedelta(days=180)),
        criteria=[CriterionInput(importance="essential", attribute_key="data_location", operator="equals",
                                 expected="peru", text="Data is kept in Peru")],
        estimates=[EstimateInput(unit="vCPU-hour", quantity=Decimal("100"))],
    )
    query = {"framework": str(world.framework.pk), "lot": str(world.lot.pk), "data_location": "peru"}
    search = selection.search_save(actor=buyer, name="Backups kept in Peru", query=query,
                                   requirement_id=requirement.pk)
    search = selection.search_freeze(actor=buyer, search_id=search.pk)
    chosen = world.listings["Backup vault"].current_version_id
    award, order = selection.award_direct(actor=buyer, search_id=search.pk, award=DirectAwardInput(
        listing_version_id=chosen, justification="Restores tested every month by the supplier.",
        cheaper_option_reason="The cheaper option has no support at night.",
        cap=Decimal(cap), start=start, end=start + timedelta(days=180),
    ))
    return requirement, search, award, order


def listing_of(world: World, title: str) -> Listing:
    return Listing.objects.get(pk=world.listings[title].pk)


def need(name: str) -> NeedCategory:
    return NeedCategory.objects.get(name=name)
