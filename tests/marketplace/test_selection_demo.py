"""The demo selection step of seed_demo: a requirement, an ended search and an award for "buyer"."""

from io import StringIO

import pytest

from agreements.models import Membership, Organization
from audit.models import AuditEvent
from marketplace.demo.selection import DEMO_TITLE, seed_selection
from marketplace.selection.models import Award, Requirement, SavedSearch
from tests.factories import FrameworkFactory, member
from tests.marketplace.factories_selection import admitted_supplier, hosting_market, published_listing

pytestmark = pytest.mark.django_db


def test_demo_selection_goes_through_the_services_and_runs_once():
    framework, lot, _versions = hosting_market(framework=FrameworkFactory(reference="FA-2026-CLOUD"), listings=0)
    for name, price in (("Inca", "0.200000"), ("Nazca", "0.120000")):
        published_listing(supplier=admitted_supplier(lot=lot, name=name), lot=lot, title=f"{name} compute",
                          unit_price=price, attributes={"data_location": ["PE"]})
    buyer = member(Organization.Kind.BUYER, Membership.Role.REQUESTER, username="buyer")
    out = StringIO()

    seed_selection(out.write)
    seed_selection(out.write)

    requirement = Requirement.objects.get(title=DEMO_TITLE)
    assert (requirement.created_by, requirement.status) == (buyer, "awarded")
    search = SavedSearch.objects.get(requirement=requirement)
    assert (search.status, search.result_count) == ("frozen", 2)
    award = Award.objects.get(requirement=requirement)
    assert award.supplier.name == "Nazca"
    assert award.entries_hash == search.entries_hash
    assert AuditEvent.objects.filter(action="award.made").count() == 1
    assert "demo selection already loaded" in out.getvalue()
