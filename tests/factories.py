"""factory_boy factories shared by every test package."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from agreements.models import Admission, CeilingPrice, FrameworkAgreement, Lot, Membership, Organization
from tests.clock import months_from_this_month


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "secret-pass-123")
        if create:
            self.save(update_fields=["password"])


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = Organization.Kind.BUYER
    name = factory.Sequence(lambda n: f"Organization {n}")
    legal_identifier = factory.Sequence(lambda n: f"20{n:09d}")
    identifier_scheme = "PE-RUC"
    country = "PE"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.REQUESTER


class FrameworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FrameworkAgreement

    reference = factory.Sequence(lambda n: f"FA-TEST-{n:03d}")
    title = factory.Sequence(lambda n: f"Test framework {n}")
    authority = factory.SubFactory(OrganizationFactory, kind=Organization.Kind.AUTHORITY)
    currency = "PEN"
    status = FrameworkAgreement.Status.LIVE
    # Live around now: from eleven months ago to the end of the month two years ahead.
    start_date = factory.LazyFunction(lambda: months_from_this_month(-11))
    end_date = factory.LazyFunction(lambda: months_from_this_month(24, day=-1))


class LotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lot

    framework = factory.SubFactory(FrameworkFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Lot {n}")


class CeilingPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CeilingPrice

    lot = factory.SubFactory(LotFactory)
    unit = "vCPU-hour"
    max_unit_price = Decimal("0.250000")


class AdmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Admission

    supplier = factory.SubFactory(OrganizationFactory, kind=Organization.Kind.SUPPLIER)
    lot = factory.SubFactory(LotFactory)
    status = Admission.Status.ADMITTED


def member(kind: str, *roles: str, organization: Organization | None = None, username: str | None = None):
    """A user belonging to a (new or given) organization of ``kind`` with ``roles``."""
    organization = organization or OrganizationFactory(kind=kind)
    user = UserFactory(**({"username": username} if username else {}))
    for role in roles or (Membership.Role.REQUESTER,):
        MembershipFactory(user=user, organization=organization, role=role)
    return user


# --- catalog -------------------------------------------------------------------------------------

def need_category(name: str, *, actor=None, parent=None, lots=(), slug: str = ""):
    """A need category with its materialized path, through the catalog service, created by ``actor``
    (an authority administrator or a superuser); without one, by a superuser made for the purpose, as an
    operator would through the admin. The service's own refusals are tested with explicit actors."""
    from catalog.services import category_create

    if actor is None:
        actor = UserFactory(username="taxonomy-admin", is_superuser=True)
    return category_create(actor=actor, name=name, parent=parent, lots=lots, slug=slug)


class AttributeDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.AttributeDefinition"

    lot = factory.SubFactory(LotFactory)
    key = factory.Sequence(lambda n: f"question_{n}")
    label = factory.LazyAttribute(lambda o: o.key.replace("_", " ").capitalize())
    kind = "choice"
    choices = factory.LazyFunction(lambda: [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}])


def listing_data(**overrides) -> dict:
    data = {
        "title": "Managed backup service", "summary": "Daily backups kept for 30 days.",
        "description": "Encrypted copies in two data centres.", "features": ["Daily copies"],
        "benefits": ["Recover files yourself"], "attributes": {}, "categories": [], "unit": "vCPU-hour",
        "unit_price": "0.200000", "exit_statement": "Export all data as open formats on exit.",
    }
    data.update(overrides)
    return data


def published_listing(*, supplier_user, authority_user, lot, **overrides):
    """A listing created, submitted and published through the services."""
    from catalog.models import NeedCategory
    from catalog.services import listing_create, listing_publish, listing_submit

    if not overrides.get("categories"):
        category = NeedCategory.objects.filter(slug="general-need").first() or need_category(
            "General need", slug="general-need")
        overrides["categories"] = [category.pk]
    listing = listing_create(actor=supplier_user, framework=lot.framework, lot=lot, data=listing_data(**overrides))
    listing = listing_submit(actor=supplier_user, listing=listing)
    return listing_publish(actor=authority_user, listing=listing)
