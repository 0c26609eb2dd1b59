"""Concurrent awards and saves on PostgreSQL: the requirement row lock lets exactly one through."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from agreements.models import Membership, Organization
from common.errors import DomainError
from marketplace.selection import services
from marketplace.selection.inputs import DirectAwardInput
from marketplace.selection.models import Award, SavedSearch
from tests.clock import months_from_this_month
from tests.conftest import requires_postgres
from tests.factories import member
from tests.marketplace.factories_selection import hosting_market

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def run_together(functions):
    """Start every function at the same moment in its own thread; return results or errors in order."""
    barrier = threading.Barrier(len(functions))
    outcomes = [None] * len(functions)

    def runner(index, function):
        try:
            barrier.wait()
            outcomes[index] = function()
        except DomainError as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_simultaneous_awards_make_exactly_one():
    framework, lot, (andes, pacific, condor) = hosting_market()
    buyer = member(Organization.Kind.BUYER, Membership.Role.REQUESTER)
    colleague = member(Organization.Kind.BUYER, Membership.Role.APPROVER,
                       organization=buyer.memberships.first().organization)
    search = services.search_save(actor=buyer, name="s", query={"framework": framework.pk, "lot": lot.pk})
    services.search_freeze(actor=buyer, search_id=search.pk)

    def award(user, version):
        return lambda: services.award_direct(actor=user, search_id=search.pk, award=DirectAwardInput(
            listing_version_id=version.pk, justification="j", cheaper_option_reason="r", cap=Decimal("100.00"),
            start=months_from_this_month(-9), end=months_from_this_month(-6, day=-1)))

    outcomes = run_together([award(buyer, andes), award(colleague, condor)])

    errors = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(errors) == 1 and errors[0].code == "already_awarded"
    assert Award.objects.count() == 1


def test_simultaneous_saves_into_one_requirement_leave_one_active_search():
    framework, lot, _versions = hosting_market()
    buyer = member(Organization.Kind.BUYER, Membership.Role.REQUESTER)
    first = services.search_save(actor=buyer, name="first", query={"framework": framework.pk})

    outcomes = run_together([
        lambda n=n: services.search_save(actor=buyer, name=f"refined {n}", query={"framework": framework.pk, "q": "compute"},
                                         requirement_id=first.requirement_id)
        for n in range(4)
    ])

    assert not [o for o in outcomes if isinstance(o, DomainError)]
    assert SavedSearch.objects.filter(requirement_id=first.requirement_id).count() == 5
    assert SavedSearch.objects.filter(requirement_id=first.requirement_id, is_active=True).count() == 1
