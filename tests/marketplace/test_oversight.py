"""The auditor's workspace: selection log (filters, sorting, exports, access) and the trail of one
selection with its "Check this trail" action (honest trail passes; tampered data fails)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from agreements.models import Membership, Organization
from audit.models import AuditEvent
from marketplace.oversight.models import RedFlag
from marketplace.oversight.selectors.trail_events import payload_in_words
from marketplace.oversight.services import red_flags_refresh
from marketplace.selection.models import Award, SearchSnapshotEntry
from tests.clock import months_from_this_month
from tests.conftest import client_for
from tests.factories import member
from tests.marketplace.factories_competitions import (
    award_as,
    close,
    create_competition,
    evaluate_as,
    publish,
    published_listing,
    submit,
)
from tests.marketplace.factories_orders import AwardFactory
from tests.marketplace.test_oversight_support import direct_award_story, org

pytestmark = pytest.mark.django_db

LOG = "/api/v1/oversight/selections/"


@pytest.fixture
def story(db):
    return direct_award_story()


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    return [row["id"] for row in response.json()["results"]]


def when(award, days_ago: int) -> None:
    Award.objects.filter(pk=award.pk).update(created_at=timezone.now() - timedelta(days=days_ago))


# --- access ---------------------------------------------------------------------------------------------


def test_log_and_trail_are_for_oversight_only(story, auditor_user, api_client):
    award = story["award"]
    assert api_client.get(LOG).status_code == 401
    assert api_client.get(f"{LOG}{award.pk}/").status_code == 401
    for user in (story["buyer"], story["supplier"], story["approver"]):
        for path in (LOG, f"{LOG}{award.pk}/", f"{LOG}export/?format=csv", "/api/v1/oversight/flags/"):
            response = client_for(user).get(path)
            assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
        assert client_for(user).post(f"{LOG}{award.pk}/check/").status_code == 403
    assert client_for(auditor_user).get(LOG).status_code == 200


def test_pages_send_anonymous_users_to_sign_in_and_refuse_others(story, auditor_user):
    award = story["award"]
    for path in ("/oversight/selections/", f"/oversight/selections/{award.pk}/", "/oversight/flags/"):
        response = Client().get(path)
        assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={path}")
        assert page_client(story["buyer"]).get(path).status_code == 403
        assert page_client(auditor_user).get(path).status_code == 200
    assert page_client(auditor_user).get("/oversight/selections/999999/").status_code == 404


# --- the log ------------------------------------------------------------------------------------------


@pytest.fixture
def log_world(story):
    """The story's direct award (Andes, 2000.00, order cap 5500.00 after amendment), a second
    buyer's direct award to Condor (1800.00, 10 days ago), a no-award (40 days ago), and a
    competition award (lowest price, 220.00) in a second lot."""
    market = (story["framework"], story["lot"], story["versions"])
    other = direct_award_story(market=market, choose="condor", title="Backup hosting", with_order_life=False)
    when(other["award"], 10)
    buyer = story["buyer"]
    no_award = AwardFactory(organization=org(buyer), framework=story["framework"], outcome=Award.Outcome.NO_AWARD,
                            listing_version=None, supplier=None, justification="Work cancelled.")
    when(no_award, 40)
    competition_buyer = member(Organization.Kind.BUYER, Membership.Role.REQUESTER, Membership.Role.APPROVER)
    from tests.factories import AdmissionFactory, LotFactory

    lot2 = LotFactory(framework=story["framework"], number=2, title="Storage")
    supplier = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER)
    AdmissionFactory(supplier=org(supplier), lot=lot2)
    competition = publish(competition_buyer, create_competition(competition_buyer, lot2))
    published_listing(supplier=org(supplier), lot=lot2, unit="vCPU-hour", price="0.200000")
    quote = submit(supplier, competition, "0.18", "0.08")
    close(competition)
    evaluate_as(actor=competition_buyer, competition_id=competition.pk,
                                              evaluations=[{"quote": quote.pk}])
    competition_award = award_as(
        actor=competition_buyer, competition_id=competition.pk, quote_id=quote.pk, justification="Only valid quote",
        start=months_from_this_month(1).isoformat(), end=months_from_this_month(12, day=-1).isoformat())
    red_flags_refresh()
    return {"direct": story["award"], "other": other["award"], "no_award": no_award, "competition": competition_award,
            "lot2": lot2, "competition_buyer": competition_buyer, "other_buyer": other["buyer"]}


def test_log_lists_every_award_and_no_award_newest_first_with_its_values(story, log_world, auditor_user):
    client = client_for(auditor_user)
    body = client.get(LOG).json()
    w = log_world
    assert body["count"] == 4
    assert [row["id"] for row in body["results"]] == [w["competition"].pk, w["direct"].pk, w["other"].pk,
                                                      w["no_award"].pk]
    direct = body["results"][1]
    assert direct == {
        "id": w["direct"].pk, "date": w["direct"].created_at.isoformat(),
        "buyer": {"id": org(story["buyer"]).pk, "name": org(story["buyer"]).name},
        "supplier": {"id": story["andes"].supplier_id, "name": "Andes Cloud"},
        "framework": {"id": story["framework"].pk, "reference": story["framework"].reference},
        "lot": story["lot"].pk, "requirement": {"id": story["requirement_id"], "title": "Hosting for patient records"},
        "method": "direct", "outcome": "awarded", "currency": "PEN", "estimated_total": "2000.00",
        "lowest_estimated_total": "1800.00", "price_difference": "200.00",
        "order": {"id": story["order"].pk, "reference": story["order"].reference, "cap": "5500.00",
                  "original_cap": "5000.00", "status": "active"},
        "flags": ["not_lowest"],
    }
    competition_row = body["results"][0]
    assert (competition_row["method"], competition_row["lot"], competition_row["estimated_total"],
            competition_row["order"]["cap"], competition_row["flags"]) == (
        "competition", w["lot2"].pk, "220.00", "220.00", ["single_quote"])
    assert body["results"][3]["supplier"] is None and body["results"][3]["outcome"] == "no_award"


def test_log_filters(story, log_world, auditor_user):
    client = client_for(auditor_user)
    w = log_world
    buyer = org(story["buyer"])
    assert ids(client.get(LOG, {"buyer": buyer.pk})) == [w["direct"].pk, w["no_award"].pk]
    assert ids(client.get(LOG, {"supplier": story["condor"].supplier_id})) == [w["other"].pk]
    assert ids(client.get(LOG, {"framework": story["framework"].pk})) == [
        w["competition"].pk, w["direct"].pk, w["other"].pk, w["no_award"].pk]
    assert ids(client.get(LOG, {"lot": w["lot2"].pk})) == [w["competition"].pk]
    today = timezone.localdate()
    assert ids(client.get(LOG, {"date_from": (today - timedelta(days=10)).isoformat(),
                                "date_to": (today - timedelta(days=1)).isoformat()})) == [w["other"].pk]
    assert ids(client.get(LOG, {"date_to": (today - timedelta(days=11)).isoformat()})) == [w["no_award"].pk]
    assert ids(client.get(LOG, {"value_min": "1800.00", "value_max": "1999.99"})) == [w["other"].pk]
    assert ids(client.get(LOG, {"value_min": "1800.01"})) == [w["direct"].pk]
    assert ids(client.get(LOG, {"method": "competition"})) == [w["competition"].pk]
    assert ids(client.get(LOG, {"outcome": "no_award"})) == [w["no_award"].pk]
    assert ids(client.get(LOG, {"flag": "not_lowest"})) == [w["direct"].pk]
    assert ids(client.get(LOG, {"flag": "any"})) == [w["competition"].pk, w["direct"].pk]
    assert ids(client.get(LOG, {"flag": "none"})) == [w["other"].pk, w["no_award"].pk]
    assert ids(client.get(LOG, {"buyer": buyer.pk, "method": "direct", "outcome": "awarded"})) == [w["direct"].pk]


def test_log_sorting(log_world, auditor_user):
    client = client_for(auditor_user)
    w = log_world
    assert ids(client.get(LOG, {"sort": "date"})) == [w["no_award"].pk, w["other"].pk, w["direct"].pk,
                                                      w["competition"].pk]
    assert ids(client.get(LOG, {"sort": "-value"})) == [w["direct"].pk, w["other"].pk, w["competition"].pk,
                                                        w["no_award"].pk]
    assert ids(client.get(LOG, {"sort": "value"})) == [w["competition"].pk, w["other"].pk, w["direct"].pk,
                                                       w["no_award"].pk]
    assert ids(client.get(LOG, {"sort": "supplier", "outcome": "awarded"}))[0] == w["direct"].pk  # Andes Cloud


def test_bad_filters_are_a_400_with_fields(log_world, auditor_user):
    response = client_for(auditor_user).get(LOG, {"buyer": "x", "date_from": "2026-13-01", "value_min": "lots",
                                                   "method": "auction", "sort": "price", "flag": "bogus"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "buyer": ["Choose one from the list."], "date_from": ["Enter a date as YYYY-MM-DD."],
        "value_min": ["Enter a number, such as 1500.00."], "method": ["Choose direct or competition."],
        "flag": ["Choose a kind of red flag, any or none."],
        "sort": ["Sort by one of: date, -date, value, -value, buyer, -buyer, supplier, -supplier."],
    }
    page = page_client(auditor_user).get("/oversight/selections/", {"value_min": "lots"})
    assert page.status_code == 400
    assert "Give a number such as 1,500.00." in page.content.decode()  # the page reads amounts as the language writes them
    huge = page_client(auditor_user).get("/oversight/selections/", {"buyer": "99999999999999999999"})
    assert huge.status_code == 400 and "Choose one from the list." in huge.content.decode()
    assert client_for(auditor_user).get(LOG, {"supplier": "0"}).json()["error"]["fields"] == {
        "supplier": ["Choose one from the list."]}
    assert client_for(auditor_user).get(LOG, {"value_max": "10.123", "lot": "-1"}).json()["error"] == {
        "code": "validation_error", "message": "Some filters are not valid.",
        "fields": {"lot": ["Choose one from the list."], "value_max": ["Enter a number with at most 2 decimal places."]}}
    # 0 is a bound like any other (no-awards have no value, so no value bound keeps them).
    assert ids(client_for(auditor_user).get(LOG, {"value_min": "0", "value_max": "1e9"})) == [
        pk for pk in ids(client_for(auditor_user).get(LOG)) if pk != log_world["no_award"].pk]


def test_csv_and_json_exports_follow_the_filters(story, log_world, auditor_user):
    client = client_for(auditor_user)
    response = client.get(f"{LOG}export/", {"format": "csv", "method": "direct", "outcome": "awarded", "sort": "value"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="selection-log.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["id", "date", "buyer", "supplier", "framework", "lot", "requirement", "method", "outcome",
                       "currency", "estimated_total", "lowest_estimated_total", "price_difference", "order",
                       "order_cap", "order_original_cap", "flags"]
    assert [(row[0], row[3], row[10], row[14], row[16]) for row in rows[1:]] == [
        (str(log_world["other"].pk), "Condor IT", "1800.00", "5000.00", ""),
        (str(log_world["direct"].pk), "Andes Cloud", "2000.00", "5500.00", "not_lowest"),
    ]
    as_json = client.get(f"{LOG}export/", {"format": "json", "outcome": "no_award"})
    assert as_json["Content-Disposition"] == 'attachment; filename="selection-log.json"'
    assert [row["id"] for row in json.loads(as_json.content)["results"]] == [log_world["no_award"].pk]
    assert client.get(f"{LOG}export/", {"format": "xml"}).status_code == 400
    page_csv = page_client(auditor_user).get("/oversight/selections/export/", {"format": "csv", "outcome": "no_award"})
    assert page_csv.status_code == 200 and len(list(csv.reader(io.StringIO(page_csv.content.decode())))) == 2


def test_log_page_filters_and_links_each_row_to_its_trail(story, log_world, auditor_user):
    html = page_client(auditor_user).get("/oversight/selections/", {"flag": "any"}).content.decode()
    assert "2 selections" in html
    assert f'href="/oversight/selections/{log_world["direct"].pk}/"' in html
    assert f'href="/oversight/selections/{log_world["other"].pk}/"' not in html
    assert 'href="/oversight/selections/export/?flag=any&amp;format=csv"' in html
    assert html.count("<h1>") == 1


# --- the trail ----------------------------------------------------------------------------------------


def test_trail_api_has_every_step_with_its_events(story, auditor_user):
    body = client_for(auditor_user).get(f"{LOG}{story['award'].pk}/").json()

    assert body["requirement"]["budget"] == "25000.00"
    assert [item["text"] for item in body["requirement"]["criteria"]] == ["Data stays in Peru",
                                                                          "Uptime of at least 99.9%"]
    assert body["requirement"]["estimates"] == [{"unit": "vCPU-hour", "quantity": "10000.000000"}]
    assert body["search"]["query"] == {"framework": str(story["framework"].pk), "lot": str(story["lot"].pk),
                                       "sort": "price"}
    assert body["search"]["summary"]
    assert [(e["rank"], e["title"], e["unit_price"]) for e in body["search"]["entries"]] == [
        (1, "Pacific compute", "0.150000"), (2, "Condor compute", "0.180000"), (3, "Andes compute", "0.200000")]
    assert [(r["rank"], r["estimated_total"], r["essential_compliant"], r["is_lowest"])
            for r in body["comparison"]["rows"]] == [
        (1, "1500.00", False, False), (2, "1800.00", True, True), (3, "2000.00", True, False)]
    assert body["award"]["cheaper_option_reason"] == "Condor's uptime is below what the records system needs."
    assert (body["award"]["price_difference"], body["award"]["justification"]) == ("200.00", "Best support in Spanish.")
    assert body["order"]["amendments"][0]["previous_cap"] == "5000.00"
    assert body["order"]["amendments"][0]["new_cap"] == "5500.00"
    assert body["order"]["usage"] == {"accepted": 2, "rejected": 0, "accepted_amount": "40.00"}
    assert body["order"]["statements"] == [{"month": f"{months_from_this_month(-9):%Y-%m}", "total": "40.00", "records": 2}]
    assert body["competition"] is None
    steps = {step["key"]: [event["action"] for event in step["events"]] for step in body["steps"]}
    assert steps == {
        "requirement": ["requirement.created"], "search": ["search.saved", "search.frozen"],
        "award": ["award.made"], "order": ["order.created", "order.activated", "order.cap_amended"],
    }
    frozen = body["steps"][1]["events"][1]
    stored = AuditEvent.objects.get(action="search.frozen")
    assert (frozen["sequence"], frozen["hash"], frozen["prev_hash"], frozen["actor"]) == (
        stored.sequence, stored.hash, stored.prev_hash, story["buyer"].username)


def test_trail_events_are_described_from_their_codes_in_the_readers_language(story, auditor_user):
    award = story["award"]

    body = client_for(auditor_user).get(f"{LOG}{award.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()

    described = {step["key"]: [event["description"] for event in step["events"]] for step in body["steps"]}
    assert described == {
        "requirement": ["Requirement written"], "search": ["Search saved", "Search ended and its results frozen"],
        "award": ["Award made"],
        "order": ["Call-off order drafted (method: Direct award from a frozen search)", "Order activated",
                  "Cap amended (status: Active)"],
    }
    order_events = body["steps"][-1]["events"]
    assert (order_events[0]["payload"]["method"], order_events[2]["payload"]["status_before"]) == ("direct", "active")
    html = page_client(auditor_user).get(f"/oversight/selections/{award.pk}/").content.decode()
    assert "<td>Cap amended (status: Active)</td>" in html
    with translation.override("es"):
        spanish = payload_in_words("marketplace.callofforder", {"status_before": "active", "status_after": "terminated",
                                                                "method": "direct"})
    assert "Activa → Terminado" in spanish[0] and "Adjudicación directa desde una búsqueda cerrada" in spanish[1]
    assert payload_in_words("marketplace.competition", {"from": "closed", "to": "cancelled", "method": "weighted",
                                                        "price_weight": 60}) == [
        "status: Closed (quotes opened) → Cancelled", "method: Price and quality, weighted", "price weight: 60%"]
    assert payload_in_words("marketplace.competition", {"from": "someday"}) == ["status: someday"]


def test_trail_of_a_competition_shows_quotes_and_scores_after_the_deadline(auditor_user, buyer_user, supplier_user,
                                                                          other_supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot, weighted=True))
    published_listing(supplier=org(supplier_user), lot=lot, unit="vCPU-hour", price="0.200000")
    published_listing(supplier=org(other_supplier_user), lot=lot, unit="vCPU-hour", price="0.220000")
    first = submit(supplier_user, competition, "0.18", "0.08")
    second = submit(other_supplier_user, competition, "0.20", "0.08")
    close(competition)
    criteria = list(competition.criteria.all())
    evaluate_as(actor=buyer_user, competition_id=competition.pk, evaluations=[
        {"quote": quote.pk, "scores": [{"criterion": criterion.pk, "score": score, "justification": f"{why} {n}"}
                                       for n, criterion in enumerate(criteria)]}
        for quote, score, why in ((first, "80", "Clear plan"), (second, "60", "Vague plan"))])
    award = award_as(actor=buyer_user, competition_id=competition.pk, quote_id=first.pk,
                                                   justification="Best total score", start=months_from_this_month(1).isoformat(),
                                                   end=months_from_this_month(12, day=-1).isoformat())

    body = client_for(auditor_user).get(f"{LOG}{award.pk}/").json()

    assert [(q["supplier"], q["total"]) for q in body["competition"]["quotes"]] == [
        (org(supplier_user).name, "220.00"), (org(other_supplier_user).name, "240.00")]
    ranked = body["competition"]["evaluations"]
    assert [(e["rank"], [s["justification"] for s in e["scores"]]) for e in ranked] == [
        (1, ["Clear plan 0", "Clear plan 1"]), (2, ["Vague plan 0", "Vague plan 1"])]
    steps = {step["key"]: [event["action"] for event in step["events"]] for step in body["steps"]}
    assert steps["competition"] == ["competition.created", "competition.published", "competition.quote_submitted",
                                    "competition.quote_submitted", "competition.closed", "competition.evaluated",
                                    "competition.awarded"]
    html = page_client(auditor_user).get(f"/oversight/selections/{award.pk}/").content.decode()
    assert "Clear plan 0" in html and "Best total score" in html


def test_trail_page_shows_query_in_words_and_raw_and_each_event(story, auditor_user):
    html = page_client(auditor_user).get(f"/oversight/selections/{story['award'].pk}/").content.decode()
    search_summary = story["award"].search.summary
    assert search_summary in html
    # The raw query as JSON (double quotes, sorted keys), not a Python dict.
    assert "&quot;sort&quot;: &quot;price&quot;" in html and "&#x27;sort&#x27;" not in html
    for event in AuditEvent.objects.all():
        if event.action != "red_flags.refreshed":
            assert f"<td>{event.sequence}</td>" in html
    assert "Condor&#x27;s uptime is below what the records system needs." in html
    definitions = {d.key: d.label for d in story["award"].requirement.lot.attribute_definitions.all()}
    assert f"({definitions['data_location']} is Peru)" in html  # each criterion with the check it ran, in words
    assert f"({definitions['uptime']} at least 99.9 %)" in html
    assert f'action="/oversight/selections/{story["award"].pk}/check/"' in html


# --- checking the trail ----------------------------------------------------------------------------------


def test_honest_trail_passes_every_check(story, auditor_user):
    result = client_for(auditor_user).post(f"{LOG}{story['award'].pk}/check/").json()

    assert result["ok"] is True
    names = [check["name"] for check in result["checks"]]
    assert len([name for name in names if name.endswith("· hash")]) == 7
    assert len([name for name in names if name.endswith("· link")]) == 7
    assert names[-5:] == ["Snapshot hash on the saved search", "Snapshot hash in the freeze event",
                          "Frozen prices against the freeze event", "Snapshot hash on the award",
                          "Snapshot hash in the award event"]
    html = page_client(auditor_user).post(f"/oversight/selections/{story['award'].pk}/check/").content.decode()
    assert "Passed: every check below holds." in html
    assert "Fail</span>" not in html


def test_a_snapshot_price_altered_in_the_database_fails_the_check(story, auditor_user):
    entry = SearchSnapshotEntry.objects.get(search_id=story["search_id"], rank=2)
    table = connection.ops.quote_name(SearchSnapshotEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET unit_price = %s WHERE id = %s", [Decimal("0.250000"), entry.pk])

    result = client_for(auditor_user).post(f"{LOG}{story['award'].pk}/check/").json()

    failed = {check["name"]: check["detail"] for check in result["checks"] if not check["ok"]}
    assert result["ok"] is False
    assert sorted(failed) == ["Frozen prices against the freeze event", "Snapshot hash in the award event",
                              "Snapshot hash in the freeze event", "Snapshot hash on the award",
                              "Snapshot hash on the saved search"]
    assert failed["Frozen prices against the freeze event"] == (
        "These results differ from what the freeze event recorded: #2.")
    assert all(check["ok"] for check in result["checks"] if "Event #" in check["name"])
    html = page_client(auditor_user).post(f"/oversight/selections/{story['award'].pk}/check/").content.decode()
    assert "Failed: the record does not match its hashes" in html


@pytest.mark.skipif("connection.vendor == 'postgresql'",
                    reason="on PostgreSQL a trigger refuses any UPDATE of audit rows, so the tampering cannot happen")
def test_an_audit_event_altered_in_the_database_fails_the_check_on_sqlite(story, auditor_user):
    event = AuditEvent.objects.get(action="award.made")
    payload = dict(event.payload, justification="Cheapest option.")
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET payload = %s WHERE id = %s", [json.dumps(payload), event.pk])

    result = client_for(auditor_user).post(f"{LOG}{story['award'].pk}/check/").json()

    failed = [check["name"] for check in result["checks"] if not check["ok"]]
    assert result["ok"] is False
    assert failed == [f"Event #{event.sequence} award.made · hash"]


@pytest.mark.skipif("connection.vendor == 'postgresql'",
                    reason="on PostgreSQL a trigger refuses any UPDATE of audit rows, so the tampering cannot happen")
def test_a_relinked_event_fails_the_link_check_on_sqlite(story, auditor_user):
    event = AuditEvent.objects.get(action="order.activated")
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET prev_hash = %s WHERE id = %s", ["0" * 64, event.pk])

    result = client_for(auditor_user).post(f"{LOG}{story['award'].pk}/check/").json()

    failed = [check["name"] for check in result["checks"] if not check["ok"]]
    assert failed == [f"Event #{event.sequence} order.activated · hash", f"Event #{event.sequence} order.activated · link"]


def test_check_writes_nothing(story, auditor_user):
    counts = (AuditEvent.objects.count(), RedFlag.objects.count(), Award.objects.count())
    client_for(auditor_user).post(f"{LOG}{story['award'].pk}/check/")
    page_client(auditor_user).post(f"/oversight/selections/{story['award'].pk}/check/")
    assert (AuditEvent.objects.count(), RedFlag.objects.count(), Award.objects.count()) == counts


def test_the_oversight_pages_link_to_the_chain_check_the_events_and_the_open_data(story, auditor_user):
    client = page_client(auditor_user)
    page = client.get("/oversight/selections/").content.decode()

    for link in ("/api/v1/audit/verify/", "/api/v1/audit/events/", "/api/v1/ocds/releases/"):
        assert f'href="{link}?format=json"' in page  # plain JSON, not the browsable API page
        response = client.get(f"{link}?format=json")  # the signed-in session is enough: no token to set up
        assert (response.status_code, response["Content-Type"].split(";")[0]) == (200, "application/json"), link
    assert client.get("/api/v1/audit/verify/?format=json").json()["ok"] is True


def test_the_csv_log_does_not_let_a_spreadsheet_run_text_as_a_formula(story, auditor_user):
    from marketplace.selection.models import Requirement

    Requirement.objects.filter(pk=story["award"].requirement_id).update(title='=HYPERLINK("http://evil","x")')

    text = client_for(auditor_user).get(f"{LOG}export/", {"format": "csv"}).content.decode()

    rows = list(csv.reader(io.StringIO(text)))
    titles = [row[6] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in titles
    assert not any(cell.startswith("=") for row in rows for cell in row)
