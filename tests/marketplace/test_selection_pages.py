"""The selection journey through the server-rendered pages (Django test client, signed in)."""

import csv
import io
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client
from openpyxl import load_workbook

from agreements.models import FrameworkAgreement, Membership, Organization
from audit.models import AuditEvent
from marketplace.selection.inputs import CriterionInput, RequirementInput
from marketplace.selection.models import Award, Requirement, RequirementCriterion, SavedSearch, SearchSnapshotEntry
from marketplace.selection.services.requirements import requirement_create
from tests.clock import months_from_this_month
from tests.factories import member
from tests.marketplace.factories_selection import hosting_market, search_saved_from_pages

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def market(db):
    framework, lot, versions = hosting_market()
    andes, pacific, condor = versions
    return {"framework": framework, "lot": lot, "andes": andes, "pacific": pacific, "condor": condor}


@pytest.fixture
def buyer(db):
    return member(Organization.Kind.BUYER, Membership.Role.REQUESTER, username="ana")


def test_whole_journey_through_the_pages(buyer, market):
    client = signed_in(buyer)
    framework, lot = market["framework"], market["lot"]

    # 1. Describe the requirement.
    assert client.get("/buyer/requirements/").status_code == 200
    page = client.get("/buyer/requirements/new/")
    assert page.status_code == 200
    assert b'<label class="label" for="id_title">' in page.content
    response = client.post("/buyer/requirements/new/", {
        "title": "Records hosting", "framework": framework.pk, "lot": lot.pk, "description": "VMs",
        "budget": "25000.00", "period_start": months_from_this_month(-9).isoformat(), "period_end": months_from_this_month(0, day=-1).isoformat(),
    })
    requirement = Requirement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/buyer/requirements/{requirement.pk}/"
    assert (requirement.title, requirement.framework, requirement.lot, requirement.budget) == (
        "Records hosting", framework, lot, Decimal("25000.00"))

    # Essential and desired requirements, one per page; an estimate.
    assert client.get(f"/buyer/requirements/{requirement.pk}/criteria/essential/add/").status_code == 200
    assert client.post(f"/buyer/requirements/{requirement.pk}/criteria/essential/add/", {
        "text": "Data stays in Peru", "attribute_key": "data_location", "operator": "equals", "expected": "PE",
    }).status_code == 302
    assert client.post(f"/buyer/requirements/{requirement.pk}/criteria/desired/add/", {
        "text": "Uptime of at least 99.9%", "attribute_key": "uptime", "operator": "min", "expected": "99.9",
    }).status_code == 302
    assert client.post(f"/buyer/requirements/{requirement.pk}/estimates/add/", {
        "unit": "vCPU-hour", "quantity": "10000"}).status_code == 302
    assert sorted(requirement.criteria.values_list("importance", "attribute_key", "operator", "expected")) == [
        ("desired", "uptime", "min", "99.9"), ("essential", "data_location", "equals", "PE")]
    detail = client.get(f"/buyer/requirements/{requirement.pk}/")
    assert b"Data stays in Peru" in detail.content and b"vCPU-hour" in detail.content

    # 2. Save the search from the results page's query string.
    query_string = urlencode({"framework": framework.pk, "lot": lot.pk, "sort": "price", "page": 2})
    save_page = client.get(f"/buyer/searches/save/?{query_string}")
    assert save_page.status_code == 200
    assert save_page.context["query"] == {"framework": str(framework.pk), "lot": str(lot.pk), "sort": "price"}
    response = client.post("/buyer/searches/save/", {
        "name": "Peru hosting", "requirement": str(requirement.pk), "query_string": query_string})
    search = SavedSearch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/buyer/searches/{search.pk}/"
    assert search.query == {"framework": str(framework.pk), "lot": str(lot.pk), "sort": "price"}
    assert search.requirement == requirement
    open_page = client.get(f"/buyer/searches/{search.pk}/")
    assert open_page.context["current_count"] == 3

    # 3. End the search: confirmation required.
    confirm_page = client.get(f"/buyer/searches/{search.pk}/end/")
    assert b"cannot change" in confirm_page.content
    unconfirmed = client.post(f"/buyer/searches/{search.pk}/end/", {})
    assert unconfirmed.status_code == 200
    assert b"error-summary" in unconfirmed.content
    assert SavedSearch.objects.get().status == "open"
    response = client.post(f"/buyer/searches/{search.pk}/end/", {"confirm": "on"})
    assert response.status_code == 302
    search.refresh_from_db()
    assert (search.status, search.result_count, search.frozen_by) == ("frozen", 3, buyer)
    frozen_page = client.get(f"/buyer/searches/{search.pk}/")
    assert [e.rank for e in frozen_page.context["entries"]] == [1, 2, 3]
    assert search.entries_hash.encode() in frozen_page.content

    # 4. Export.
    csv_response = client.get(f"/buyer/searches/{search.pk}/export/?format=csv")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Framework", f"{framework.reference} {framework.title}"]
    assert [row[2] for row in rows[9:]] == ["Pacific compute", "Condor compute", "Andes compute"]
    xlsx = load_workbook(io.BytesIO(client.get(f"/buyer/searches/{search.pk}/export/?format=xlsx").content)).active
    assert [row[2] for row in xlsx.iter_rows(min_row=10, values_only=True)] == [
        "Pacific compute", "Condor compute", "Andes compute"]
    assert list(AuditEvent.objects.filter(action="search.exported").values_list("payload__format", flat=True)) == [
        "csv", "xlsx"]

    # 5. Compare (printable page and download).
    comparison = client.get(f"/buyer/searches/{search.pk}/comparison/")
    assert comparison.status_code == 200
    assert b'<table class="table comparison">' in comparison.content
    stylesheet = (settings.BASE_DIR / "config" / "static" / "site" / "site.css").read_text()
    assert "@page { size: A4 landscape" in stylesheet and ".comparison td.fail" in stylesheet
    assert b"Fails an essential requirement" in comparison.content
    assert comparison.context["comparison"].lowest_estimated_total == Decimal("1800.00")
    download = client.get(f"/buyer/searches/{search.pk}/comparison/download/?format=csv")
    assert download["Content-Disposition"] == f'attachment; filename="search-{search.pk}-comparison.csv"'

    # 6. Award: the dearer option needs the cheaper-option reason, shown with the difference.
    award_page = client.get(f"/buyer/searches/{search.pk}/award/?listing_version={market['andes'].pk}")
    assert award_page.context["needs_reason"] is True
    assert b"200.00" in award_page.content
    # Pacific fails an essential requirement: it is not offered.
    offered = [value for value, _label in award_page.context["form"].fields["listing_version"].choices]
    assert offered == [market["condor"].pk, market["andes"].pk]
    missing_reason = client.post(f"/buyer/searches/{search.pk}/award/", {
        "listing_version": market["andes"].pk, "justification": "Better uptime.", "cap": "5000.00",
        "start": months_from_this_month(-9).isoformat(), "end": months_from_this_month(0, day=-1).isoformat()})
    assert missing_reason.status_code == 200
    assert b"Explain why the cheaper option was not chosen." in missing_reason.content
    assert b'href="#id_cheaper_option_reason"' in missing_reason.content
    assert not Award.objects.exists()
    response = client.post(f"/buyer/searches/{search.pk}/award/", {
        "listing_version": market["andes"].pk, "justification": "Better uptime.",
        "cheaper_option_reason": "Condor's uptime is too low.", "cap": "5000.00", "start": months_from_this_month(-9).isoformat(),
        "end": months_from_this_month(0, day=-1).isoformat()})
    assert response.status_code == 302
    award = Award.objects.get()
    assert (award.listing_version, award.price_difference) == (market["andes"], Decimal("200.00"))
    assert Requirement.objects.get().status == "awarded"
    final = client.get(f"/buyer/requirements/{requirement.pk}/")
    assert b"Condor&#x27;s uptime is too low." in final.content
    order = award.order
    assert f'<a href="/orders/{order.pk}/">{order.reference}</a>'.encode() in final.content


