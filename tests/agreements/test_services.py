"""Validation and permission rules of the agreements services (lifecycle tables are in test_lifecycles)."""

from datetime import date
from decimal import Decimal

import pytest

from agreements import services
from agreements.models import Admission, CeilingPrice, FrameworkAgreement, Lot, Membership, Organization
from audit.models import AuditEvent
from common.errors import Conflict, Forbidden, ValidationFailed
from tests.factories import (
    AdmissionFactory,
    CeilingPriceFactory,
    FrameworkFactory,
    LotFactory,
    OrganizationFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db


def _authority_member(framework):
    return member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR, organization=framework.authority)


def _authority_administrator():
    return member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR)


# --- admission_apply -------------------------------------------------------------------------------------------


def test_supplier_applies_to_an_open_framework_and_it_is_audited():
    lot = LotFactory(framework=FrameworkFactory(status=FrameworkAgreement.Status.OPEN), number=1)
    user = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER)
    supplier = user.memberships.get().organization

    admission = services.admission_apply(actor=user, supplier=supplier, lot=lot)

    assert admission.status == Admission.Status.APPLIED
    assert Admission.objects.filter(supplier=supplier, lot=lot).count() == 1
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == "admission.applied"
    assert event.organization_id_snapshot == supplier.pk
    assert event.payload == {"supplier": supplier.name, "lot": lot.pk, "framework": lot.framework.reference}


@pytest.mark.parametrize(
    "status",
    [
        FrameworkAgreement.Status.DRAFT,
        FrameworkAgreement.Status.LIVE,
        FrameworkAgreement.Status.EXPIRED,
        FrameworkAgreement.Status.TERMINATED,
    ],
)
def test_applying_is_refused_unless_the_framework_is_open(status):
    lot = LotFactory(framework=FrameworkFactory(status=status), number=1)
    user = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER)
    supplier = user.memberships.get().organization
    events_before = AuditEvent.objects.count()

    with pytest.raises(Conflict) as excinfo:
        services.admission_apply(actor=user, supplier=supplier, lot=lot)

    assert excinfo.value.code == "framework_not_open"
    assert Admission.objects.count() == 0
    assert AuditEvent.objects.count() == events_before


def test_applying_twice_to_the_same_lot_is_a_conflict():
    lot = LotFactory(framework=FrameworkFactory(status=FrameworkAgreement.Status.OPEN), number=1)
    user = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER)
    supplier = user.memberships.get().organization
    services.admission_apply(actor=user, supplier=supplier, lot=lot)
    events_before = AuditEvent.objects.count()

    with pytest.raises(Conflict) as excinfo:
        services.admission_apply(actor=user, supplier=supplier, lot=lot)

    assert excinfo.value.code == "already_applied"
    assert Admission.objects.count() == 1
    assert AuditEvent.objects.count() == events_before


def test_supplier_cannot_apply_on_behalf_of_another_supplier():
    lot = LotFactory(framework=FrameworkFactory(status=FrameworkAgreement.Status.OPEN), number=1)
    user = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER)
    other_supplier = OrganizationFactory(kind=Organization.Kind.SUPPLIER)

    with pytest.raises(Forbidden):
        services.admission_apply(actor=user, supplier=other_supplier, lot=lot)

    assert Admission.objects.count() == 0


def test_only_suppliers_can_apply():
    lot = LotFactory(framework=FrameworkFactory(status=FrameworkAgreement.Status.OPEN), number=1)
    buyer = OrganizationFactory(kind=Organization.Kind.BUYER)

    with pytest.raises(ValidationFailed):
        services.admission_apply(actor=None, supplier=buyer, lot=lot)

    assert Admission.objects.count() == 0


# --- ceiling_price_set -----------------------------------------------------------------------------------------


def test_ceiling_price_is_created_rounded_and_audited():
    lot = LotFactory(framework=FrameworkFactory(status=FrameworkAgreement.Status.OPEN), number=1)
    actor = _authority_member(lot.framework)

    ceiling = services.ceiling_price_set(actor=actor, lot=lot, unit=" GB-month ", max_unit_price="0.1234565")

    ceiling.refresh_from_db()
    assert ceiling.unit == "GB-month"
    assert ceiling.max_unit_price == Decimal("0.123456")  # half-even at 6 places
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == "ceiling_price.set"
    assert event.payload == {"lot": lot.pk, "unit": "GB-month", "max_unit_price": "0.123456", "previous": None}


