"""Every (from, to) pair of the FrameworkAgreement and Admission lifecycle tables, through the services."""

import itertools

import pytest

from agreements import services
from agreements.models import Admission, FrameworkAgreement, Membership, Organization
from audit.models import AuditEvent
from common.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from tests.factories import AdmissionFactory, FrameworkFactory, LotFactory, UserFactory, member

pytestmark = pytest.mark.django_db

FRAMEWORK_STATUSES = list(FrameworkAgreement.Status)
ADMISSION_STATUSES = list(Admission.Status)

FRAMEWORK_ALLOWED = [
    (source, target)
    for source, target in itertools.product(FRAMEWORK_STATUSES, FRAMEWORK_STATUSES)
    if target in FrameworkAgreement.TRANSITIONS[source]
]
FRAMEWORK_REFUSED = [
    (source, target)
    for source, target in itertools.product(FRAMEWORK_STATUSES, FRAMEWORK_STATUSES)
    if target not in FrameworkAgreement.TRANSITIONS[source]
]
ADMISSION_ALLOWED = [
    (source, target)
    for source, target in itertools.product(ADMISSION_STATUSES, ADMISSION_STATUSES)
    if target in Admission.TRANSITIONS[source]
]
ADMISSION_REFUSED = [
    (source, target)
    for source, target in itertools.product(ADMISSION_STATUSES, ADMISSION_STATUSES)
    if target not in Admission.TRANSITIONS[source]
]


def _pair_id(pair):
    return f"{pair[0]}->{pair[1]}"


def test_tables_cover_design_section_3_exactly():
    assert {(str(a), str(b)) for a, b in FRAMEWORK_ALLOWED} == {
        ("draft", "open"), ("open", "live"), ("open", "terminated"), ("live", "expired"), ("live", "terminated"),
    }
    assert {(str(a), str(b)) for a, b in ADMISSION_ALLOWED} == {
        ("applied", "admitted"), ("applied", "rejected"), ("admitted", "suspended"), ("admitted", "excluded"),
        ("suspended", "admitted"),
    }
    assert len(FRAMEWORK_REFUSED) == 20
    assert len(ADMISSION_REFUSED) == 20


def _framework_with_lot(status):
    framework = FrameworkFactory(status=status)
    LotFactory(framework=framework, number=1)
    return framework


def _authority_member(framework):
    return member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR, organization=framework.authority)


@pytest.mark.parametrize("pair", FRAMEWORK_ALLOWED, ids=_pair_id)
def test_framework_allowed_move_succeeds_and_is_audited(pair):
    source, target = pair
    framework = _framework_with_lot(source)
    actor = _authority_member(framework)
    events_before = AuditEvent.objects.count()

    result = services.framework_transition(actor=actor, framework=framework, target=target, reason="Policy review")

    assert result.status == target
    framework.refresh_from_db()
    assert framework.status == target
    assert framework.status_changed_at is not None
    assert AuditEvent.objects.count() == events_before + 1
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == f"framework.{target}"
    assert event.target_type == "agreements.frameworkagreement"
    assert event.target_id == str(framework.pk)
    assert event.actor_id == actor.pk
    assert event.actor_name == actor.username
    assert event.organization_id_snapshot == framework.authority.pk
    assert event.organization_name == framework.authority.name
    assert event.payload == {"from": str(source), "to": str(target), "reason": "Policy review"}


@pytest.mark.parametrize("pair", FRAMEWORK_REFUSED, ids=_pair_id)
def test_framework_refused_move_raises_and_changes_nothing(pair):
    source, target = pair
    framework = _framework_with_lot(source)
    actor = _authority_member(framework)
    events_before = AuditEvent.objects.count()

    with pytest.raises(InvalidTransition) as excinfo:
        services.framework_transition(actor=actor, framework=framework, target=target, reason="Policy review")

    assert excinfo.value.code == "invalid_transition"
    assert excinfo.value.extra["current"] == source
    assert excinfo.value.extra["target"] == target
    framework.refresh_from_db()
    assert framework.status == source
    assert framework.status_changed_at is None
    assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize("pair", ADMISSION_ALLOWED, ids=_pair_id)
def test_admission_allowed_move_succeeds_and_is_audited(pair):
    source, target = pair
    framework = _framework_with_lot(FrameworkAgreement.Status.LIVE)
    admission = AdmissionFactory(lot=framework.lots.get(), status=source)
    actor = _authority_member(framework)
    events_before = AuditEvent.objects.count()

    result = services.admission_transition(actor=actor, admission=admission, target=target, reason="Checked documents")

    assert result.status == target
    admission.refresh_from_db()
    assert admission.status == target
    assert admission.reason == "Checked documents"
    assert admission.decided_at is not None
    assert AuditEvent.objects.count() == events_before + 1
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == f"admission.{target}"
    assert event.target_type == "agreements.admission"
    assert event.target_id == str(admission.pk)
    assert event.actor_id == actor.pk
    assert event.organization_id_snapshot == framework.authority.pk
    assert event.payload == {
        "supplier": admission.supplier.name, "lot": admission.lot_id, "from": str(source), "to": str(target),
        "reason": "Checked documents",
    }