def test_save_page_into_a_new_requirement(buyer, market):
    client = signed_in(buyer)
    query_string = urlencode({"framework": market["framework"].pk, "q": "compute"})

    response = client.post("/buyer/searches/save/", {"name": "Compute", "requirement": "new",
                                                     "query_string": query_string})

    search = SavedSearch.objects.get()
    assert response["Location"] == f"/buyer/searches/{search.pk}/"
    assert search.requirement.title == "Compute"
    assert search.query == {"framework": str(market["framework"].pk), "q": "compute"}


def test_a_requirement_saved_from_a_search_is_described_afterwards_until_its_search_ends(buyer, market):
    client = signed_in(buyer)
    client.post("/buyer/searches/save/", {"name": "Compute", "requirement": "new",
                                          "query_string": urlencode({"framework": market["framework"].pk})})
    search = SavedSearch.objects.get()
    requirement = search.requirement
    page = client.get(f"/buyer/requirements/{requirement.pk}/").content.decode()
    assert f'href="/buyer/requirements/{requirement.pk}/edit/"' in page
    assert "<dd>– – –</dd>" not in page

    refused = client.post(f"/buyer/requirements/{requirement.pk}/edit/", {
        "title": "Compute for the records system", "budget": "lots", "period_start": months_from_this_month(-8).isoformat()})
    assert refused.status_code == 200 and 'class="error-summary"' in refused.content.decode()
    requirement.refresh_from_db()
    assert (requirement.title, requirement.budget) == ("Compute", None)

    saved = client.post(f"/buyer/requirements/{requirement.pk}/edit/", {
        "title": "Compute for the records system", "framework": market["framework"].pk, "lot": market["lot"].pk,
        "description": "Servers for the records system.", "budget": "15000.00",
        "period_start": months_from_this_month(-8).isoformat(), "period_end": months_from_this_month(3, day=-1).isoformat()})
    assert saved["Location"] == f"/buyer/requirements/{requirement.pk}/"
    requirement.refresh_from_db()
    assert (requirement.title, requirement.lot, requirement.budget, str(requirement.period_end)) == (
        "Compute for the records system", market["lot"], Decimal("15000.00"), months_from_this_month(3, day=-1).isoformat())
    assert AuditEvent.objects.filter(action="requirement.updated", target_id=str(requirement.pk)).count() == 1

    client.post(f"/buyer/searches/{search.pk}/end/", {"confirm": "on"})
    assert SavedSearch.objects.get().status == "frozen"
    page = client.get(f"/buyer/requirements/{requirement.pk}/").content.decode()
    opened = client.get(f"/buyer/requirements/{requirement.pk}/edit/", follow=True)
    late = client.post(f"/buyer/requirements/{requirement.pk}/edit/", {"title": "Changed after the search ended"})
    assert f'href="/buyer/requirements/{requirement.pk}/edit/"' not in page
    assert opened.redirect_chain == [(f"/buyer/requirements/{requirement.pk}/", 302)]
    assert "A search for this requirement has ended; its requirements can no longer change." in \
        opened.content.decode()
    assert late["Location"] == f"/buyer/requirements/{requirement.pk}/"
    requirement.refresh_from_db()
    assert requirement.title == "Compute for the records system"