def test_changing_a_ceiling_updates_the_row_and_records_the_previous_price():
    ceiling = CeilingPriceFactory(lot=LotFactory(number=1), unit="vCPU-hour", max_unit_price=Decimal("0.250000"))
    actor = _authority_member(ceiling.lot.framework)

    services.ceiling_price_set(actor=actor, lot=ceiling.lot, unit="vCPU-hour", max_unit_price=Decimal("0.2"))

    assert CeilingPrice.objects.count() == 1
    ceiling.refresh_from_db()
    assert ceiling.max_unit_price == Decimal("0.200000")
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.payload == {
        "lot": ceiling.lot_id, "unit": "vCPU-hour", "max_unit_price": "0.200000", "previous": "0.250000",
    }


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", 0.5, "0", "0.0000001", "-1", Decimal("-0.01"),
                                   "1e30", "1000000000000"])
def test_invalid_ceiling_is_refused_and_creates_nothing(value):
    lot = LotFactory(number=1)
    actor = _authority_member(lot.framework)
    events_before = AuditEvent.objects.count()

    with pytest.raises(ValidationFailed) as excinfo:
        services.ceiling_price_set(actor=actor, lot=lot, unit="vCPU-hour", max_unit_price=value)

    assert list(excinfo.value.fields) == ["max_unit_price"]
    assert CeilingPrice.objects.count() == 0
    assert AuditEvent.objects.count() == events_before


def test_invalid_ceiling_leaves_an_existing_ceiling_unchanged():
    ceiling = CeilingPriceFactory(lot=LotFactory(number=1), unit="vCPU-hour", max_unit_price=Decimal("0.250000"))
    actor = _authority_member(ceiling.lot.framework)

    with pytest.raises(ValidationFailed):
        services.ceiling_price_set(actor=actor, lot=ceiling.lot, unit="vCPU-hour", max_unit_price="-3")

    ceiling.refresh_from_db()
    assert ceiling.max_unit_price == Decimal("0.250000")


def test_ceiling_needs_a_unit():
    lot = LotFactory(number=1)
    actor = _authority_member(lot.framework)

    with pytest.raises(ValidationFailed) as excinfo:
        services.ceiling_price_set(actor=actor, lot=lot, unit="  ", max_unit_price="1")

    assert list(excinfo.value.fields) == ["unit"]
    assert CeilingPrice.objects.count() == 0


def test_another_authority_cannot_set_a_ceiling():
    lot = LotFactory(number=1)
    outsider = member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR)

    with pytest.raises(Forbidden):
        services.ceiling_price_set(actor=outsider, lot=lot, unit="vCPU-hour", max_unit_price="1")

    assert CeilingPrice.objects.count() == 0


# --- membership_add --------------------------------------------------------------------------------------------


def test_membership_in_a_second_organization_is_refused():
    user = member(Organization.Kind.BUYER, Membership.Role.REQUESTER)
    first = user.memberships.get().organization
    second = OrganizationFactory(kind=Organization.Kind.BUYER)
    events_before = AuditEvent.objects.count()

    with pytest.raises(Conflict) as excinfo:
        services.membership_add(actor=_authority_administrator(), user=user, organization=second,
                                role=Membership.Role.APPROVER)

    assert excinfo.value.code == "other_organization"
    assert list(Membership.objects.filter(user=user).values_list("organization_id", "role")) == [
        (first.pk, "requester")
    ]
    assert AuditEvent.objects.count() == events_before


def test_second_role_in_the_same_organization_is_added_once_and_audited_once():
    user = member(Organization.Kind.BUYER, Membership.Role.REQUESTER)
    organization = user.memberships.get().organization

    administrator = _authority_administrator()
    services.membership_add(actor=administrator, user=user, organization=organization, role=Membership.Role.APPROVER)
    services.membership_add(actor=administrator, user=user, organization=organization, role=Membership.Role.APPROVER)

    assert sorted(Membership.objects.filter(user=user).values_list("role", flat=True)) == ["approver", "requester"]
    assert AuditEvent.objects.filter(action="membership.added").count() == 1
    assert AuditEvent.objects.get(action="membership.added").payload == {"user": user.username, "role": "approver"}


def test_unknown_role_is_refused():
    user = UserFactory()
    organization = OrganizationFactory()
    superuser = UserFactory(is_superuser=True)

    with pytest.raises(ValidationFailed):
        services.membership_add(actor=superuser, user=user, organization=organization, role="king")

    assert Membership.objects.filter(user=user).count() == 0


