from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from agreements.models import Admission, Membership, Organization
from audit.models import AuditEvent
from marketplace.competitions.models import Competition, Quote, QuoteEvaluation
from marketplace.competitions.selectors import competitions_visible_to, quotes_visible_to
from marketplace.notifications.models import Notification
from tests.clock import months_from_this_month
from tests.conftest import client_for
from tests.factories import member
from tests.marketplace.factories_competitions import (
    close,
    create_competition,
    org_of,
    pass_deadline,
    publish,
    quote_lines,
    requirement_for,
    submit,
)

pytestmark = pytest.mark.django_db


def _deadline():
    return (timezone.now() + timedelta(days=30)).replace(microsecond=0).isoformat()


def test_buyer_creates_and_publishes_through_the_api(buyer_user, supplier_user, lot):
    create_competition(buyer_user, lot)  # the lot's ceilings
    requirement = requirement_for(buyer_user, lot=lot)
    client = client_for(buyer_user)
    response = client.post("/api/v1/competitions/", {
        "requirement": requirement.pk, "method": "weighted", "price_weight": 70,
        "criteria": [{"name": "Support", "weight": 30}],
        "lines": [{"unit": "vCPU-hour", "quantity": "2000"}], "deadline": _deadline(), "clarifications_allowed": False,
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["method"], body["price_weight"], body["clarifications_allowed"]) == (
        "draft", "weighted", 70, False)
    assert [(line["unit"], line["quantity"]) for line in body["lines"]] == [("vCPU-hour", "2000.000000")]
    assert [(c["name"], c["weight"]) for c in body["criteria"]] == [("Support", 30)]

    published = client.post(f"/api/v1/competitions/{body['id']}/publish/")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert [i["supplier"]["id"] for i in published.json()["invitations"]] == [org_of(supplier_user).pk]


def _create_for_new_requirement(buyer_user, lot, *, deadline: str, unit: str = "vCPU-hour"):
    """After one competition exists (the lot's ceilings), ask for another on a new requirement."""
    create_competition(buyer_user, lot)
    requirement = requirement_for(buyer_user, lot=lot)
    return client_for(buyer_user).post("/api/v1/competitions/", {
        "requirement": requirement.pk, "lines": [{"unit": unit, "quantity": "10"}], "deadline": deadline,
    }, format="json")


def test_deadline_too_soon_is_a_clear_400_and_nothing_is_created(buyer_user, lot):
    response = _create_for_new_requirement(buyer_user, lot, deadline=(timezone.now() + timedelta(hours=3)).isoformat())
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "deadline_too_soon"
    assert "business days" in error["message"]
    assert "earliest_deadline" in error
    assert list(error["fields"]) == ["deadline"]
    assert Competition.objects.count() == 1


def test_a_deadline_after_the_framework_ends_is_refused(buyer_user, lot):
    response = _create_for_new_requirement(buyer_user, lot, deadline="9999-12-31T23:59:00Z")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "deadline_after_framework"
    assert lot.framework.end_date.isoformat() in response.json()["error"]["fields"]["deadline"][0]
    assert Competition.objects.count() == 1


def test_a_too_early_deadline_is_reported_with_the_other_mistakes(buyer_user, lot):
    response = _create_for_new_requirement(buyer_user, lot, deadline=f"{months_from_this_month(-83)}T12:00:00Z", unit="parsec")

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert sorted(fields) == ["deadline", "lines.0.unit"]
    assert "or later" in fields["deadline"][0]
    assert Competition.objects.count() == 1


def test_weights_not_summing_to_100_is_400_with_field(buyer_user, lot):
    create_competition(buyer_user, lot)
    requirement = requirement_for(buyer_user, lot=lot)
    response = client_for(buyer_user).post("/api/v1/competitions/", {
        "requirement": requirement.pk, "method": "weighted", "price_weight": 50,
        "criteria": [{"name": "Support", "weight": 30}], "lines": [{"unit": "vCPU-hour", "quantity": "10"}],
        "deadline": _deadline(),
    }, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "criteria": ["The price weight and the criteria weights must add up to 100 (now 80)."]}
    assert Competition.objects.count() == 1


def test_quote_submit_replace_and_limits_over_the_api(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    client = client_for(supplier_user)
    url = f"/api/v1/competitions/{competition.pk}/quotes/"
    over = client.post(url, {"lines": quote_lines(competition, "0.30", "0.08"), "delivery_terms": "5 days"}, format="json")
    assert over.status_code == 400
    assert over.json()["error"]["code"] == "price_above_ceiling"
    assert Quote.objects.count() == 0

    first = client.post(url, {"lines": quote_lines(competition, "0.20", "0.08"), "delivery_terms": "5 days"}, format="json")
    assert first.status_code == 201
    assert first.json()["total"] == "240.00"
    second = client.post(url, {"lines": quote_lines(competition, "0.19", "0.08"), "delivery_terms": "3 days"}, format="json")
    assert second.status_code == 201
    assert second.json()["replaces"] == first.json()["id"]
    mine = client.get(url).json()
    assert (mine["quotes_opened"], [q["total"] for q in mine["results"]]) == (False, ["230.00"])


def test_late_quote_is_409_deadline_passed(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    pass_deadline(competition)
    response = client_for(supplier_user).post(
        f"/api/v1/competitions/{competition.pk}/quotes/",
        {"lines": quote_lines(competition, "0.20", "0.08"), "delivery_terms": "5 days"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "deadline_passed"
    assert Quote.objects.count() == 0


def test_suspended_supplier_quote_is_403_and_nothing_stored(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    Admission.objects.filter(supplier=org_of(supplier_user)).update(status=Admission.Status.SUSPENDED)
    response = client_for(supplier_user).post(
        f"/api/v1/competitions/{competition.pk}/quotes/",
        {"lines": quote_lines(competition, "0.20", "0.08"), "delivery_terms": "5 days"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "supplier_not_admitted"
    assert Quote.objects.count() == 0


def test_quotes_are_sealed_at_the_api_until_closing(
    buyer_user, approver_user, supplier_user, other_supplier_user, authority_user, auditor_user, lot
):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    submit(supplier_user, competition, "0.20", "0.08")
    submit(other_supplier_user, competition, "0.18", "0.09")
    url = f"/api/v1/competitions/{competition.pk}/"
    for user in (buyer_user, approver_user, authority_user, auditor_user):
        assert client_for(user).get(url + "quotes/").json() == {"quotes_opened": False, "results": []}
        assert client_for(user).get(url).json()["quotes"] == []
    own = client_for(supplier_user).get(url + "quotes/").json()["results"]
    assert [q["supplier"]["id"] for q in own] == [org_of(supplier_user).pk]
    assert [q["total"] for q in client_for(other_supplier_user).get(url).json()["quotes"]] == ["225.00"]

    close(competition)
    for user in (buyer_user, authority_user, auditor_user):
        assert [q["total"] for q in client_for(user).get(url + "quotes/").json()["results"]] == ["240.00", "225.00"]
    assert [q["total"] for q in client_for(other_supplier_user).get(url + "quotes/").json()["results"]] == ["225.00"]


def test_quotes_are_sealed_at_the_selector_level(buyer_user, supplier_user, other_supplier_user, auditor_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    quote = submit(supplier_user, competition, "0.20", "0.08")
    assert list(quotes_visible_to(user=buyer_user, competition=competition)) == []
    assert list(quotes_visible_to(user=auditor_user, competition=competition)) == []
    assert list(quotes_visible_to(user=other_supplier_user, competition=competition)) == []
    assert list(quotes_visible_to(user=supplier_user, competition=competition)) == [quote]
    # Past the deadline, before the sweep closed it: the quotes are open (nobody can quote any more).
    pass_deadline(competition)
    assert list(quotes_visible_to(user=buyer_user, competition=competition)) == [quote]
    assert list(quotes_visible_to(user=other_supplier_user, competition=competition)) == []
    close(competition)
    assert list(quotes_visible_to(user=buyer_user, competition=competition)) == [quote]
    assert list(quotes_visible_to(user=other_supplier_user, competition=competition)) == []


def test_scoping_between_buyer_entities_and_suppliers(buyer_user, other_buyer_user, supplier_user, lot):
    mine = publish(buyer_user, create_competition(buyer_user, lot))
    draft = create_competition(buyer_user, lot)
    not_invited = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER)
    assert set(competitions_visible_to(user=buyer_user)) == {mine, draft}
    assert list(competitions_visible_to(user=other_buyer_user)) == []
    assert list(competitions_visible_to(user=supplier_user)) == [mine]
    assert list(competitions_visible_to(user=not_invited)) == []

    other = client_for(other_buyer_user)
    assert other.get(f"/api/v1/competitions/{mine.pk}/").status_code == 404
    assert other.get("/api/v1/competitions/").json()["count"] == 0
    response = other.post(f"/api/v1/competitions/{draft.pk}/publish/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Competition.objects.get(pk=draft.pk).status == "draft"
    assert client_for(supplier_user).get(f"/api/v1/competitions/{draft.pk}/").status_code == 404
    supplier_view = client_for(supplier_user).get(f"/api/v1/competitions/{mine.pk}/").json()
    assert "invitations" not in supplier_view
    assert supplier_view["invitation"] == {"status": "invited", "decline_reason": ""}


def test_supplier_cannot_evaluate_or_award_and_buyer_cannot_quote(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    quote = submit(supplier_user, competition, "0.20", "0.08")
    close(competition)
    supplier = client_for(supplier_user)
    refused = supplier.post(f"/api/v1/competitions/{competition.pk}/evaluate/",
                            {"evaluations": [{"quote": quote.pk}]}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_a_buyer")
    assert QuoteEvaluation.objects.count() == 0
    buyer_quote = client_for(buyer_user).post(
        f"/api/v1/competitions/{competition.pk}/quotes/",
        {"lines": quote_lines(competition, "0.20", "0.08"), "delivery_terms": "x"}, format="json")
    assert buyer_quote.status_code == 403
    assert buyer_quote.json()["error"]["code"] == "not_a_supplier"
    assert Quote.objects.count() == 1


def test_full_flow_over_the_api_questions_evaluate_award(buyer_user, supplier_user, other_supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot, weighted=True))
    base = f"/api/v1/competitions/{competition.pk}/"
    asked = client_for(supplier_user).post(base + "questions/", {"text": "Is support 24/7?"}, format="json")
    assert asked.status_code == 201
    answered = client_for(buyer_user).post(base + "answers/", {"question": asked.json()["id"], "answer": "Yes"},
                                           format="json")
    assert answered.status_code == 200
    questions = client_for(other_supplier_user).get(base).json()["questions"]
    assert [(q["text"], q["answer"], q["asked_by_me"]) for q in questions] == [("Is support 24/7?", "Yes", False)]
    assert "supplier" not in questions[0]

    criteria = list(competition.criteria.all())
    first = submit(supplier_user, competition, "0.20", "0.08")
    declined = client_for(other_supplier_user).post(base + "decline/", {"reason": "No capacity"}, format="json")
    assert declined.json() == {"status": "declined", "decline_reason": "No capacity"}
    close(competition)
    evaluated = client_for(buyer_user).post(base + "evaluate/", {"evaluations": [{"quote": first.pk, "scores": [
        {"criterion": criteria[0].pk, "score": "75", "justification": "Good desk"},
        {"criterion": criteria[1].pk, "score": "50", "justification": "Vague exit plan"},
    ]}]}, format="json")
    assert evaluated.status_code == 200, evaluated.json()
    evaluation = evaluated.json()["quotes"][0]["evaluation"]
    assert (evaluation["price_score"], evaluation["quality_score"], evaluation["total_score"], evaluation["rank"]) == (
        "60.00", "27.50", "87.50", 1)

    award = client_for(buyer_user).post(base + "award/", {"quote": first.pk, "justification": "Best value",
                                                          "start": months_from_this_month(1).isoformat(), "end": months_from_this_month(6, day=-1).isoformat()}, format="json")
    assert award.status_code == 201, award.json()
    assert award.json()["estimated_total"] == "240.00"
    assert award.json()["order"] is None  # no catalog listing behind the quote
    again = client_for(buyer_user).post(base + "no-award/", {"reason": "Changed"}, format="json")
    assert again.status_code == 409
    assert Competition.objects.get(pk=competition.pk).status == "awarded"
    assert Notification.objects.filter(kind="competition.outcome").count() == 1
    actions = list(AuditEvent.objects.filter(target_id=str(competition.pk), target_type="marketplace.competition")
                   .order_by("sequence").values_list("action", flat=True))
    assert actions == ["competition.created", "competition.published", "competition.question_asked",
                       "competition.question_answered", "competition.quote_submitted", "competition.declined",
                       "competition.closed", "competition.evaluated", "competition.awarded"]


def test_bad_input_shapes_are_400_not_500(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    client = client_for(supplier_user)
    response = client.post(f"/api/v1/competitions/{competition.pk}/quotes/", {"lines": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    response = client.post(f"/api/v1/competitions/{competition.pk}/quotes/",
                           {"lines": [{"line": 999999, "unit_price": "abc"}], "delivery_terms": "x"}, format="json")
    assert response.status_code == 400
    assert Quote.objects.count() == 0
    assert Decimal("0") == sum((q.total for q in Quote.objects.all()), Decimal("0"))


def test_reading_an_overdue_competition_shows_it_closed_and_closes_nothing(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    submit(supplier_user, competition, "0.20", "0.08")
    pass_deadline(competition)
    body = client_for(buyer_user).get(f"/api/v1/competitions/{competition.pk}/").json()
    assert (body["status"], body["quotes_opened"], [q["total"] for q in body["quotes"]]) == ("closed", True, ["240.00"])
    client_for(buyer_user).get(f"/api/v1/competitions/{competition.pk}/")
    assert AuditEvent.objects.filter(action="competition.closed").count() == 0
    assert Competition.objects.get(pk=competition.pk).status == Competition.Status.PUBLISHED
