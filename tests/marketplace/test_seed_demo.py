from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from agreements.models import Admission, CeilingPrice, FrameworkAgreement, Lot, Membership, Organization
from audit.models import AuditEvent
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo-pass-2026"


def _seed() -> str:
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "users": get_user_model().objects.count(),
        "memberships": Membership.objects.count(),
        "frameworks": FrameworkAgreement.objects.count(),
        "lots": Lot.objects.count(),
        "ceilings": CeilingPrice.objects.count(),
        "admissions": Admission.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def test_seed_demo_twice_gives_the_same_data():
    _seed()
    first = _counts()
    output = _seed()
    second = _counts()

    assert second == first
    assert {key: value for key, value in first.items() if key != "audit_events"} == {
        "organizations": 36,  # 1 authority, 2 buyers, 1 oversight body, 32 suppliers
        "users": 9,  # the seven of the README's table, "contractor" and the inactive "demo-seed" superuser
        "memberships": 9,  # buyer2 holds two roles
        "frameworks": 2,
        "lots": 6,
        "ceilings": 13,
        "admissions": 192,  # every supplier in every lot
    }
    assert "password demo-pass-2026" in output


def test_seed_demo_frameworks_are_live_with_admitted_suppliers():
    _seed()

    assert dict(FrameworkAgreement.objects.values_list("reference", "status")) == {
        "FA-2026-CLOUD": "live", "FA-2026-OFFICE": "live",
    }
    assert list(Lot.objects.filter(framework__reference="FA-2026-CLOUD").values_list("title", flat=True)) == [
        "Cloud hosting", "Cloud software", "Cloud support",
    ]
    assert set(Admission.objects.values_list("status", flat=True)) == {"admitted"}
    assert Organization.objects.filter(kind=Organization.Kind.SUPPLIER).count() >= 30


DEMO_USERS = [
    ("authority", "authority", ["administrator"], "Central Public Procurement Agency"),
    ("buyer", "buyer", ["requester"], "Ministry of Health"),
    ("approver", "buyer", ["approver"], "Ministry of Health"),
    ("buyer2", "buyer", ["approver", "requester"], "Municipality of Arequipa"),
    ("supplier", "supplier", ["publisher"], "Andes Cloud Hosting S.A.C."),
    ("supplier2", "supplier", ["publisher"], "Pacific Data Centers S.A."),
    ("auditor", "oversight", ["auditor"], "Office of the Comptroller General"),
]


def test_demo_users_get_tokens_and_the_right_kind():
    _seed()  # seeded once: seeding takes seconds, the checks below do not

    seen = []
    for username, _kind, _roles, _organization in DEMO_USERS:
        client = APIClient()
        token_response = client.post(
            "/api/v1/auth/token/", {"username": username, "password": DEMO_PASSWORD}, format="json"
        )
        assert token_response.status_code == 200, username
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_response.json()['token']}")
        me = client.get("/api/v1/me/").json()
        seen.append((me["username"], me["organization"]["kind"], me["roles"], me["organization"]["name"]))

    assert seen == [tuple(user) for user in DEMO_USERS]


def test_seed_demo_refuses_when_debug_is_off():
    with override_settings(DEBUG=False), pytest.raises(CommandError) as excinfo:
        call_command("seed_demo", stdout=StringIO())

    assert "DJANGO_DEBUG off" in str(excinfo.value)
    assert _counts() == {
        "organizations": 0, "users": 0, "memberships": 0, "frameworks": 0, "lots": 0, "ceilings": 0,
        "admissions": 0, "audit_events": 0,
    }


@requires_postgres
def test_seed_demo_leaves_planner_statistics_for_what_search_reads():
    from django.db import connection

    from catalog.bulk import SEARCH_TABLES
    from catalog.models import SearchEntry

    _seed()

    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)", [list(SEARCH_TABLES)])
        estimates = dict(cursor.fetchall())
    entries = SearchEntry.objects.count()
    assert entries >= 1500
    # ANALYZE reads all of a table this small, so its row estimate is exact (-1 means never analysed).
    assert estimates["catalog_searchentry"] == entries
    assert estimates["catalog_searchfacets"] == entries
    assert estimates["catalog_facetbitmap"] > 0


def test_demo_order_can_be_activated_and_used_by_the_demo_logins():
    from marketplace.orders.models import CallOffOrder
    from marketplace.selection.selectors import comparison_build

    output = _seed()

    def client_as(username):
        client = APIClient()
        token = client.post("/api/v1/auth/token/", {"username": username, "password": DEMO_PASSWORD},
                            format="json").json()["token"]
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    order = CallOffOrder.objects.get()
    assert f"contractor publisher at {order.supplier.name}" in " ".join(output.split())
    assert client_as("approver").post(f"/api/v1/orders/{order.pk}/activate/", {}, format="json").status_code == 200
    line = order.lines.get()
    posted = client_as("contractor").post(
        f"/api/v1/orders/{order.pk}/usage/",
        {"line": line.pk, "quantity": "10", "occurred_at": timezone.now().isoformat(), "idempotency_key": "demo-1"},
        format="json")
    assert posted.status_code == 201, posted.json()
    assert posted.json()["status"] == "accepted"
    order.refresh_from_db()
    assert order.spent == Decimal(posted.json()["amount"]) > 0
    # The demo award compares like with like: offers for the need, each with an estimated total.
    search = order.award.search
    rows = comparison_build(search=search).rows
    assert rows and all(row.estimated_total is not None for row in rows)
    # Seeding again changes nothing: one contractor, one membership.
    _seed()
    assert get_user_model().objects.filter(username="contractor").count() == 1
    assert Membership.objects.filter(user__username="contractor").count() == 1


def test_seeding_again_adds_the_contractor_login_to_an_older_demo_database():
    _seed()
    Membership.objects.filter(user__username="contractor").delete()
    get_user_model().objects.filter(username="contractor").delete()  # as seeded before the login existed

    output = _seed()

    assert Membership.objects.filter(user__username="contractor", role="publisher").count() == 1
    assert "contractor publisher at" in output


def test_demo_request_for_quotation_is_published_with_two_sealed_quotes():
    from django.test import Client

    from common.money import price_text
    from marketplace.competitions.models import Competition, Quote

    _seed()
    _seed()

    competition = Competition.objects.get()
    assert (competition.status, competition.requirement.title) == ("published", "Paper and toner for the regional offices")
    assert competition.deadline > timezone.now()
    quotes = Quote.objects.filter(competition=competition, is_current=True).select_related("supplier")
    assert sorted(quote.supplier.memberships.get().user.username for quote in quotes) == ["supplier", "supplier2"]
    for quote in quotes:
        for line in quote.lines.all():
            ceiling = competition.lot.ceiling_prices.get(unit=line.line.unit).max_unit_price
            assert 0 < line.unit_price <= ceiling
    browser = Client()
    browser.force_login(get_user_model().objects.get(username="buyer"))
    page = browser.get(f"/competitions/{competition.pk}/").content.decode()
    assert "Quotes are sealed" in page
    for quote in quotes:  # no quoted price shows on the buyer's page before the deadline
        assert all(price_text(line.unit_price) not in page for line in quote.lines.all())