@pytest.mark.parametrize("kind,role", [
    (Organization.Kind.OVERSIGHT, Membership.Role.AUDITOR),
    (Organization.Kind.AUTHORITY, Membership.Role.APPROVER),  # of the authority, but not its administrator
    (Organization.Kind.BUYER, Membership.Role.ADMINISTRATOR),
    (Organization.Kind.SUPPLIER, Membership.Role.ADMINISTRATOR),
])
def test_membership_add_is_refused_to_anyone_but_an_authority_administrator(kind, role):
    actor = member(kind, role)
    user = UserFactory()
    organization = OrganizationFactory(kind=Organization.Kind.BUYER)
    memberships_before, events_before = Membership.objects.count(), AuditEvent.objects.count()

    with pytest.raises(Forbidden):
        services.membership_add(actor=actor, user=user, organization=organization, role=Membership.Role.REQUESTER)

    assert (Membership.objects.count(), AuditEvent.objects.count()) == (memberships_before, events_before)
    assert not Membership.objects.filter(user=user).exists()


# --- organization_create ---------------------------------------------------------------------------------------


def test_organization_create_normalises_and_audits():
    administrator = _authority_administrator()
    organization = services.organization_create(
        actor=administrator, kind="supplier", name="  Andes Cloud  ", legal_identifier=" 20500000001 ", country="pe",
        identifier_scheme="PE-RUC",
    )

    organization.refresh_from_db()
    assert (organization.name, organization.legal_identifier, organization.country) == (
        "Andes Cloud", "20500000001", "PE",
    )
    event = AuditEvent.objects.get(action="organization.created")
    assert event.payload == {"kind": "supplier", "name": "Andes Cloud", "legal_identifier": "20500000001"}
    assert (event.actor_name, event.organization_id_snapshot) == (administrator.username,
                                                         administrator.memberships.get().organization_id)


@pytest.mark.parametrize("kind,country,field", [("emperor", "PE", "kind"), ("buyer", "PER", "country"),
                                                ("buyer", "1A", "country")])
def test_organization_create_refuses_bad_kind_or_country(kind, country, field):
    superuser = UserFactory(is_superuser=True)

    with pytest.raises(ValidationFailed) as excinfo:
        services.organization_create(actor=superuser, kind=kind, name="X", legal_identifier="1", country=country)

    assert list(excinfo.value.fields) == [field]
    assert Organization.objects.count() == 0


@pytest.mark.parametrize("kind,role", [
    (Organization.Kind.OVERSIGHT, Membership.Role.AUDITOR),
    (Organization.Kind.AUTHORITY, Membership.Role.PUBLISHER),  # of the authority, but not its administrator
    (Organization.Kind.BUYER, Membership.Role.ADMINISTRATOR),
    (Organization.Kind.SUPPLIER, Membership.Role.ADMINISTRATOR),
])
def test_organization_create_is_refused_to_anyone_but_an_authority_administrator(kind, role):
    actor = member(kind, role)
    organizations_before, events_before = Organization.objects.count(), AuditEvent.objects.count()

    with pytest.raises(Forbidden):
        services.organization_create(actor=actor, kind="supplier", name="Andes Cloud", legal_identifier="2050",
                                     country="PE")

    assert (Organization.objects.count(), AuditEvent.objects.count()) == (organizations_before, events_before)
    assert not Organization.objects.filter(name="Andes Cloud").exists()


def test_a_superuser_may_create_an_organization_and_its_first_membership():
    superuser = UserFactory(is_superuser=True)
    user = UserFactory()

    authority = services.organization_create(actor=superuser, kind="authority", name="Agency", legal_identifier="1",
                                             country="PE")
    services.membership_add(actor=superuser, user=user, organization=authority, role=Membership.Role.ADMINISTRATOR)

    assert list(Membership.objects.filter(user=user).values_list("organization_id", "role")) == [
        (authority.pk, "administrator")]
    assert list(AuditEvent.objects.filter(action__in=["organization.created", "membership.added"])
                .values_list("action", "actor_name")) == [("organization.created", superuser.username),
                                                          ("membership.added", superuser.username)]


# --- framework_create ------------------------------------------------------------------------------------------


def _create_kwargs(authority, **overrides):
    values = {
        "authority": authority, "reference": "FA-2027-PAPER", "title": "Paper", "currency": "pen",
        "start_date": date(2027, 1, 1), "end_date": date(2028, 1, 1),
    }
    values.update(overrides)
    return values


