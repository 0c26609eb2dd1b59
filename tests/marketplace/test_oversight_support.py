"""Builders for the oversight tests (no tests here): whole selections made through the real API."""

from __future__ import annotations

from decimal import Decimal

from agreements.models import Membership, Organization
from marketplace.orders.models import CallOffOrder
from marketplace.selection.models import Award
from tests.clock import months_from_this_month
from tests.conftest import client_for
from tests.factories import member
from tests.marketplace.factories_selection import hosting_market


def org(user) -> Organization:
    return user.memberships.first().organization


def requirement_body(framework, lot, title: str = "Hosting for patient records") -> dict:
    return {
        "title": title, "framework": framework.pk, "lot": lot.pk,
        "description": "Virtual machines for the records system.", "budget": "25000.00",
        "period_start": months_from_this_month(-9).isoformat(), "period_end": months_from_this_month(0, day=-1).isoformat(),
        "criteria": [
            {"importance": "essential", "attribute_key": "data_location", "operator": "equals", "expected": "PE",
             "text": "Data stays in Peru"},
            {"importance": "desired", "attribute_key": "uptime", "operator": "min", "expected": "99.9",
             "text": "Uptime of at least 99.9%"},
        ],
        "estimates": [{"unit": "vCPU-hour", "quantity": "10000"}],
    }


def ok(response, status=200) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json()


def direct_award_story(*, market=None, buyer=None, approver=None, title: str = "Hosting for patient records",
                       choose: str = "andes", cap: str = "5000.00", with_order_life: bool = True) -> dict:
    """A requirement, a saved and frozen search, a direct award (to Andes at 0.20, not the lowest
    compliant offer, Condor at 0.18, so with a cheaper-option reason), the order activated by an
    approver, a cap amendment, two usage records and a statement. Everything through the API."""
    framework, lot, versions = market or hosting_market()
    andes, pacific, condor = versions[:3]
    buyer = buyer or member(Organization.Kind.BUYER, Membership.Role.REQUESTER)
    approver = approver or member(Organization.Kind.BUYER, Membership.Role.APPROVER, organization=org(buyer))
    client = client_for(buyer)
    requirement = ok(client.post("/api/v1/requirements/", requirement_body(framework, lot, title), format="json"), 201)
    query = {"framework": str(framework.pk), "lot": str(lot.pk), "sort": "price"}
    search = ok(client.post("/api/v1/searches/", {"name": "Peru hosting", "query": query,
                                                  "requirement": requirement["id"]}, format="json"), 201)
    ok(client.post(f"/api/v1/searches/{search['id']}/freeze/"))
    chosen = {"andes": andes, "condor": condor}[choose]
    body = {"listing_version": chosen.pk, "justification": "Best support in Spanish.", "cap": cap,
            "start": months_from_this_month(-9).isoformat(), "end": months_from_this_month(0, day=-1).isoformat()}
    if choose == "andes":
        body["cheaper_option_reason"] = "Condor's uptime is below what the records system needs."
    ok(client.post(f"/api/v1/searches/{search['id']}/award/", body, format="json"), 201)
    award = Award.objects.get(search_id=search["id"])
    order = CallOffOrder.objects.get(award=award)
    supplier_user = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER, organization=award.supplier)
    if with_order_life:
        approver_client = client_for(approver)
        ok(approver_client.post(f"/api/v1/orders/{order.pk}/activate/"))
        ok(approver_client.post(f"/api/v1/orders/{order.pk}/amend-cap/",
                                {"cap": "5500.00", "justification": "More records than planned."}, format="json"))
        supplier_client = client_for(supplier_user)
        line = order.lines.get()
        for key, when in (("meter-1", f"{months_from_this_month(-9, day=2)}T10:00:00Z"), ("meter-2", f"{months_from_this_month(-9, day=3)}T10:00:00Z")):
            ok(supplier_client.post(f"/api/v1/orders/{order.pk}/usage/", {
                "line": line.pk, "quantity": "100", "occurred_at": when, "idempotency_key": key}, format="json"), 201)
        ok(approver_client.post(f"/api/v1/orders/{order.pk}/statements/", {"month": f"{months_from_this_month(-9):%Y-%m}"}, format="json"), 201)
    order.refresh_from_db()
    return {"framework": framework, "lot": lot, "versions": versions, "andes": andes, "pacific": pacific,
            "condor": condor, "buyer": buyer, "approver": approver, "supplier": supplier_user,
            "requirement_id": requirement["id"], "search_id": search["id"], "award": award, "order": order}


def money(value: str) -> Decimal:
    return Decimal(value)