def test_requirement_form_errors_use_the_error_summary(buyer, market):
    client = signed_in(buyer)
    response = client.post("/buyer/requirements/new/", {"title": "", "budget": "lots"})

    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="error-summary"' in content
    assert 'href="#id_title"' in content and 'href="#id_budget"' in content
    assert 'Title of the requirement: <a href="#id_title">This field is required.</a>' in content  # names the field
    assert not Requirement.objects.exists()


def test_freeze_page_over_the_limit_shows_the_problem_and_changes_nothing(buyer, market):
    FrameworkAgreement.objects.filter(pk=market["framework"].pk).update(max_frozen_results=2)
    client = signed_in(buyer)
    client.post("/buyer/searches/save/", {"name": "Wide", "requirement": "new",
                                          "query_string": urlencode({"framework": market["framework"].pk})})
    search = SavedSearch.objects.get()

    page = client.get(f"/buyer/searches/{search.pk}/end/")
    assert b"Refine it to 2 or fewer" in page.content
    response = client.post(f"/buyer/searches/{search.pk}/end/", {"confirm": "on"})

    assert response.status_code == 200
    assert b"The search found 3 results; a search can end with at most 2. Refine it first." in response.content
    search.refresh_from_db()
    assert search.status == "open"
    assert not SearchSnapshotEntry.objects.exists()


