"""Who may grow the need taxonomy: an administrator of the procurement authority, or a superuser."""

import pytest

from agreements.models import Membership, Organization
from audit.models import AuditEvent
from catalog.models import NeedCategory
from catalog.services import category_create
from common.errors import Forbidden
from tests.factories import LotFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def test_an_authority_administrator_creates_a_need_with_its_path_and_an_audit_event():
    administrator = member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR)
    lot = LotFactory()
    parent = category_create(actor=administrator, name="Store and back up data", lots=[lot])

    child = category_create(actor=administrator, name=" Back up servers ", parent=parent)

    assert (child.name, child.slug, child.path) == ("Back up servers", "back-up-servers",
                                                    f"{parent.pk:06d}/{child.pk:06d}/")
    assert list(parent.lots.all()) == [lot]
    event = AuditEvent.objects.filter(action="category.created").last()
    assert (event.actor_name, event.payload) == (administrator.username, {
        "name": "Back up servers", "parent": parent.pk, "path": child.path})


def test_a_superuser_creates_a_need():
    superuser = UserFactory(is_superuser=True)

    category = category_create(actor=superuser, name="Host a public website")

    assert list(NeedCategory.objects.values_list("name", "path")) == [("Host a public website", f"{category.pk:06d}/")]


@pytest.mark.parametrize("kind,role", [
    (Organization.Kind.OVERSIGHT, Membership.Role.AUDITOR),
    (Organization.Kind.AUTHORITY, Membership.Role.PUBLISHER),  # of the authority, but not its administrator
    (Organization.Kind.BUYER, Membership.Role.ADMINISTRATOR),
    (Organization.Kind.SUPPLIER, Membership.Role.ADMINISTRATOR),
])
def test_anyone_else_is_refused_and_nothing_is_created(kind, role):
    actor = member(kind, role)
    events_before = AuditEvent.objects.count()

    with pytest.raises(Forbidden):
        category_create(actor=actor, name="Store data")

    assert (NeedCategory.objects.count(), AuditEvent.objects.count()) == (0, events_before)