def test_framework_create_makes_a_draft_and_audits_it():
    actor = member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR)
    authority = actor.memberships.get().organization

    framework = services.framework_create(actor=actor, **_create_kwargs(authority))

    framework.refresh_from_db()
    assert framework.status == FrameworkAgreement.Status.DRAFT
    assert framework.currency == "PEN"
    assert (framework.max_frozen_results, framework.min_quotation_business_days, framework.max_call_off_months) == (
        30, 2, 24,
    )
    event = AuditEvent.objects.get(action="framework.created")
    assert event.payload == {"reference": "FA-2027-PAPER", "title": "Paper", "currency": "PEN",
                             "start_date": "2027-01-01", "end_date": "2028-01-01", "max_cap_increase_percent": None}


@pytest.mark.parametrize(
    "overrides,fields",
    [
        ({"end_date": date(2027, 1, 1)}, ["end_date"]),
        ({"end_date": date(2026, 6, 1)}, ["end_date"]),
        ({"currency": "EU"}, ["currency"]),
        ({"currency": "E1R"}, ["currency"]),
        ({"max_frozen_results": 0}, ["max_frozen_results"]),
        ({"max_call_off_months": 0}, ["max_call_off_months"]),
        ({"max_cap_increase_percent": 1001}, ["max_cap_increase_percent"]),
        ({"currency": "EURO", "end_date": date(2026, 1, 1)}, ["currency", "end_date"]),
    ],
)
def test_framework_create_refuses_invalid_fields(overrides, fields):
    actor = member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR)
    authority = actor.memberships.get().organization

    with pytest.raises(ValidationFailed) as excinfo:
        services.framework_create(actor=actor, **_create_kwargs(authority, **overrides))

    assert sorted(excinfo.value.fields) == fields
    assert FrameworkAgreement.objects.count() == 0
    assert AuditEvent.objects.filter(action="framework.created").count() == 0


def test_framework_create_refuses_a_duplicate_reference():
    actor = member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR)
    authority = actor.memberships.get().organization
    services.framework_create(actor=actor, **_create_kwargs(authority))

    with pytest.raises(ValidationFailed) as excinfo:
        services.framework_create(actor=actor, **_create_kwargs(authority, title="Another"))

    assert list(excinfo.value.fields) == ["reference"]
    assert list(FrameworkAgreement.objects.values_list("title", flat=True)) == ["Paper"]


def test_framework_must_belong_to_an_authority():
    buyer = OrganizationFactory(kind=Organization.Kind.BUYER)

    with pytest.raises(ValidationFailed):
        services.framework_create(actor=None, **_create_kwargs(buyer))

    assert FrameworkAgreement.objects.count() == 0


def test_another_authority_cannot_create_frameworks_for_this_one():
    authority = OrganizationFactory(kind=Organization.Kind.AUTHORITY)
    outsider = member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR)

    with pytest.raises(Forbidden):
        services.framework_create(actor=outsider, **_create_kwargs(authority))

    assert FrameworkAgreement.objects.count() == 0


# --- lot_create ------------------------------------------------------------------------------------------------


def test_lot_create_on_a_live_framework_is_refused():
    framework = FrameworkFactory(status=FrameworkAgreement.Status.LIVE)
    actor = _authority_member(framework)

    with pytest.raises(Conflict) as excinfo:
        services.lot_create(actor=actor, framework=framework, number=1, title="Hosting")

    assert excinfo.value.code == "framework_not_editable"
    assert Lot.objects.count() == 0


def test_lot_number_must_be_unique_in_the_framework():
    framework = FrameworkFactory(status=FrameworkAgreement.Status.DRAFT)
    actor = _authority_member(framework)
    services.lot_create(actor=actor, framework=framework, number=1, title="Hosting")

    with pytest.raises(ValidationFailed) as excinfo:
        services.lot_create(actor=actor, framework=framework, number=1, title="Software")

    assert list(excinfo.value.fields) == ["number"]
    assert list(Lot.objects.values_list("title", flat=True)) == ["Hosting"]


def test_admission_factory_default_is_admitted():
    # Guards the fixtures other test packages rely on.
    assert AdmissionFactory().status == Admission.Status.ADMITTED


def test_the_database_refuses_a_cap_increase_limit_the_services_would_refuse():
    from django.db import IntegrityError, transaction

    framework = FrameworkFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        FrameworkAgreement.objects.filter(pk=framework.pk).update(max_cap_increase_percent=1001)

    framework.refresh_from_db()
    assert framework.max_cap_increase_percent is None
    FrameworkAgreement.objects.filter(pk=framework.pk).update(max_cap_increase_percent=1000)  # the bound itself is fine
