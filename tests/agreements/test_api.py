from decimal import Decimal

import pytest

from agreements.models import FrameworkAgreement, Membership, Organization
from tests.clock import months_from_this_month
from tests.conftest import client_for
from tests.factories import CeilingPriceFactory, FrameworkFactory, LotFactory, OrganizationFactory, member

pytestmark = pytest.mark.django_db


def _cloud_framework():
    authority = OrganizationFactory(kind=Organization.Kind.AUTHORITY, name="Central Agency", country="PE")
    framework = FrameworkFactory(
        reference="FA-2026-CLOUD", title="Cloud Services", description="Cloud for public entities.",
        authority=authority, currency="PEN", status=FrameworkAgreement.Status.LIVE,
        start_date=months_from_this_month(-11), end_date=months_from_this_month(24, day=-1),
    )
    hosting = LotFactory(framework=framework, number=1, title="Cloud hosting")
    CeilingPriceFactory(lot=hosting, unit="vCPU-hour", max_unit_price=Decimal("0.250000"))
    CeilingPriceFactory(lot=hosting, unit="GB-month", max_unit_price=Decimal("0.120000"))
    supplies = LotFactory(
        framework=framework, number=2, title="Paper", description="Reams", is_goods=True, max_delivery_days=5
    )
    CeilingPriceFactory(lot=supplies, unit="ream", max_unit_price=Decimal("25.000000"))
    return framework


def test_framework_detail_exact_json(api_client):
    framework = _cloud_framework()
    hosting, supplies = framework.lots.order_by("number")

    response = api_client.get(f"/api/v1/frameworks/{framework.pk}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": framework.pk,
        "reference": "FA-2026-CLOUD",
        "title": "Cloud Services",
        "description": "Cloud for public entities.",
        "authority": {"id": framework.authority.pk, "name": "Central Agency", "kind": "authority", "country": "PE"},
        "currency": "PEN",
        "status": "live",
        "start_date": months_from_this_month(-11).isoformat(),
        "end_date": months_from_this_month(24, day=-1).isoformat(),
        "direct_award_allowed": True,
        "max_frozen_results": 30,
        "min_quotation_business_days": 2,
        "max_call_off_months": 24,
        "max_cap_increase_percent": None,
        "lots": [
            {
                "id": hosting.pk, "number": 1, "title": "Cloud hosting", "description": "", "is_goods": False,
                "max_delivery_days": None,
                "ceiling_prices": [
                    {"unit": "GB-month", "max_unit_price": "0.120000"},
                    {"unit": "vCPU-hour", "max_unit_price": "0.250000"},
                ],
            },
            {
                "id": supplies.pk, "number": 2, "title": "Paper", "description": "Reams", "is_goods": True,
                "max_delivery_days": 5,
                "ceiling_prices": [{"unit": "ream", "max_unit_price": "25.000000"}],
            },
        ],
    }


def test_framework_list_is_paginated_and_ordered_by_reference(api_client):
    FrameworkFactory(reference="FA-B")
    FrameworkFactory(reference="FA-A")

    response = api_client.get("/api/v1/frameworks/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["reference"] for item in body["results"]] == ["FA-A", "FA-B"]


def _draft_and_live():
    draft = FrameworkFactory(reference="FA-DRAFT", status=FrameworkAgreement.Status.DRAFT)
    live = FrameworkFactory(reference="FA-LIVE", status=FrameworkAgreement.Status.LIVE)
    return draft, live


def _references(response):
    assert response.status_code == 200
    return [item["reference"] for item in response.json()["results"]]


def test_drafts_are_hidden_from_anonymous_users(api_client):
    draft, _live = _draft_and_live()

    assert _references(api_client.get("/api/v1/frameworks/")) == ["FA-LIVE"]
    detail = api_client.get(f"/api/v1/frameworks/{draft.pk}/")
    assert detail.status_code == 404
    assert detail.json()["error"]["code"] == "not_found"


def test_drafts_are_hidden_from_buyers_and_suppliers():
    draft, _live = _draft_and_live()
    for kind in (Organization.Kind.BUYER, Organization.Kind.SUPPLIER):
        client = client_for(member(kind, Membership.Role.REQUESTER))
        assert _references(client.get("/api/v1/frameworks/")) == ["FA-LIVE"]
        assert client.get(f"/api/v1/frameworks/{draft.pk}/").status_code == 404


def test_drafts_are_visible_to_their_own_authority_only():
    draft, _live = _draft_and_live()
    own = client_for(member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR, organization=draft.authority))
    other = client_for(member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR))

    assert _references(own.get("/api/v1/frameworks/")) == ["FA-DRAFT", "FA-LIVE"]
    assert own.get(f"/api/v1/frameworks/{draft.pk}/").json()["status"] == "draft"
    assert _references(other.get("/api/v1/frameworks/")) == ["FA-LIVE"]
    assert other.get(f"/api/v1/frameworks/{draft.pk}/").status_code == 404


def test_status_filter(api_client):
    FrameworkFactory(reference="FA-OPEN", status=FrameworkAgreement.Status.OPEN)
    FrameworkFactory(reference="FA-LIVE-1", status=FrameworkAgreement.Status.LIVE)
    FrameworkFactory(reference="FA-LIVE-2", status=FrameworkAgreement.Status.LIVE)
    FrameworkFactory(reference="FA-EXPIRED", status=FrameworkAgreement.Status.EXPIRED)

    assert _references(api_client.get("/api/v1/frameworks/?status=live")) == ["FA-LIVE-1", "FA-LIVE-2"]
    assert _references(api_client.get("/api/v1/frameworks/?status=open")) == ["FA-OPEN"]
    assert _references(api_client.get("/api/v1/frameworks/?status=expired")) == ["FA-EXPIRED"]


def test_status_filter_with_an_unknown_status_is_a_400_with_the_error_shape(api_client):
    FrameworkFactory(reference="FA-LIVE")

    response = api_client.get("/api/v1/frameworks/?status=paused")

    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert list(body["error"]["fields"]) == ["status"]


def test_framework_list_does_not_query_per_lot(api_client, django_assert_max_num_queries):
    for index in range(3):
        framework = FrameworkFactory(reference=f"FA-{index}")
        for number in (1, 2):
            CeilingPriceFactory(lot=LotFactory(framework=framework, number=number))

    with django_assert_max_num_queries(5):
        response = api_client.get("/api/v1/frameworks/")

    assert response.json()["count"] == 3