def test_no_award_page_closes_the_requirement(buyer, market):
    client = signed_in(buyer)
    client.post("/buyer/requirements/new/", {"title": "Cancelled work", "framework": market["framework"].pk})
    requirement = Requirement.objects.get()

    empty = client.post(f"/buyer/requirements/{requirement.pk}/no-award/", {"reason": ""})
    assert b"Give the reason for not awarding." in empty.content
    response = client.post(f"/buyer/requirements/{requirement.pk}/no-award/", {"reason": "Work cancelled."})

    assert response.status_code == 302
    assert Requirement.objects.get().status == "no_award"
    assert Award.objects.get().justification == "Work cancelled."


def test_pages_are_scoped_other_buyers_get_404_and_oversight_reads_only(buyer, market, auditor_user, other_buyer_user):
    client = signed_in(buyer)
    search = search_saved_from_pages(client, market["framework"])
    requirement = search.requirement
    events = AuditEvent.objects.count()

    other = signed_in(other_buyer_user)
    assert list(other.get("/buyer/requirements/").context["requirements"]) == []
    for url in (f"/buyer/requirements/{requirement.pk}/", f"/buyer/searches/{search.pk}/",
                f"/buyer/searches/{search.pk}/comparison/", f"/buyer/searches/{search.pk}/export/?format=csv",
                f"/buyer/searches/{search.pk}/award/", f"/buyer/requirements/{requirement.pk}/no-award/"):
        assert other.get(url).status_code == 404, url

    auditor = signed_in(auditor_user)
    assert list(auditor.get("/buyer/requirements/").context["requirements"]) == [requirement]
    detail = auditor.get(f"/buyer/searches/{search.pk}/")
    assert detail.status_code == 200
    assert b"/award/" not in detail.content
    assert auditor.get(f"/buyer/searches/{search.pk}/comparison/").status_code == 200
    assert auditor.get(f"/buyer/searches/{search.pk}/award/").status_code == 403
    assert auditor.post(f"/buyer/searches/{search.pk}/no-award/", {"reason": "x"}).status_code == 403
    assert auditor.post(f"/buyer/requirements/{requirement.pk}/criteria/essential/add/", {"text": "x", "operator": "text"}).status_code == 403
    assert auditor.get("/buyer/requirements/new/").status_code == 403
    assert not Award.objects.exists()
    assert AuditEvent.objects.count() == events
    assert RequirementCriterion.objects.count() == 0