@pytest.mark.parametrize("pair", ADMISSION_REFUSED, ids=_pair_id)
def test_admission_refused_move_raises_and_changes_nothing(pair):
    source, target = pair
    framework = _framework_with_lot(FrameworkAgreement.Status.LIVE)
    admission = AdmissionFactory(lot=framework.lots.get(), status=source)
    actor = _authority_member(framework)
    events_before = AuditEvent.objects.count()

    with pytest.raises(InvalidTransition):
        services.admission_transition(actor=actor, admission=admission, target=target, reason="Checked documents")

    admission.refresh_from_db()
    assert admission.status == source
    assert admission.reason == ""
    assert admission.decided_at is None
    assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize("kind", [Organization.Kind.AUTHORITY, Organization.Kind.BUYER, Organization.Kind.SUPPLIER])
def test_only_the_frameworks_own_authority_may_transition_it(kind):
    framework = _framework_with_lot(FrameworkAgreement.Status.OPEN)
    outsider = member(kind, Membership.Role.ADMINISTRATOR)
    events_before = AuditEvent.objects.count()

    with pytest.raises(Forbidden):
        services.framework_transition(actor=outsider, framework=framework, target=FrameworkAgreement.Status.LIVE)

    framework.refresh_from_db()
    assert framework.status == FrameworkAgreement.Status.OPEN
    assert AuditEvent.objects.count() == events_before


def test_user_without_organization_may_not_transition_a_framework():
    framework = _framework_with_lot(FrameworkAgreement.Status.DRAFT)
    loner = UserFactory()
    with pytest.raises(Forbidden):
        services.framework_transition(actor=loner, framework=framework, target=FrameworkAgreement.Status.OPEN)
    framework.refresh_from_db()
    assert framework.status == FrameworkAgreement.Status.DRAFT


def test_only_the_frameworks_own_authority_may_decide_admissions():
    framework = _framework_with_lot(FrameworkAgreement.Status.OPEN)
    admission = AdmissionFactory(lot=framework.lots.get(), status=Admission.Status.APPLIED)
    other_authority_user = member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR)
    events_before = AuditEvent.objects.count()

    with pytest.raises(Forbidden):
        services.admission_transition(
            actor=other_authority_user, admission=admission, target=Admission.Status.ADMITTED
        )

    admission.refresh_from_db()
    assert admission.status == Admission.Status.APPLIED
    assert admission.decided_at is None
    assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize("reason", ["", "   "])
def test_terminating_a_framework_needs_a_reason(reason):
    framework = _framework_with_lot(FrameworkAgreement.Status.LIVE)
    actor = _authority_member(framework)
    events_before = AuditEvent.objects.count()

    with pytest.raises(ValidationFailed) as excinfo:
        services.framework_transition(
            actor=actor, framework=framework, target=FrameworkAgreement.Status.TERMINATED, reason=reason
        )

    assert list(excinfo.value.fields) == ["reason"]
    framework.refresh_from_db()
    assert framework.status == FrameworkAgreement.Status.LIVE
    assert AuditEvent.objects.count() == events_before


def test_going_live_needs_at_least_one_lot():
    framework = FrameworkFactory(status=FrameworkAgreement.Status.OPEN)
    actor = _authority_member(framework)
    events_before = AuditEvent.objects.count()

    with pytest.raises(Conflict) as excinfo:
        services.framework_transition(actor=actor, framework=framework, target=FrameworkAgreement.Status.LIVE)

    assert excinfo.value.code == "no_lots"
    framework.refresh_from_db()
    assert framework.status == FrameworkAgreement.Status.OPEN
    assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize(
    "source,target",
    [
        (Admission.Status.APPLIED, Admission.Status.REJECTED),
        (Admission.Status.ADMITTED, Admission.Status.SUSPENDED),
        (Admission.Status.ADMITTED, Admission.Status.EXCLUDED),
    ],
)
@pytest.mark.parametrize("reason", ["", "  "])
def test_rejecting_suspending_or_excluding_needs_a_reason(source, target, reason):
    framework = _framework_with_lot(FrameworkAgreement.Status.LIVE)
    admission = AdmissionFactory(lot=framework.lots.get(), status=source)
    actor = _authority_member(framework)
    events_before = AuditEvent.objects.count()

    with pytest.raises(ValidationFailed) as excinfo:
        services.admission_transition(actor=actor, admission=admission, target=target, reason=reason)

    assert list(excinfo.value.fields) == ["reason"]
    admission.refresh_from_db()
    assert admission.status == source
    assert AuditEvent.objects.count() == events_before


def test_admitting_and_reinstating_need_no_reason():
    framework = _framework_with_lot(FrameworkAgreement.Status.OPEN)
    admission = AdmissionFactory(lot=framework.lots.get(), status=Admission.Status.APPLIED)
    actor = _authority_member(framework)

    services.admission_transition(actor=actor, admission=admission, target=Admission.Status.ADMITTED)
    services.admission_transition(actor=actor, admission=admission, target=Admission.Status.SUSPENDED, reason="Late")
    services.admission_transition(actor=actor, admission=admission, target=Admission.Status.ADMITTED)

    admission.refresh_from_db()
    assert admission.status == Admission.Status.ADMITTED
    assert admission.reason == ""
    assert list(
        AuditEvent.objects.filter(target_type="agreements.admission", target_id=str(admission.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    ) == ["admission.admitted", "admission.suspended", "admission.admitted"]
