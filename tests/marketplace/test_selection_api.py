"""The selection journey through the API: requirement, saved search, freeze, export, comparison, award."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from agreements.models import Admission, FrameworkAgreement, Membership, Organization
from audit.chain import digest_of
from audit.models import AuditEvent
from marketplace.orders.models import CallOffOrder
from marketplace.selection.models import Award, Requirement, RequirementCriterion, SavedSearch, SearchSnapshotEntry
from marketplace.selection.services import awards as award_services
from tests.clock import months_from_this_month
from tests.conftest import client_for
from tests.factories import member
from tests.marketplace.factories_selection import add_estimate, hosting_market

pytestmark = pytest.mark.django_db

AWARD_BODY = {"cap": "5000.00", "start": months_from_this_month(-9).isoformat(), "end": months_from_this_month(0, day=-1).isoformat()}


@pytest.fixture
def market(db):
    framework, lot, versions = hosting_market()
    andes, pacific, condor = versions
    return {"framework": framework, "lot": lot, "andes": andes, "pacific": pacific, "condor": condor}


@pytest.fixture
def buyer(db):
    return member(Organization.Kind.BUYER, Membership.Role.REQUESTER, username="ana")


def organization(user):
    return user.memberships.first().organization


def query_for(market, **extra):
    return {"framework": str(market["framework"].pk), "lot": str(market["lot"].pk), "sort": "price", **extra}


def requirement_body(market):
    return {
        "title": "Hosting for patient records",
        "framework": market["framework"].pk,
        "lot": market["lot"].pk,
        "description": "Virtual machines for the records system.",
        "budget": "25000.00",
        "period_start": months_from_this_month(-9).isoformat(),
        "period_end": months_from_this_month(0, day=-1).isoformat(),
        "criteria": [
            {"importance": "essential", "attribute_key": "data_location", "operator": "equals", "expected": "PE",
             "text": "Data stays in Peru"},
            {"importance": "essential", "operator": "text", "text": "Support in Spanish"},
            {"importance": "desired", "attribute_key": "uptime", "operator": "min", "expected": "99.9",
             "text": "Uptime of at least 99.9%"},
        ],
        "estimates": [{"unit": "vCPU-hour", "quantity": "10000"}],
    }


def create_requirement(client, market) -> dict:
    response = client.post("/api/v1/requirements/", requirement_body(market), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def frozen_search(client, market, **query_extra) -> dict:
    requirement = create_requirement(client, market)
    saved = client.post("/api/v1/searches/", {"name": "Peru hosting", "query": query_for(market, **query_extra),
                                              "requirement": requirement["id"]}, format="json")
    assert saved.status_code == 201, saved.json()
    frozen = client.post(f"/api/v1/searches/{saved.json()['id']}/freeze/")
    assert frozen.status_code == 200, frozen.json()
    return frozen.json()


def selection_state():
    """Everything the selection writes, to prove a refused request changed nothing."""
    return {
        "requirements": sorted(Requirement.objects.values_list("pk", "status", "title")),
        "searches": sorted(SavedSearch.objects.values_list(
            "pk", "status", "is_active", "name", "result_count", "entries_hash", "frozen_at")),
        "entries": sorted(SearchSnapshotEntry.objects.values_list("search_id", "rank", "listing_version_id", "unit_price")),
        "awards": sorted(Award.objects.values_list("pk", "outcome", "listing_version_id", "justification")),
        "events": AuditEvent.objects.count(),
    }


# --- requirements -------------------------------------------------------------------------------


def test_buyer_creates_requirement_with_criteria_and_estimates(buyer, market):
    client = client_for(buyer)
    body = create_requirement(client, market)

    requirement = Requirement.objects.get(pk=body["id"])
    assert requirement.organization == organization(buyer)
    assert requirement.status == "open"
    assert requirement.budget == Decimal("25000.00")
    assert body["budget"] == "25000.00"
    assert [(c["importance"], c["attribute_key"], c["operator"], c["expected"], c["text"]) for c in body["criteria"]] == [
        ("essential", "data_location", "equals", "PE", "Data stays in Peru"),
        ("essential", "", "text", None, "Support in Spanish"),
        ("desired", "uptime", "min", "99.9", "Uptime of at least 99.9%"),
    ]
    assert body["estimates"] == [{"id": requirement.estimates.get().pk, "unit": "vCPU-hour", "quantity": "10000.000000"}]
    event = AuditEvent.objects.get(action="requirement.created")
    assert event.target_id == str(requirement.pk)
    assert event.payload["estimates"] == [["vCPU-hour", "10000.000000"]]

    listed = client.get("/api/v1/requirements/").json()
    assert [item["id"] for item in listed["results"]] == [requirement.pk]
    assert client.get(f"/api/v1/requirements/{requirement.pk}/").json()["title"] == "Hosting for patient records"


def test_requirement_with_unknown_attribute_and_missing_expected_value_is_refused(buyer, market):
    body = requirement_body(market)
    body["criteria"] = [
        {"importance": "essential", "attribute_key": "colour", "operator": "equals", "expected": "red", "text": "Red"},
        {"importance": "essential", "attribute_key": "uptime", "operator": "min", "text": "Some uptime"},
        {"importance": "desired", "attribute_key": "uptime", "operator": "max", "expected": "lots", "text": "Max"},
    ]
    before = selection_state()

    response = client_for(buyer).post("/api/v1/requirements/", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "criteria.0.attribute_key": ["This lot has no such question."],
        "criteria.1.expected": ["Give the expected value."],
        "criteria.2.expected": ["Enter a number for a minimum or maximum."],
    }
    assert selection_state() == before


def test_criteria_must_fit_the_question_they_check(buyer, market):
    body = requirement_body(market)
    body["criteria"] = [
        {"importance": "essential", "attribute_key": "data_location", "operator": "equals", "expected": "Mars",
         "text": "Data on Mars"},
        {"importance": "essential", "attribute_key": "data_location", "operator": "min", "expected": "1",
         "text": "At least one place"},
        {"importance": "desired", "attribute_key": "uptime", "operator": "includes", "expected": ["99"],
         "text": "Uptime"},
        {"importance": "desired", "attribute_key": "data_location", "operator": "equals", "expected": ["PE", "US"],
         "text": "Two places"},
    ]
    before = selection_state()

    response = client_for(buyer).post("/api/v1/requirements/", body, format="json")

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["criteria.0.expected"] == ["Mars: not an answer to this question. Choose from: Peru, USA."]
    assert fields["criteria.1.operator"] == ["“At least” and “at most” are for number questions."]
    assert fields["criteria.2.operator"] == ["A number question is checked with “is”, “at least” or “at most”."]
    assert fields["criteria.3.expected"] == ["Give one answer for “is”."]
    assert selection_state() == before


def test_a_choice_may_be_named_by_its_label_and_is_stored_as_its_value(buyer, market):
    body = requirement_body(market)
    body["criteria"] = [{"importance": "essential", "attribute_key": "data_location", "operator": "includes",
                         "expected": ["peru", "USA"], "text": "Peru or the USA"}]

    response = client_for(buyer).post("/api/v1/requirements/", body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["criteria"][0]["expected"] == ["PE", "US"]


def test_requirement_lot_from_another_framework_and_reversed_period_are_refused(buyer, market):
    other_framework, other_lot, _versions = hosting_market(listings=0)
    client = client_for(buyer)

    other_lot_response = client.post("/api/v1/requirements/", requirement_body(market) | {"lot": other_lot.pk},
                                     format="json")
    reversed_response = client.post("/api/v1/requirements/", requirement_body(market) | {"period_end": months_from_this_month(-11).isoformat()},
                                    format="json")

    assert other_lot_response.status_code == 400
    assert other_lot_response.json()["error"]["fields"] == {"lot": ["This lot belongs to another framework."]}
    assert reversed_response.status_code == 400
    assert reversed_response.json()["error"]["fields"] == {"period_end": ["Enter a date on or after the start date."]}
    assert not Requirement.objects.exists()


def test_supplier_and_oversight_cannot_create_requirements(market, auditor_user):
    supplier = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER)
    for user in (supplier, auditor_user):
        response = client_for(user).post("/api/v1/requirements/", requirement_body(market), format="json")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    assert not Requirement.objects.exists()


def test_requirement_update_works_while_open_and_is_refused_after_freeze(buyer, market):
    client = client_for(buyer)
    requirement = create_requirement(client, market)

    changed = client.patch(f"/api/v1/requirements/{requirement['id']}/", {"title": "Records hosting", "budget": "30000.00"},
                           format="json")
    assert changed.status_code == 200
    assert changed.json()["title"] == "Records hosting"
    assert changed.json()["budget"] == "30000.00"

    saved = client.post("/api/v1/searches/", {"name": "s", "query": query_for(market), "requirement": requirement["id"]},
                        format="json").json()
    assert client.post(f"/api/v1/searches/{saved['id']}/freeze/").status_code == 200
    before = selection_state()

    refused = client.patch(f"/api/v1/requirements/{requirement['id']}/", {"title": "Other"}, format="json")

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "requirement_locked"
    assert selection_state() == before


# --- saved searches -----------------------------------------------------------------------------


def test_saving_a_search_without_requirement_creates_one_and_stores_normalized_query(buyer, market):
    client = client_for(buyer)
    response = client.post("/api/v1/searches/", {
        "name": "Cheap hosting",
        "query": {"q": "  compute ", "framework": market["framework"].pk, "lot": str(market["lot"].pk), "page": "2",
                  "price_max": "", "in_stock": True},
    }, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    search = SavedSearch.objects.get(pk=body["id"])
    assert search.query == {"framework": str(market["framework"].pk), "in_stock": "true", "lot": str(market["lot"].pk),
                            "q": "compute"}
    assert body["query"] == search.query
    from catalog.selectors import describe_query

    assert search.summary == describe_query(search.query)
    assert body["summary"] == search.summary
    assert search.status == "open" and search.is_active
    requirement = search.requirement
    assert (requirement.title, requirement.organization, requirement.framework, requirement.lot) == (
        "Cheap hosting", organization(buyer), market["framework"], market["lot"])
    assert AuditEvent.objects.filter(action="search.saved", target_id=str(search.pk)).count() == 1


def test_saving_again_for_a_requirement_leaves_one_active_search(buyer, market):
    client = client_for(buyer)
    first = client.post("/api/v1/searches/", {"name": "First", "query": query_for(market)}, format="json").json()
    requirement_id = first["requirement"]

    second = client.post("/api/v1/searches/", {"name": "Refined", "query": query_for(market, q="compute"),
                                               "requirement": requirement_id}, format="json")

    assert second.status_code == 201
    assert sorted(SavedSearch.objects.filter(requirement_id=requirement_id).values_list("name", "is_active")) == [
        ("First", False), ("Refined", True)]
    assert AuditEvent.objects.get(action="search.saved", target_id=str(second.json()["id"])).payload["superseded"] == [
        first["id"]]
    # The replaced search cannot be ended any more.
    refused = client.post(f"/api/v1/searches/{first['id']}/freeze/")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "search_not_active"
    assert SavedSearch.objects.get(pk=first["id"]).status == "open"


def test_saving_into_another_organizations_requirement_is_not_found(buyer, market, other_buyer_user):
    requirement = create_requirement(client_for(buyer), market)
    before = selection_state()

    response = client_for(other_buyer_user).post(
        "/api/v1/searches/", {"name": "x", "query": query_for(market), "requirement": requirement["id"]}, format="json")

    assert response.status_code == 404
    assert selection_state() == before


# --- freeze -------------------------------------------------------------------------------------


def test_freeze_stores_every_result_with_rank_price_and_hash(buyer, market):
    from catalog.selectors import search_hits_all

    client = client_for(buyer)
    body = frozen_search(client, market)

    search = SavedSearch.objects.get(pk=body["id"])
    total, hits = search_hits_all(query=search.query, limit=31)
    assert total == 3
    assert [(e.rank, e.listing_version_id, e.supplier_id, e.unit, e.unit_price) for e in search.entries.all()] == [
        (rank, hit.version_id, hit.supplier_id, hit.unit, hit.unit_price) for rank, hit in enumerate(hits, start=1)]
    # sort=price: cheapest first.
    assert [e.listing_version_id for e in search.entries.all()] == [
        market["pacific"].pk, market["condor"].pk, market["andes"].pk]
    assert search.status == "frozen"
    assert search.result_count == 3
    assert search.frozen_by == buyer
    assert search.frozen_at is not None
    assert search.framework == market["framework"]

    stored = [[e.rank, e.listing_version_id, str(e.unit_price)] for e in SearchSnapshotEntry.objects.filter(search=search)]
    assert stored == [[1, market["pacific"].pk, "0.150000"], [2, market["condor"].pk, "0.180000"],
                      [3, market["andes"].pk, "0.200000"]]
    assert search.entries_hash == digest_of(stored)
    event = AuditEvent.objects.get(action="search.frozen")
    assert event.target_id == str(search.pk)
    assert event.payload["entries_hash"] == digest_of(stored)
    assert event.payload["result_count"] == 3
    assert event.payload["entries"] == stored

    assert body["status"] == "frozen"
    assert body["entries_hash"] == search.entries_hash
    assert [(e["rank"], e["listing_version"], e["title"], e["supplier"]["name"], e["unit_price"]) for e in body["entries"]] == [
        (1, market["pacific"].pk, "Pacific compute", "Pacific Data", "0.150000"),
        (2, market["condor"].pk, "Condor compute", "Condor IT", "0.180000"),
        (3, market["andes"].pk, "Andes compute", "Andes Cloud", "0.200000"),
    ]


def test_freeze_over_the_framework_limit_is_refused_with_count_and_limit(buyer, market):
    FrameworkAgreement.objects.filter(pk=market["framework"].pk).update(max_frozen_results=2)
    client = client_for(buyer)
    saved = client.post("/api/v1/searches/", {"name": "Too wide", "query": query_for(market)}, format="json").json()
    before = selection_state()

    response = client.post(f"/api/v1/searches/{saved['id']}/freeze/")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "too_many_results"
    assert (error["count"], error["limit"]) == (3, 2)
    assert selection_state() == before

    # Refined to two results, it can end.
    refined = client.patch(f"/api/v1/searches/{saved['id']}/", {"query": query_for(market, price_max="0.19")}, format="json")
    assert refined.status_code == 200
    assert client.post(f"/api/v1/searches/{saved['id']}/freeze/").json()["result_count"] == 2


def test_freeze_at_exactly_the_default_limit_of_30_is_allowed(buyer):
    framework, lot, versions = hosting_market(listings=31)
    client = client_for(buyer)
    query = {"framework": str(framework.pk), "lot": str(lot.pk)}
    saved = client.post("/api/v1/searches/", {"name": "All", "query": query}, format="json").json()
    refused = client.post(f"/api/v1/searches/{saved['id']}/freeze/")
    assert refused.status_code == 409
    assert (refused.json()["error"]["count"], refused.json()["error"]["limit"]) == (31, 30)

    narrowed = client.post("/api/v1/searches/", {"name": "Peru only", "query": query | {"data_location": "PE"},
                                                 "requirement": saved["requirement"]}, format="json").json()
    frozen = client.post(f"/api/v1/searches/{narrowed['id']}/freeze/")
    assert frozen.status_code == 200
    assert frozen.json()["result_count"] == 30
    assert SearchSnapshotEntry.objects.filter(search_id=narrowed["id"]).count() == 30


def test_freeze_needs_a_framework_in_the_query(buyer, market):
    client = client_for(buyer)
    saved = client.post("/api/v1/searches/", {"name": "No framework", "query": {"q": "compute"}}, format="json").json()
    before = selection_state()

    response = client.post(f"/api/v1/searches/{saved['id']}/freeze/")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "framework_required"
    assert "query.framework" in response.json()["error"]["fields"]
    assert selection_state() == before


def test_frozen_search_never_changes(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)
    # A new listing appears afterwards: the frozen result set must not pick it up.
    from tests.marketplace.factories_selection import admitted_supplier, published_listing

    published_listing(supplier=admitted_supplier(lot=market["lot"], name="Late Cloud"), lot=market["lot"],
                      title="Late compute", unit_price="0.100000", attributes={"data_location": "PE"})
    before = selection_state()

    again = client.post(f"/api/v1/searches/{body['id']}/freeze/")
    edited = client.patch(f"/api/v1/searches/{body['id']}/", {"name": "Renamed", "query": {"q": "x"}}, format="json")
    resaved = client.post("/api/v1/searches/", {"name": "Again", "query": query_for(market),
                                                "requirement": body["requirement"]}, format="json")

    for response in (again, edited, resaved):
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "search_frozen"
    assert selection_state() == before
    assert client.get(f"/api/v1/searches/{body['id']}/").json()["entries"] == body["entries"]


# --- export -------------------------------------------------------------------------------------


def test_export_csv_has_header_and_one_row_per_entry_and_is_recorded(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)
    search = SavedSearch.objects.get(pk=body["id"])

    response = client.get(f"/api/v1/searches/{body['id']}/export/?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="search-{search.pk}-snapshot.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    framework = market["framework"]
    assert rows[:7] == [
        ["Framework", f"{framework.reference} {framework.title}"],
        ["Search", search.summary],
        ["Search name", "Peru hosting"],
        ["Ended at", search.frozen_at.isoformat()],
        ["Ended by", "ana"],
        ["Results", "3"],
        ["Entries hash (SHA-256)", search.entries_hash],
    ]
    assert rows[8] == ["Rank", "Supplier", "Title", "Summary", "Unit", "Unit price", "Currency", "Link",
                       "Supplier e-mail", "Supplier phone"]
    summary = "Virtual machines billed per vCPU-hour"
    assert [row[:7] + row[8:] for row in rows[9:]] == [
        ["1", "Pacific Data", "Pacific compute", summary, "vCPU-hour", "0.150000", "PEN", "bids@pacific.example",
         "+51 1 222 2222"],
        ["2", "Condor IT", "Condor compute", summary, "vCPU-hour", "0.180000", "PEN", "hello@condor.example",
         "+51 1 333 3333"],
        ["3", "Andes Cloud", "Andes compute", summary, "vCPU-hour", "0.200000", "PEN", "sales@andes.example",
         "+51 1 111 1111"],
    ]
    assert rows[9][7].startswith("http://testserver/") and str(market["pacific"].listing_id) in rows[9][7]
    event = AuditEvent.objects.get(action="search.exported")
    assert event.payload == {"format": "csv", "entries_hash": search.entries_hash, "result_count": 3}
    assert event.actor == buyer


def test_export_xlsx_reads_back_with_the_same_content(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)
    search = SavedSearch.objects.get(pk=body["id"])

    response = client.get(f"/api/v1/searches/{body['id']}/export/?format=xlsx")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    framework = market["framework"]
    assert [row[:2] for row in values[:5]] == [
        ["Framework", f"{framework.reference} {framework.title}"],
        ["Search", search.summary],
        ["Search name", "Peru hosting"],
        ["Ended at", search.frozen_at.isoformat()],
        ["Ended by", "ana"],
    ]
    assert values[8][:7] == ["Rank", "Supplier", "Title", "Summary", "Unit", "Unit price", "Currency"]
    table = values[9:]
    assert [(row[0], row[1], row[2], row[4], Decimal(str(row[5])), row[6], row[8], row[9]) for row in table] == [
        (1, "Pacific Data", "Pacific compute", "vCPU-hour", Decimal("0.15"), "PEN", "bids@pacific.example",
         "+51 1 222 2222"),
        (2, "Condor IT", "Condor compute", "vCPU-hour", Decimal("0.18"), "PEN", "hello@condor.example",
         "+51 1 333 3333"),
        (3, "Andes Cloud", "Andes compute", "vCPU-hour", Decimal("0.2"), "PEN", "sales@andes.example",
         "+51 1 111 1111"),
    ]
    assert AuditEvent.objects.get(action="search.exported").payload["format"] == "xlsx"


def test_export_never_writes_a_supplier_formula(buyer, market):
    from tests.marketplace.factories_selection import admitted_supplier, published_listing

    published_listing(supplier=admitted_supplier(lot=market["lot"], name="=HYPERLINK(\"http://x\")"), lot=market["lot"],
                      title="=1+1", unit_price="0.190000", attributes={"data_location": "PE"})
    client = client_for(buyer)
    body = frozen_search(client, market)

    sheet = load_workbook(io.BytesIO(client.get(f"/api/v1/searches/{body['id']}/export/?format=xlsx").content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == "=1+1"]
    assert len(cells) == 1 and cells[0].data_type == "s"
    rows = list(csv.reader(io.StringIO(client.get(f"/api/v1/searches/{body['id']}/export/").content.decode("utf-8-sig"))))
    assert ["'=1+1"] == [cell for row in rows for cell in row if cell.endswith("=1+1")]


def test_export_of_an_open_search_or_bad_format_is_refused(buyer, market):
    client = client_for(buyer)
    saved = client.post("/api/v1/searches/", {"name": "Open", "query": query_for(market)}, format="json").json()
    open_export = client.get(f"/api/v1/searches/{saved['id']}/export/?format=csv")
    assert open_export.status_code == 409
    assert open_export.json()["error"]["code"] == "search_not_frozen"
    body = frozen_search(client, market)
    bad = client.get(f"/api/v1/searches/{body['id']}/export/?format=pdf")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"format": ["Use csv or xlsx."]}
    assert not AuditEvent.objects.filter(action="search.exported").exists()


# --- comparison ---------------------------------------------------------------------------------


def test_comparison_evaluates_requirements_and_finds_the_lowest_compliant_total(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)
    requirement = Requirement.objects.get(pk=body["requirement"])
    location, spanish = requirement.criteria.filter(importance="essential").order_by("position")
    uptime = requirement.criteria.get(importance="desired")

    response = client.get(f"/api/v1/searches/{body['id']}/comparison/")

    assert response.status_code == 200
    data = response.json()
    assert data["lowest_estimated_total"] == "1800.00"
    assert data["lowest_listing_versions"] == [market["condor"].pk]
    assert data["entries_hash"] == body["entries_hash"]
    assert [e["text"] for e in data["essential"]] == ["Data stays in Peru", "Support in Spanish"]
    by_title = {entry["title"]: entry for entry in data["entries"]}
    pacific, condor, andes = by_title["Pacific compute"], by_title["Condor compute"], by_title["Andes compute"]
    assert (pacific["unit_price"], pacific["estimated_total"]) == ("0.150000", "1500.00")
    assert pacific["essential"] == [
        {"criterion": location.pk, "result": "not_met", "value": "US"},
        {"criterion": spanish.pk, "result": "judge", "value": None},
    ]
    assert pacific["essential_compliant"] is False
    assert pacific["is_lowest"] is False
    assert condor["essential"] == [
        {"criterion": location.pk, "result": "met", "value": "PE"},
        {"criterion": spanish.pk, "result": "judge", "value": None},
    ]
    assert (condor["essential_compliant"], condor["is_lowest"], condor["estimated_total"], condor["price_difference"]) == (
        True, True, "1800.00", "0.00")
    assert condor["desired"] == [{"criterion": uptime.pk, "result": "not_met", "value": "99.5"}]
    assert (condor["desired_met"], andes["desired_met"], pacific["desired_met"]) == (0, 1, 1)
    assert (andes["estimated_total"], andes["price_difference"], andes["cheaper_option_reason_required"]) == (
        "2000.00", "200.00", True)
    assert condor["cheaper_option_reason_required"] is False
    assert andes["features"] == ["Andes compute feature"]
    assert andes["exit_statement"] == "Andes Cloud exports data as open formats."
    assert (andes["stock"], andes["in_stock"], andes["lead_time_days"]) == (None, True, 1)


def test_comparison_csv_download_lists_each_entry_with_requirement_results(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)

    response = client.get(f"/api/v1/searches/{body['id']}/comparison/?format=csv")

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header_index = next(i for i, row in enumerate(rows) if row and row[0] == "Rank")
    header = rows[header_index]
    assert header[:10] == ["Rank", "Supplier", "Title", "Unit", "Unit price", "Currency", "Estimated total",
                           "Difference to lowest", "Meets every essential requirement", "Lowest compliant"]
    assert header[10:12] == ["Essential: Data stays in Peru", "Essential: Support in Spanish"]
    table = rows[header_index + 1:]
    assert [row[:12] for row in table] == [
        ["1", "Pacific Data", "Pacific compute", "vCPU-hour", "0.150000", "PEN", "1500.00", "-300.00", "no", "",
         "not met", "needs judgement"],
        ["2", "Condor IT", "Condor compute", "vCPU-hour", "0.180000", "PEN", "1800.00", "0.00", "yes", "yes", "met",
         "needs judgement"],
        ["3", "Andes Cloud", "Andes compute", "vCPU-hour", "0.200000", "PEN", "2000.00", "200.00", "yes", "", "met",
         "needs judgement"],
    ]
    assert AuditEvent.objects.get(action="search.exported").payload["format"] == "comparison-csv"


def test_comparison_uses_only_estimates_in_the_entry_unit(buyer):
    framework, lot, versions = hosting_market(listings=0)
    from agreements.models import CeilingPrice
    from tests.marketplace.factories_selection import admitted_supplier, published_listing

    CeilingPrice.objects.create(lot=lot, unit="GB-month", max_unit_price=Decimal("0.120000"))
    published_listing(supplier=admitted_supplier(lot=lot, name="A"), lot=lot, title="Compute", unit_price="0.123457",
                      attributes={"data_location": "PE"})
    published_listing(supplier=admitted_supplier(lot=lot, name="B"), lot=lot, title="Storage", unit="GB-month",
                      unit_price="0.100000", ceiling="0.120000", attributes={"data_location": "PE"})
    client = client_for(buyer)
    saved = client.post("/api/v1/searches/", {"name": "mixed", "query": {"framework": str(framework.pk), "sort": "-price"}},
                        format="json").json()
    add_estimate(Requirement.objects.get(pk=saved["requirement"]), unit="vCPU-hour", quantity="3")
    client.post(f"/api/v1/searches/{saved['id']}/freeze/")

    data = client.get(f"/api/v1/searches/{saved['id']}/comparison/").json()

    # 3 × 0.123457 = 0.370371, rounded once to 0.37; no estimate in GB-month, so no total.
    assert [(e["title"], e["estimated_total"]) for e in data["entries"]] == [("Compute", "0.37"), ("Storage", None)]
    assert data["lowest_estimated_total"] == "0.37"
    assert [e["cheaper_option_reason_required"] for e in data["entries"]] == [False, True]


# --- award --------------------------------------------------------------------------------------


def test_award_of_the_lowest_compliant_entry_needs_only_a_justification(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)

    response = client.post(f"/api/v1/searches/{body['id']}/award/", {
        "listing_version": market["condor"].pk, "justification": "Lowest total that keeps data in Peru.", **AWARD_BODY,
    }, format="json")

    assert response.status_code == 201, response.json()
    award = Award.objects.get()
    assert (award.outcome, award.method, award.listing_version, award.supplier.name) == (
        "awarded", "direct", market["condor"], "Condor IT")
    assert award.snapshot_entry.rank == 2
    assert (award.estimated_total, award.lowest_estimated_total, award.price_difference) == (
        Decimal("1800.00"), Decimal("1800.00"), Decimal("0.00"))
    assert award.cheaper_option_reason == ""
    assert award.entries_hash == body["entries_hash"]
    assert Requirement.objects.get(pk=body["requirement"]).status == "awarded"
    data = response.json()
    assert (data["id"], data["outcome"], data["estimated_total"], data["price_difference"]) == (
        award.pk, "awarded", "1800.00", "0.00")
    event = AuditEvent.objects.get(action="award.made")
    stored = [[e.rank, e.listing_version_id, str(e.unit_price)] for e in SearchSnapshotEntry.objects.filter(search_id=body["id"])]
    assert event.payload["entries_hash"] == digest_of(stored)
    assert event.payload["listing_version"] == market["condor"].pk
    assert event.payload["justification"] == "Lowest total that keeps data in Peru."
    assert (event.payload["estimated_total"], event.payload["price_difference"]) == ("1800.00", "0.00")
    assert (event.payload["cap"], event.payload["start"], event.payload["end"]) == ("5000.00", months_from_this_month(-9).isoformat(), months_from_this_month(0, day=-1).isoformat())


def test_award_above_the_lowest_needs_the_cheaper_option_reason_and_records_the_difference(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)
    before = selection_state()

    refused = client.post(f"/api/v1/searches/{body['id']}/award/", {
        "listing_version": market["andes"].pk, "justification": "Better uptime.", **AWARD_BODY}, format="json")

    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "cheaper_option_reason_required"
    assert error["fields"] == {"cheaper_option_reason": ["Explain why the cheaper option was not chosen."]}
    assert (error["estimated_total"], error["lowest_estimated_total"], error["price_difference"]) == (
        "2000.00", "1800.00", "200.00")
    assert selection_state() == before

    accepted = client.post(f"/api/v1/searches/{body['id']}/award/", {
        "listing_version": market["andes"].pk, "justification": "Better uptime.",
        "cheaper_option_reason": "Condor's 99.5% uptime is below what the records system needs.", **AWARD_BODY,
    }, format="json")

    assert accepted.status_code == 201
    award = Award.objects.get()
    assert (award.estimated_total, award.lowest_estimated_total, award.price_difference) == (
        Decimal("2000.00"), Decimal("1800.00"), Decimal("200.00"))
    assert award.cheaper_option_reason == "Condor's 99.5% uptime is below what the records system needs."
    payload = AuditEvent.objects.get(action="award.made").payload
    assert (payload["price_difference"], payload["lowest_estimated_total"]) == ("200.00", "1800.00")
    assert payload["cheaper_option_reason"] == "Condor's 99.5% uptime is below what the records system needs."


@pytest.mark.parametrize("justification", ["", "   "])
def test_award_without_justification_is_refused(buyer, market, justification):
    client = client_for(buyer)
    body = frozen_search(client, market)
    before = selection_state()

    response = client.post(f"/api/v1/searches/{body['id']}/award/", {
        "listing_version": market["condor"].pk, "justification": justification, **AWARD_BODY}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "justification_required"
    assert response.json()["error"]["fields"] == {"justification": ["Explain why this option was chosen."]}
    assert selection_state() == before


def test_award_of_an_entry_failing_an_essential_requirement_is_refused(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)
    before = selection_state()

    response = client.post(f"/api/v1/searches/{body['id']}/award/", {
        "listing_version": market["pacific"].pk, "justification": "Cheapest.", "cheaper_option_reason": "n/a",
        **AWARD_BODY}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "essential_not_met"
    assert response.json()["error"]["fields"] == {"listing_version": ["Not met: Data stays in Peru"]}
    assert selection_state() == before


def test_award_of_a_version_outside_the_snapshot_or_from_an_open_search_is_refused(buyer, market):
    client = client_for(buyer)
    saved = client.post("/api/v1/searches/", {"name": "Open", "query": query_for(market)}, format="json").json()
    open_award = client.post(f"/api/v1/searches/{saved['id']}/award/", {
        "listing_version": market["condor"].pk, "justification": "x", **AWARD_BODY}, format="json")
    assert open_award.status_code == 409
    assert open_award.json()["error"]["code"] == "search_not_frozen"

    body = frozen_search(client, market, price_max="0.19")  # Pacific and Condor only
    before = selection_state()
    outside = client.post(f"/api/v1/searches/{body['id']}/award/", {
        "listing_version": market["andes"].pk, "justification": "x", **AWARD_BODY}, format="json")
    assert outside.status_code == 400
    assert outside.json()["error"]["code"] == "not_in_snapshot"
    assert selection_state() == before


def test_award_needs_a_live_framework_and_an_admitted_supplier(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)
    payload = {"listing_version": market["condor"].pk, "justification": "Lowest.", **AWARD_BODY}

    Admission.objects.filter(supplier=market["condor"].supplier).update(status=Admission.Status.SUSPENDED)
    before = selection_state()
    suspended = client.post(f"/api/v1/searches/{body['id']}/award/", payload, format="json")
    assert suspended.status_code == 409
    assert suspended.json()["error"]["code"] == "supplier_not_admitted"
    assert selection_state() == before

    Admission.objects.filter(supplier=market["condor"].supplier).update(status=Admission.Status.ADMITTED)
    FrameworkAgreement.objects.filter(pk=market["framework"].pk).update(status=FrameworkAgreement.Status.EXPIRED)
    expired = client.post(f"/api/v1/searches/{body['id']}/award/", payload, format="json")
    assert expired.status_code == 409
    assert expired.json()["error"]["code"] == "framework_not_live"
    assert selection_state() == before


def test_only_one_award_per_requirement_and_awards_never_change(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)
    first = client.post(f"/api/v1/searches/{body['id']}/award/", {
        "listing_version": market["condor"].pk, "justification": "Lowest.", **AWARD_BODY}, format="json")
    assert first.status_code == 201
    before = selection_state()

    second = client.post(f"/api/v1/searches/{body['id']}/award/", {
        "listing_version": market["andes"].pk, "justification": "Changed mind.", "cheaper_option_reason": "x",
        **AWARD_BODY}, format="json")
    no_award = client.post(f"/api/v1/searches/{body['id']}/no-award/", {"reason": "Cancelled"}, format="json")
    refreeze = client.post(f"/api/v1/searches/{body['id']}/freeze/")
    edit = client.patch(f"/api/v1/requirements/{body['requirement']}/", {"title": "x"}, format="json")

    assert (second.status_code, second.json()["error"]["code"]) == (409, "already_awarded")
    assert (no_award.status_code, no_award.json()["error"]["code"]) == (409, "already_awarded")
    assert (refreeze.status_code, refreeze.json()["error"]["code"]) == (409, "search_frozen")
    assert edit.status_code == 409
    assert selection_state() == before


def test_award_creates_a_draft_order_and_names_it_in_the_audit_event(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)
    response = client.post(f"/api/v1/searches/{body['id']}/award/", {
        "listing_version": market["condor"].pk, "justification": "Lowest.", **AWARD_BODY}, format="json")

    assert response.status_code == 201, response.json()
    order = CallOffOrder.objects.get(pk=response.json()["order"])
    assert order.award_id == response.json()["id"]
    assert order.status == "draft"
    assert order.cap == Decimal("5000.00")
    assert AuditEvent.objects.get(action="award.made").payload["order"] == order.pk


def test_a_failing_order_rolls_the_award_back(buyer, market, monkeypatch):
    from common.errors import ValidationFailed

    def refuse(**kwargs):
        raise ValidationFailed("The order term is too long.", fields={"end": ["Too long."]})

    monkeypatch.setattr(award_services, "order_create_from_award", refuse)
    client = client_for(buyer)
    body = frozen_search(client, market)
    before = selection_state()

    response = client.post(f"/api/v1/searches/{body['id']}/award/", {
        "listing_version": market["condor"].pk, "justification": "Lowest.", **AWARD_BODY}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"end": ["Too long."]}
    assert selection_state() == before


def test_no_award_from_a_frozen_search_records_reason_and_hash(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)

    empty = client.post(f"/api/v1/searches/{body['id']}/no-award/", {"reason": " "}, format="json")
    assert empty.status_code == 400
    assert not Award.objects.exists()

    response = client.post(f"/api/v1/searches/{body['id']}/no-award/", {"reason": "Nothing suitable."}, format="json")

    assert response.status_code == 201
    award = Award.objects.get()
    assert (award.outcome, award.justification, award.search_id, award.supplier) == (
        "no_award", "Nothing suitable.", body["id"], None)
    assert Requirement.objects.get(pk=body["requirement"]).status == "no_award"
    event = AuditEvent.objects.get(action="award.no_award")
    assert event.payload == {"requirement": body["requirement"], "search": body["id"],
                             "entries_hash": body["entries_hash"], "reason": "Nothing suitable."}


def test_requirement_level_no_award_closes_an_unsearched_requirement(buyer, market):
    client = client_for(buyer)
    requirement = create_requirement(client, market)

    response = client.post(f"/api/v1/requirements/{requirement['id']}/no-award/", {"reason": "Work cancelled."},
                           format="json")

    assert response.status_code == 201
    assert Requirement.objects.get(pk=requirement["id"]).status == "no_award"
    assert AuditEvent.objects.get(action="award.no_award").payload["entries_hash"] == ""
    # Closed: no more searches.
    refused = client.post("/api/v1/searches/", {"name": "late", "query": query_for(market),
                                                "requirement": requirement["id"]}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "requirement_closed")


# --- scoping ------------------------------------------------------------------------------------


def test_other_buyers_and_suppliers_get_404_everywhere(buyer, market, other_buyer_user):
    client = client_for(buyer)
    body = frozen_search(client, market)
    supplier = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER, organization=market["condor"].supplier)
    before = selection_state()

    for outsider in (other_buyer_user, supplier):
        outsider_client = client_for(outsider)
        assert outsider_client.get("/api/v1/requirements/").json()["count"] == 0
        assert outsider_client.get("/api/v1/searches/").json()["count"] == 0
        for method, url, data in [
            ("get", f"/api/v1/requirements/{body['requirement']}/", None),
            ("patch", f"/api/v1/requirements/{body['requirement']}/", {"title": "x"}),
            ("post", f"/api/v1/requirements/{body['requirement']}/no-award/", {"reason": "x"}),
            ("get", f"/api/v1/searches/{body['id']}/", None),
            ("patch", f"/api/v1/searches/{body['id']}/", {"name": "x"}),
            ("post", f"/api/v1/searches/{body['id']}/freeze/", None),
            ("get", f"/api/v1/searches/{body['id']}/export/?format=csv", None),
            ("get", f"/api/v1/searches/{body['id']}/comparison/", None),
            ("post", f"/api/v1/searches/{body['id']}/award/",
             {"listing_version": market["condor"].pk, "justification": "x", **AWARD_BODY}),
            ("post", f"/api/v1/searches/{body['id']}/no-award/", {"reason": "x"}),
        ]:
            response = getattr(outsider_client, method)(url, data, format="json") if data else getattr(outsider_client, method)(url)
            assert response.status_code == 404, (outsider, method, url, response.status_code)
            assert response.json()["error"]["code"] == "not_found"
    assert selection_state() == before


def test_two_buyer_entities_see_only_their_own_requirements(buyer, market, other_buyer_user):
    mine = create_requirement(client_for(buyer), market)
    theirs = create_requirement(client_for(other_buyer_user), market)

    assert [r["id"] for r in client_for(buyer).get("/api/v1/requirements/").json()["results"]] == [mine["id"]]
    assert [r["id"] for r in client_for(other_buyer_user).get("/api/v1/requirements/").json()["results"]] == [theirs["id"]]
    colleague = member(Organization.Kind.BUYER, Membership.Role.APPROVER, organization=organization(buyer))
    assert client_for(colleague).get(f"/api/v1/requirements/{mine['id']}/").status_code == 200


def test_oversight_reads_everything_and_every_write_is_403(buyer, market, auditor_user):
    client = client_for(buyer)
    body = frozen_search(client, market)
    auditor = client_for(auditor_user)

    assert auditor.get(f"/api/v1/requirements/{body['requirement']}/").status_code == 200
    assert auditor.get(f"/api/v1/searches/{body['id']}/").json()["entries_hash"] == body["entries_hash"]
    assert auditor.get(f"/api/v1/searches/{body['id']}/comparison/").status_code == 200
    assert [r["id"] for r in auditor.get("/api/v1/requirements/").json()["results"]] == [body["requirement"]]
    assert auditor.get(f"/api/v1/searches/{body['id']}/export/?format=xlsx").status_code == 200
    assert AuditEvent.objects.filter(action="search.exported", actor=auditor_user).count() == 1
    before = selection_state()

    for method, url, data in [
        ("post", "/api/v1/requirements/", requirement_body(market)),
        ("patch", f"/api/v1/requirements/{body['requirement']}/", {"title": "x"}),
        ("post", f"/api/v1/requirements/{body['requirement']}/no-award/", {"reason": "x"}),
        ("post", "/api/v1/searches/", {"name": "x", "query": query_for(market), "requirement": body["requirement"]}),
        ("patch", f"/api/v1/searches/{body['id']}/", {"name": "x"}),
        ("post", f"/api/v1/searches/{body['id']}/freeze/", {}),
        ("post", f"/api/v1/searches/{body['id']}/award/",
         {"listing_version": market["condor"].pk, "justification": "x", **AWARD_BODY}),
        ("post", f"/api/v1/searches/{body['id']}/no-award/", {"reason": "x"}),
    ]:
        response = getattr(auditor, method)(url, data, format="json")
        assert response.status_code == 403, (method, url, response.json())
        assert response.json()["error"]["code"] == "permission_denied"
    assert selection_state() == before


def test_anonymous_gets_401(market):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/requirements/").status_code == 401
    assert APIClient().post("/api/v1/searches/", {"name": "x"}, format="json").status_code == 401


def test_audit_trail_of_the_journey_carries_the_snapshot_hash(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)
    client.get(f"/api/v1/searches/{body['id']}/export/?format=csv")
    client.post(f"/api/v1/searches/{body['id']}/award/", {
        "listing_version": market["condor"].pk, "justification": "Lowest.", **AWARD_BODY}, format="json")

    actions = list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))
    selection_actions = [a for a in actions if a.split(".")[0] in ("requirement", "search", "award")]
    assert selection_actions == ["requirement.created", "search.saved", "search.frozen", "search.exported", "award.made"]
    stored = [[e.rank, e.listing_version_id, str(e.unit_price)]
              for e in SearchSnapshotEntry.objects.filter(search_id=body["id"]).order_by("rank")]
    expected = digest_of(stored)
    for action in ("search.frozen", "search.exported", "award.made"):
        assert AuditEvent.objects.get(action=action).payload["entries_hash"] == expected
    from audit.verify import verify_chain

    assert verify_chain().ok


def test_criterion_operators_evaluate_against_attributes():
    from marketplace.selection.selectors import evaluate_criterion

    def check(operator, expected, attributes, key="k"):
        criterion = RequirementCriterion(importance="essential", attribute_key=key, operator=operator,
                                         expected=expected, text="t")
        return evaluate_criterion(criterion, attributes)[0]

    assert check("equals", "PE", {"k": "pe"}) == "met"
    assert check("equals", "PE", {"k": "US"}) == "not_met"
    assert check("equals", True, {"k": "yes"}) == "met"
    assert check("equals", "true", {"k": False}) == "not_met"
    assert check("equals", "10", {"k": 10}) == "met"
    assert check("includes", ["ISO27001", "SOC2"], {"k": ["SOC2", "ISO27001", "PCI"]}) == "met"
    assert check("includes", ["ISO27001", "SOC2"], {"k": ["SOC2"]}) == "not_met"
    assert check("includes", "SOC2", {"k": "SOC2"}) == "met"
    assert check("min", "99.9", {"k": "99.95"}) == "met"
    assert check("min", "99.9", {"k": 99.5}) == "not_met"
    assert check("max", "5", {"k": "5"}) == "met"
    assert check("max", "5", {"k": "6"}) == "not_met"
    assert check("min", "5", {"k": "fast"}) == "judge"
    assert check("equals", "PE", {}) == "not_met"
    assert check("text", None, {"k": "x"}, key="") == "judge"


def test_errors_inside_a_list_of_items_are_numbered_not_python_reprs(buyer, market):
    body = requirement_body(market)
    body["estimates"] = [{"unit": "vCPU-hour", "quantity": "10"}, {"unit": "GB-month", "quantity": "1" + "0" * 30}]
    before = selection_state()

    response = client_for(buyer).post("/api/v1/requirements/", body, format="json")

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["estimates.1.quantity"], fields
    assert "ErrorDetail" not in response.content.decode()
    assert selection_state() == before


def test_an_awarded_order_may_end_on_the_day_it_starts(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)

    response = client.post(f"/api/v1/searches/{body['id']}/award/", {
        "listing_version": market["condor"].pk, "justification": "Lowest.", "cap": "5000.00",
        "start": months_from_this_month(-9).isoformat(), "end": months_from_this_month(-9).isoformat()}, format="json")

    assert response.status_code == 201, response.json()
    order = CallOffOrder.objects.get(pk=response.json()["order"])
    assert (order.start_date, order.end_date) == (months_from_this_month(-9), months_from_this_month(-9))


def test_an_award_whose_order_ends_before_it_starts_or_has_no_cap_is_refused(buyer, market):
    client = client_for(buyer)
    body = frozen_search(client, market)
    before = selection_state()

    reversed_term = client.post(f"/api/v1/searches/{body['id']}/award/", {
        "listing_version": market["condor"].pk, "justification": "Lowest.", "cap": "5000.00",
        "start": months_from_this_month(-9, day=2).isoformat(), "end": months_from_this_month(-9).isoformat()}, format="json")
    zero_cap = client.post(f"/api/v1/searches/{body['id']}/award/", {
        "listing_version": market["condor"].pk, "justification": "Lowest.", "cap": "0",
        "start": months_from_this_month(-9).isoformat(), "end": months_from_this_month(-9, day=-1).isoformat()}, format="json")

    assert reversed_term.status_code == 400
    assert reversed_term.json()["error"]["fields"] == {"end": ["Enter a date on or after the start date."]}
    assert zero_cap.status_code == 400
    assert zero_cap.json()["error"]["fields"] == {"cap": ["Enter a number greater than 0."]}
    assert selection_state() == before
    assert not CallOffOrder.objects.exists()


def test_a_requirement_period_may_end_on_its_start_day_and_its_budget_is_an_amount(buyer, market):
    client = client_for(buyer)
    one_day = requirement_body(market) | {"period_start": months_from_this_month(-9).isoformat(), "period_end": months_from_this_month(-9).isoformat()}

    created = client.post("/api/v1/requirements/", one_day, format="json")
    before = selection_state()
    refused = client.post("/api/v1/requirements/", requirement_body(market) | {"budget": "0", "title": " "},
                          format="json")

    assert created.status_code == 201, created.json()
    assert (created.json()["period_start"], created.json()["period_end"]) == (months_from_this_month(-9).isoformat(), months_from_this_month(-9).isoformat())
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"title": ["Give the requirement a title."],
                                                 "budget": ["Enter a number greater than 0."]}
    assert selection_state() == before


def test_a_partial_change_keeps_the_other_details(buyer, market):
    client = client_for(buyer)
    requirement = create_requirement(client, market)

    response = client.patch(f"/api/v1/requirements/{requirement['id']}/", {"budget": "30000.00"}, format="json")

    assert response.status_code == 200, response.json()
    stored = Requirement.objects.get(pk=requirement["id"])
    assert (stored.title, stored.budget, stored.period_start, stored.period_end, stored.lot_id) == (
        "Hosting for patient records", Decimal("30000.00"), months_from_this_month(-9), months_from_this_month(0, day=-1), market["lot"].pk)
    assert AuditEvent.objects.filter(action="requirement.updated").get().payload["budget"] == "30000.00"


def test_a_body_that_is_not_an_object_is_refused(buyer, market):
    client = client_for(buyer)
    before = selection_state()

    response = client.post("/api/v1/requirements/", [1, 2], format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_an_object"
    assert selection_state() == before
