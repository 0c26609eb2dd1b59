"""Factories for call-off order tests: a listing version, an award and an order built on them."""

from decimal import Decimal

import factory
from django.utils import timezone

from agreements.models import Membership, Organization
from catalog.models import Listing, ListingVersion
from marketplace.orders.models import CallOffOrder, OrderLine
from marketplace.orders.services import order_record_usage, read_usage_reading
from marketplace.selection.models import Award, Requirement
from tests.clock import months_from_this_month
from tests.factories import FrameworkFactory, LotFactory, OrganizationFactory, UserFactory, member


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    supplier = factory.SubFactory(OrganizationFactory, kind=Organization.Kind.SUPPLIER)
    framework = factory.SubFactory(FrameworkFactory)
    lot = factory.LazyAttribute(lambda o: LotFactory(framework=o.framework))
    status = Listing.Status.PUBLISHED
    title = factory.Sequence(lambda n: f"Cloud compute {n}")
    summary = "Virtual machines billed per vCPU-hour"
    unit = "vCPU-hour"
    unit_price = Decimal("0.200000")
    created_by = factory.SubFactory(UserFactory)


class ListingVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ListingVersion

    listing = factory.SubFactory(ListingFactory)
    number = factory.Sequence(lambda n: n + 1)
    supplier = factory.SelfAttribute("listing.supplier")
    framework = factory.SelfAttribute("listing.framework")
    lot = factory.SelfAttribute("listing.lot")
    title = factory.SelfAttribute("listing.title")
    summary = factory.SelfAttribute("listing.summary")
    unit = factory.SelfAttribute("listing.unit")
    unit_price = factory.SelfAttribute("listing.unit_price")
    ceiling_price = Decimal("0.250000")
    content_hash = "0" * 64
    published_at = factory.LazyFunction(timezone.now)


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement

    organization = factory.SubFactory(OrganizationFactory, kind=Organization.Kind.BUYER)
    title = factory.Sequence(lambda n: f"Need {n}")
    created_by = factory.SubFactory(UserFactory)


class AwardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Award

    organization = factory.SubFactory(OrganizationFactory, kind=Organization.Kind.BUYER)
    requirement = factory.LazyAttribute(lambda o: RequirementFactory(organization=o.organization, created_by=o.created_by))
    listing_version = factory.SubFactory(ListingVersionFactory)
    framework = factory.SelfAttribute("listing_version.framework")
    supplier = factory.SelfAttribute("listing_version.supplier")
    method = Award.Method.DIRECT
    outcome = Award.Outcome.AWARDED
    justification = "Cheapest option that meets every essential requirement."
    created_by = factory.SubFactory(UserFactory)


class OrderFactory(factory.django.DjangoModelFactory):
    """An order (status active unless told) with one line; parties from a listing version."""

    class Meta:
        model = CallOffOrder

    # Not model fields: popped in _create to build the one line.
    version = factory.SubFactory(ListingVersionFactory)
    line_cap = None
    unit_price = None

    reference = factory.Sequence(lambda n: f"CO-TEST-{n:06d}")
    buyer = factory.SubFactory(OrganizationFactory, kind=Organization.Kind.BUYER)
    supplier = factory.SelfAttribute("version.supplier")
    framework = factory.SelfAttribute("version.framework")
    status = CallOffOrder.Status.ACTIVE
    cap = Decimal("100.00")
    original_cap = factory.SelfAttribute("cap")
    start_date = factory.LazyFunction(lambda: months_from_this_month(-11))
    end_date = factory.LazyFunction(lambda: months_from_this_month(12, day=-1))
    created_by = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        version = kwargs.pop("version", None)
        line_cap = kwargs.pop("line_cap", None)
        unit_price = kwargs.pop("unit_price", None)
        order = super()._create(model_class, *args, **kwargs)
        if version is not None:
            OrderLine.objects.create(
                order=order, listing_version=version, description=version.title, unit=version.unit,
                unit_price=unit_price if unit_price is not None else version.unit_price, cap=line_cap,
            )
        return order


def order_parties(order: CallOffOrder) -> dict:
    """Users around an order: requester (drafter), approver, supplier user, auditor."""
    requester = order.created_by
    Membership.objects.get_or_create(user=requester, organization=order.buyer, role=Membership.Role.REQUESTER)
    approver = member(Organization.Kind.BUYER, Membership.Role.APPROVER, organization=order.buyer)
    supplier_user = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER, organization=order.supplier)
    auditor = member(Organization.Kind.OVERSIGHT, Membership.Role.AUDITOR)
    return {"requester": requester, "approver": approver, "supplier": supplier_user, "auditor": auditor}


def record_usage(*, actor, order_id, line_id, quantity, occurred_at, idempotency_key, **options):
    """Post usage as the API does: the text read into a ``UsageReading``, then the service."""
    reading = read_usage_reading(line=line_id, quantity=quantity, occurred_at=occurred_at,
                                 idempotency_key=idempotency_key)
    return order_record_usage(actor=actor, order_id=order_id, reading=reading, **options)
