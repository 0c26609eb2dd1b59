"""The admin calls the services: actions move statuses and audit them; refused actions change nothing."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from agreements.models import Admission, CeilingPrice, FrameworkAgreement, Lot, Membership, Organization
from audit.models import AuditEvent
from tests.factories import AdmissionFactory, FrameworkFactory, LotFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    return client


def _action(client, model_name, action, objects):
    return client.post(
        reverse(f"admin:agreements_{model_name}_changelist"),
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
        follow=True,
    )


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    "model_name",
    ["organization", "membership", "frameworkagreement", "lot", "ceilingprice", "admission"],
)
def test_every_agreements_model_has_a_changelist_and_an_add_page(admin_client, model_name):
    AdmissionFactory()
    assert admin_client.get(reverse(f"admin:agreements_{model_name}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:agreements_{model_name}_add")).status_code == 200


def test_change_pages_show_status_read_only(admin_client):
    framework = FrameworkFactory(status=FrameworkAgreement.Status.OPEN)
    lot = LotFactory(framework=framework, number=1)
    admission = AdmissionFactory(lot=lot, status=Admission.Status.APPLIED)

    framework_page = admin_client.get(reverse("admin:agreements_frameworkagreement_change", args=[framework.pk]))
    admission_page = admin_client.get(reverse("admin:agreements_admission_change", args=[admission.pk]))

    assert framework_page.status_code == 200
    assert 'name="status"' not in framework_page.content.decode()
    assert admission_page.status_code == 200
    assert 'name="status"' not in admission_page.content.decode()


def test_open_action_moves_a_draft_framework_and_audits_it(admin_client):
    framework = FrameworkFactory(status=FrameworkAgreement.Status.DRAFT)

    response = _action(admin_client, "frameworkagreement", "open_to_suppliers", [framework])

    assert response.status_code == 200
    framework.refresh_from_db()
    assert framework.status == FrameworkAgreement.Status.OPEN
    event = AuditEvent.objects.get(action="framework.open")
    assert event.actor_name == "root"
    assert event.target_id == str(framework.pk)
    assert event.payload == {"from": "draft", "to": "open", "reason": ""}
    assert _messages(response) == ["1 opened."]


def test_terminate_action_records_the_fixed_reason(admin_client):
    framework = FrameworkFactory(status=FrameworkAgreement.Status.LIVE)

    _action(admin_client, "frameworkagreement", "terminate", [framework])

    framework.refresh_from_db()
    assert framework.status == FrameworkAgreement.Status.TERMINATED
    event = AuditEvent.objects.get(action="framework.terminated")
    assert event.payload == {"from": "live", "to": "terminated", "reason": "terminated via admin by root"}


def test_refused_go_live_action_reports_the_error_and_changes_nothing(admin_client):
    draft = FrameworkFactory(status=FrameworkAgreement.Status.DRAFT, reference="FA-DRAFT")
    open_without_lots = FrameworkFactory(status=FrameworkAgreement.Status.OPEN, reference="FA-EMPTY")
    events_before = AuditEvent.objects.count()

    response = _action(admin_client, "frameworkagreement", "go_live", [draft, open_without_lots])

    draft.refresh_from_db()
    open_without_lots.refresh_from_db()
    assert draft.status == FrameworkAgreement.Status.DRAFT
    assert open_without_lots.status == FrameworkAgreement.Status.OPEN
    assert AuditEvent.objects.count() == events_before
    messages = _messages(response)
    assert len(messages) == 2
    assert messages[0].startswith(f"{draft}: A framework agreement cannot move from “Draft” to “Live”")
    assert messages[1] == f"{open_without_lots}: A framework needs at least one lot before it can go live."


def test_admission_actions_admit_suspend_reinstate_and_exclude(admin_client):
    admission = AdmissionFactory(status=Admission.Status.APPLIED)

    _action(admin_client, "admission", "admit", [admission])
    admission.refresh_from_db()
    assert admission.status == Admission.Status.ADMITTED

    _action(admin_client, "admission", "suspend", [admission])
    admission.refresh_from_db()
    assert (admission.status, admission.reason) == ("suspended", "suspended via admin by root")

    _action(admin_client, "admission", "reinstate", [admission])
    admission.refresh_from_db()
    assert admission.status == Admission.Status.ADMITTED

    _action(admin_client, "admission", "exclude_supplier", [admission])
    admission.refresh_from_db()
    assert (admission.status, admission.reason) == ("excluded", "excluded via admin by root")

    assert list(
        AuditEvent.objects.filter(target_type="agreements.admission").order_by("sequence").values_list(
            "action", flat=True
        )
    ) == ["admission.admitted", "admission.suspended", "admission.admitted", "admission.excluded"]


def test_reinstate_is_refused_for_an_application_and_changes_nothing(admin_client):
    admission = AdmissionFactory(status=Admission.Status.APPLIED)
    events_before = AuditEvent.objects.count()

    response = _action(admin_client, "admission", "reinstate", [admission])

    admission.refresh_from_db()
    assert admission.status == Admission.Status.APPLIED
    assert AuditEvent.objects.count() == events_before
    assert _messages(response) == [f"{admission}: only suspended admissions can take this action."]


def test_refused_exclude_of_an_excluded_admission_changes_nothing(admin_client):
    admission = AdmissionFactory(status=Admission.Status.EXCLUDED, reason="fraud")
    events_before = AuditEvent.objects.count()

    _action(admin_client, "admission", "exclude_supplier", [admission])

    admission.refresh_from_db()
    assert (admission.status, admission.reason) == ("excluded", "fraud")
    assert AuditEvent.objects.count() == events_before


def test_adding_a_framework_in_the_admin_goes_through_the_service(admin_client):
    authority = OrganizationFactory(kind=Organization.Kind.AUTHORITY)

    response = admin_client.post(
        reverse("admin:agreements_frameworkagreement_add"),
        {
            "reference": "FA-ADMIN-1", "title": "Admin framework", "description": "", "authority": authority.pk,
            "currency": "gbp", "start_date": "2027-01-01", "end_date": "2028-01-01", "direct_award_allowed": "on",
            "max_frozen_results": "30", "min_quotation_business_days": "2", "max_call_off_months": "24",
            "lots-TOTAL_FORMS": "0", "lots-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    framework = FrameworkAgreement.objects.get(reference="FA-ADMIN-1")
    assert (framework.status, framework.currency) == ("draft", "GBP")
    assert AuditEvent.objects.get(action="framework.created").target_id == str(framework.pk)


def test_adding_a_lot_with_ceilings_in_the_admin_goes_through_the_services(admin_client):
    framework = FrameworkFactory(status=FrameworkAgreement.Status.OPEN)

    response = admin_client.post(
        reverse("admin:agreements_lot_add"),
        {
            "framework": framework.pk, "number": "1", "title": "Cloud hosting", "description": "",
            "max_delivery_days": "",
            "ceiling_prices-TOTAL_FORMS": "1", "ceiling_prices-INITIAL_FORMS": "0",
            "ceiling_prices-0-unit": "vCPU-hour", "ceiling_prices-0-max_unit_price": "0.25",
        },
    )

    assert response.status_code == 302
    lot = Lot.objects.get(framework=framework)
    assert list(CeilingPrice.objects.filter(lot=lot).values_list("unit", "max_unit_price")) == [
        ("vCPU-hour", Decimal("0.250000"))
    ]
    assert list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True)) == [
        "lot.created", "ceiling_price.set",
    ]


def test_adding_a_lot_to_a_live_framework_is_refused_in_the_admin_and_saves_nothing(admin_client):
    framework = FrameworkFactory(status=FrameworkAgreement.Status.LIVE)

    response = admin_client.post(
        reverse("admin:agreements_lot_add"),
        {
            "framework": framework.pk, "number": "1", "title": "Cloud hosting", "description": "",
            "max_delivery_days": "",
            "ceiling_prices-TOTAL_FORMS": "1", "ceiling_prices-INITIAL_FORMS": "0",
            "ceiling_prices-0-unit": "vCPU-hour", "ceiling_prices-0-max_unit_price": "0.25",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert _messages(response) == ["Lots can only be added while the framework is draft or open."]
    assert Lot.objects.count() == 0
    assert CeilingPrice.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_adding_a_membership_in_a_second_organization_is_refused_in_the_admin(admin_client):
    user = UserFactory(username="ana")
    first = OrganizationFactory(kind=Organization.Kind.BUYER)
    second = OrganizationFactory(kind=Organization.Kind.BUYER)
    Membership.objects.create(user=user, organization=first, role=Membership.Role.REQUESTER)

    response = admin_client.post(
        reverse("admin:agreements_membership_add"),
        {"user": user.pk, "organization": second.pk, "role": "approver"},
        follow=True,
    )

    assert _messages(response) == ["This user already belongs to another organization."]
    assert list(Membership.objects.filter(user=user).values_list("organization_id", flat=True)) == [first.pk]


def test_changing_a_ceiling_on_the_lot_page_goes_through_the_service(admin_client):
    framework = FrameworkFactory(status=FrameworkAgreement.Status.OPEN)
    lot = LotFactory(framework=framework, number=1)
    ceiling = CeilingPrice.objects.create(lot=lot, unit="vCPU-hour", max_unit_price=Decimal("0.250000"))

    response = admin_client.post(
        reverse("admin:agreements_lot_change", args=[lot.pk]),
        {
            "ceiling_prices-TOTAL_FORMS": "2", "ceiling_prices-INITIAL_FORMS": "1",
            "ceiling_prices-0-id": ceiling.pk, "ceiling_prices-0-lot": lot.pk,
            "ceiling_prices-0-max_unit_price": "0.2",
            "ceiling_prices-1-lot": lot.pk, "ceiling_prices-1-unit": "GB-month",
            "ceiling_prices-1-max_unit_price": "0.12",
        },
    )

    assert response.status_code == 302
    assert list(CeilingPrice.objects.filter(lot=lot).order_by("unit").values_list("unit", "max_unit_price")) == [
        ("GB-month", Decimal("0.120000")), ("vCPU-hour", Decimal("0.200000")),
    ]
    assert [event.payload for event in AuditEvent.objects.order_by("sequence")] == [
        {"lot": lot.pk, "unit": "vCPU-hour", "max_unit_price": "0.200000", "previous": "0.250000"},
        {"lot": lot.pk, "unit": "GB-month", "max_unit_price": "0.120000", "previous": None},
    ]