def test_pages_need_sign_in(market):
    response = Client().get("/buyer/requirements/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_award_page_of_a_decided_requirement_sends_back_to_the_requirement(buyer, market):
    client = signed_in(buyer)
    search = search_saved_from_pages(client, market["framework"])
    client.post(f"/buyer/searches/{search.pk}/no-award/", {"reason": "Nothing suitable."})

    response = client.get(f"/buyer/searches/{search.pk}/award/")

    assert response.status_code == 302
    assert response["Location"] == f"/buyer/requirements/{search.requirement_id}/"
    assert Award.objects.get().outcome == "no_award"


def _comparison_of_peru_hosting(buyer, market, *, estimate: str | None = None) -> str:
    """Save a search of the market's framework in a new requirement with "data in Peru" as essential
    (and ``estimate`` vCPU-hours), end it and return its comparison page."""
    from tests.marketplace.factories_selection import add_criterion, add_estimate

    client = signed_in(buyer)
    client.post("/buyer/searches/save/", {"name": "Peru", "requirement": "new",
                                          "query_string": urlencode({"framework": market["framework"].pk})})
    search = SavedSearch.objects.get()
    add_criterion(search.requirement, importance="essential", text="Peru", attribute_key="data_location",
                  operator="includes", expected=["PE"])
    if estimate is not None:
        add_estimate(search.requirement, unit="vCPU-hour", quantity=estimate)
    client.post(f"/buyer/searches/{search.pk}/end/", {"confirm": "on"})
    return client.get(f"/buyer/searches/{search.pk}/comparison/").content.decode()


def test_comparison_page_shows_list_values_in_words(buyer, market):
    content = _comparison_of_peru_hosting(buyer, market)

    assert '<span class="hint">PE</span>' in content
    assert "[&#x27;" not in content


def test_read_only_pages_refuse_other_methods(buyer, market):
    client = signed_in(buyer)
    search = search_saved_from_pages(client, market["framework"])
    events = AuditEvent.objects.count()

    for url in (f"/buyer/searches/{search.pk}/export/?format=csv", f"/buyer/searches/{search.pk}/comparison/",
                f"/buyer/searches/{search.pk}/", "/buyer/requirements/"):
        assert client.post(url).status_code == 405, url
        assert client.delete(url).status_code == 405, url
    assert AuditEvent.objects.count() == events


def test_comparison_says_how_far_each_total_is_above_or_below_the_lowest_compliant(buyer, market):
    content = _comparison_of_peru_hosting(buyer, market, estimate="1000")

    # Condor (PE, 180.00) is the lowest compliant; Andes (PE) costs 200.00; Pacific (US) 150.00.
    assert "20.00\u00a0PEN above the lowest compliant" in content
    assert "30.00\u00a0PEN below the lowest compliant" in content
    assert "+-" not in content and "+20.00" not in content


def test_criteria_are_shown_in_the_words_of_the_catalog_question_and_its_answers(buyer, market):
    requirement = requirement_create(
        actor=buyer, details=RequirementInput(title="Hosting", framework_id=market["framework"].pk,
                                              lot_id=market["lot"].pk),
        criteria=[
            CriterionInput(importance="essential", attribute_key="data_location", operator="includes",
                           expected=["PE", "US"], text="Data in Peru or the USA"),
            CriterionInput(importance="desired", attribute_key="uptime", operator="min", expected="99.9",
                           text="High availability"),
            CriterionInput(importance="desired", operator="text", text="Support in Spanish"),
        ],
    )

    page = signed_in(buyer).get(f"/buyer/requirements/{requirement.pk}/").content.decode()

    labels = {d.key: d.label for d in market["lot"].attribute_definitions.all()}
    assert f"<td>{labels['data_location']} includes Peru, USA</td>" in page
    assert f"<td>{labels['uptime']} at least 99.9 %</td>" in page
    assert "<td>Judged by the buyer</td>" in page
    assert "<code>data_location</code>" not in page and "[&#x27;PE&#x27;" not in page


def test_when_no_option_meets_the_essentials_the_award_page_offers_only_a_no_award(buyer, market):
    requirement = requirement_create(
        actor=buyer, details=RequirementInput(title="Hosting", framework_id=market["framework"].pk,
                                              lot_id=market["lot"].pk),
        criteria=[CriterionInput(importance="essential", attribute_key="uptime", operator="min", expected="99.99",
                                 text="Four nines")],
    )
    client = signed_in(buyer)
    search = search_saved_from_pages(client, market["framework"], name="All hosting", requirement=str(requirement.pk))

    page = client.get(f"/buyer/searches/{search.pk}/award/").content.decode()

    assert "No result meets every essential requirement." in page
    assert "Make the award" not in page
    assert f'href="/buyer/searches/{search.pk}/no-award/"' in page


def test_a_refusal_read_from_the_form_lands_on_its_field(buyer, market):
    client = signed_in(buyer)

    response = client.post("/buyer/requirements/new/", {"title": "Hosting", "budget": "0",
                                                        "period_start": "2026-03-02", "period_end": "2026-03-01"})

    content = response.content.decode()
    assert response.status_code == 200
    assert 'Budget: <a href="#id_budget">Enter a number greater than 0.</a>' in content
    assert 'Period ends: <a href="#id_period_end">Enter a date on or after the start date.</a>' in content
    assert not Requirement.objects.exists()
