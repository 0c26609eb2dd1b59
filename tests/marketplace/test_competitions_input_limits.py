"""Numbers the columns cannot keep are refused before anything is stored (quantities, unit prices,
scores, the award's cap); the evaluation and award pages wait for the deadline; error summaries name
their field and say each sentence once; a quote is prefilled as a person would type it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from common.errors import ValidationFailed
from marketplace.competitions.models import Competition, CompetitionLine, Quote, QuoteEvaluation, QuoteLine
from marketplace.orders.models import CallOffOrder
from tests.clock import months_from_this_month
from tests.conftest import client_for, signed_in_browser
from tests.factories import CeilingPriceFactory
from tests.marketplace.factories_competitions import (
    close,
    create_competition,
    evaluate_as,
    org_of,
    publish,
    published_listing,
    quote_responses,
    requirement_for,
    submit,
)

pytestmark = pytest.mark.django_db

TOO_MANY_DECIMALS = "Enter a number with at most 6 decimal places."
TOO_LARGE = "Enter a number smaller than 1,000,000,000,000."


def browser(user, language: str = "en"):
    return signed_in_browser(user, language)


def _deadline_field() -> str:
    return (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")


# --- quantities ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("quantity", "message"), [
    ("99999999999999999999999999", TOO_LARGE),
    ("1e400", TOO_LARGE),
    ("1000000000000", TOO_LARGE),
    ("0.0000001", TOO_MANY_DECIMALS),
    ("1.1234567", TOO_MANY_DECIMALS),
])
def test_a_quantity_the_column_cannot_keep_is_refused_on_the_page_and_nothing_is_stored(buyer_user, lot, quantity,
                                                                                        message):
    create_competition(buyer_user, lot)  # the lot's ceilings
    requirement = requirement_for(buyer_user, lot=lot)
    competitions_before, events_before = Competition.objects.count(), AuditEvent.objects.count()

    response = browser(buyer_user).post("/competitions/new/", {
        "requirement": requirement.pk, "lines.0.unit": "vCPU-hour", "lines.0.quantity": quantity,
        "method": "lowest_price", "deadline": _deadline_field(),
    })

    body = response.content.decode()
    assert response.status_code == 400
    assert f'<li>Line 1, Quantity: <a href="#field-lines-0-quantity">{message}</a></li>' in body
    assert f'<span class="error-message">{message}</span>' in body
    assert Competition.objects.filter(requirement=requirement).count() == 0
    assert (Competition.objects.count(), AuditEvent.objects.count()) == (competitions_before, events_before)


@pytest.mark.parametrize(("quantity", "message"), [
    ("99999999999999999999999999", TOO_LARGE),
    ("1e400", TOO_LARGE),
    ("0.0000001", TOO_MANY_DECIMALS),
    ("NaN", "Enter a number, such as 12.5."),
    ("Infinity", "Enter a number, such as 12.5."),
])
def test_a_quantity_the_column_cannot_keep_is_a_400_at_the_api(buyer_user, lot, quantity, message):
    create_competition(buyer_user, lot)
    requirement = requirement_for(buyer_user, lot=lot)
    lines_before = CompetitionLine.objects.count()

    response = client_for(buyer_user).post("/api/v1/competitions/", {
        "requirement": requirement.pk, "lines": [{"unit": "vCPU-hour", "quantity": quantity}],
        "deadline": (timezone.now() + timedelta(days=30)).isoformat(),
    }, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"lines.0.quantity": [message]}
    assert Competition.objects.filter(requirement=requirement).count() == 0
    assert CompetitionLine.objects.count() == lines_before


@pytest.mark.parametrize("quantity", ["999999999999", "0.000001", "12.500000"])
def test_a_quantity_the_column_keeps_is_stored_exactly_and_shown(buyer_user, lot, quantity):
    competition = create_competition(buyer_user, lot, lines=[{"unit": "vCPU-hour", "quantity": quantity}])

    assert competition.lines.get().quantity == Decimal(quantity)
    assert browser(buyer_user).get(f"/competitions/{competition.pk}/").status_code == 200


# --- unit prices -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("price", "message"), [
    ("0.0000001", TOO_MANY_DECIMALS),
    ("0.1000001", TOO_MANY_DECIMALS),
    ("1e400", TOO_LARGE),
])
def test_a_unit_price_the_column_cannot_keep_is_refused_on_the_quote_page(buyer_user, supplier_user, lot, price,
                                                                          message):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    vcpu, storage = competition.lines.all()

    response = browser(supplier_user).post(f"/competitions/{competition.pk}/quote/", {
        f"lines.{vcpu.pk}.unit_price": price, f"lines.{storage.pk}.unit_price": "0.08", "delivery_terms": "5 days"})

    body = response.content.decode()
    assert response.status_code == 400
    assert f'<li>Unit price per vCPU-hour: <a href="#field-lines-{vcpu.pk}-unit_price">{message}</a></li>' in body
    assert (Quote.objects.count(), QuoteLine.objects.count()) == (0, 0)
    assert competition.invitations.get(supplier=org_of(supplier_user)).status == "invited"


def test_a_unit_price_the_column_cannot_keep_is_a_400_at_the_api(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    vcpu, storage = competition.lines.all()

    response = client_for(supplier_user).post(f"/api/v1/competitions/{competition.pk}/quotes/", {
        "lines": [{"line": vcpu.pk, "unit_price": "0.0000001"}, {"line": storage.pk, "unit_price": "0.08"}],
        "delivery_terms": "5 days", "responses": quote_responses(competition),
    }, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {f"lines.{vcpu.pk}.unit_price": [TOO_MANY_DECIMALS]}
    assert Quote.objects.count() == 0


def test_a_quote_whose_total_no_column_could_hold_is_a_400_and_nothing_is_stored(buyer_user, supplier_user, lot):
    CeilingPriceFactory(lot=lot, unit="support-day", max_unit_price=Decimal("5000.000000"))
    competition = publish(buyer_user, create_competition(buyer_user, lot, lines=[
        {"unit": "support-day", "quantity": "999999999999"}]))
    (line,) = competition.lines.all()

    response = client_for(supplier_user).post(f"/api/v1/competitions/{competition.pk}/quotes/", {
        "lines": [{"line": line.pk, "unit_price": "94.50"}],
        "delivery_terms": "5 days", "responses": quote_responses(competition),
    }, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["lines"]
    assert "quote's total would be more than 999,999,999,999.99" in response.json()["error"]["fields"]["lines"][0]
    assert Quote.objects.count() == 0
    assert client_for(supplier_user).get(f"/api/v1/competitions/{competition.pk}/").status_code == 200


# --- scores and the award's cap -------------------------------------------------------------------------

def _closed_weighted(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot, weighted=True))
    quote = submit(supplier_user, competition, "0.20", "0.08")
    return close(competition), quote


@pytest.mark.parametrize(("score", "message"), [
    ("85.555", "Enter a number with at most 2 decimal places."),
    ("1e400", "Enter a number smaller than 100,000."),
])
def test_a_score_the_column_cannot_keep_is_refused_and_nothing_is_stored(buyer_user, supplier_user, lot, score,
                                                                         message):
    competition, quote = _closed_weighted(buyer_user, supplier_user, lot)
    support, exit_plan = competition.criteria.all()
    evaluations = [{"quote": quote.pk, "scores": [
        {"criterion": support.pk, "score": score, "justification": "Good desk"},
        {"criterion": exit_plan.pk, "score": "50", "justification": "Vague"},
    ]}]

    with pytest.raises(ValidationFailed) as error:
        evaluate_as(actor=buyer_user, competition_id=competition.pk, evaluations=evaluations)

    assert error.value.fields == {f"quotes.{quote.pk}.scores.{support.pk}.score": [message]}
    assert QuoteEvaluation.objects.count() == 0
    competition.refresh_from_db()
    assert competition.evaluated_at is None


def _evaluated(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    published_listing(supplier=org_of(supplier_user), lot=lot, unit="vCPU-hour", price="0.200000")
    quote = submit(supplier_user, competition, "0.20", "0.08")
    close(competition)
    evaluate_as(actor=buyer_user, competition_id=competition.pk, evaluations=[{"quote": quote.pk}])
    return competition, quote


@pytest.mark.parametrize(("cap", "message"), [
    ("5000.005", "Enter a number with at most 2 decimal places."),
    ("1e400", TOO_LARGE),
])
def test_an_award_cap_the_column_cannot_keep_is_a_400_and_nothing_changes(buyer_user, supplier_user, lot, cap, message):
    competition, quote = _evaluated(buyer_user, supplier_user, lot)

    response = client_for(buyer_user).post(f"/api/v1/competitions/{competition.pk}/award/", {
        "quote": quote.pk, "justification": "Lowest price", "cap": cap, "start": months_from_this_month(1).isoformat(), "end": months_from_this_month(6, day=-1).isoformat(),
    }, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"cap": [message]}
    competition.refresh_from_db()
    assert (competition.status, competition.award_id) == (Competition.Status.CLOSED, None)
    assert CallOffOrder.objects.count() == 0


# --- evaluation and award pages wait for the deadline ---------------------------------------------------

@pytest.mark.parametrize("page", ["evaluate", "award"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_evaluation_and_award_pages_send_the_buyer_back_until_the_deadline(buyer_user, supplier_user, lot, page,
                                                                          method):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    submit(supplier_user, competition, "0.20", "0.08")
    client = browser(buyer_user)
    deadline = timezone.localtime(competition.deadline).strftime("%Y-%m-%d %H:%M %Z")

    response = getattr(client, method)(f"/competitions/{competition.pk}/{page}/", follow=True)

    assert response.redirect_chain == [(f"/competitions/{competition.pk}/", 302)]
    body = response.content.decode()
    assert body.count(f"The quotes open when the competition closes at its deadline, {deadline}") == 1
    assert 'method="post" novalidate' not in body
    competition.refresh_from_db()
    assert (competition.status, competition.evaluated_at, QuoteEvaluation.objects.count()) == (
        Competition.Status.PUBLISHED, None, 0)


def test_the_evaluation_page_opens_once_the_competition_closed(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    submit(supplier_user, competition, "0.20", "0.08")
    close(competition)

    assert browser(buyer_user).get(f"/competitions/{competition.pk}/evaluate/").status_code == 200


def test_evaluating_before_closing_says_when_the_quotes_open_at_the_api(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    quote = submit(supplier_user, competition, "0.20", "0.08")

    response = client_for(buyer_user).post(f"/api/v1/competitions/{competition.pk}/evaluate/",
                                           {"evaluations": [{"quote": quote.pk}]}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_closed"
    assert "The quotes open when the competition closes at its deadline" in response.json()["error"]["message"]
    assert QuoteEvaluation.objects.count() == 0


# --- error summaries ----------------------------------------------------------------------------------------

def test_a_form_wide_refusal_is_said_once(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    quote = submit(supplier_user, competition, "0.20", "0.08")
    close(competition)  # closed, not evaluated: the award is refused as a whole

    response = browser(buyer_user).post(f"/competitions/{competition.pk}/award/", {
        "quote": quote.pk, "justification": "Lowest price", "start": months_from_this_month(1).isoformat(), "end": months_from_this_month(6, day=-1).isoformat()})

    assert response.status_code == 409
    assert response.content.decode().count("Evaluate the quotes before awarding.") == 1
    competition.refresh_from_db()
    assert (competition.status, competition.award_id) == (Competition.Status.CLOSED, None)


def test_the_error_summary_names_the_field_each_message_is_about(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    vcpu, storage = competition.lines.all()
    client = browser(supplier_user)

    missing = client.post(f"/competitions/{competition.pk}/quote/", {
        f"lines.{vcpu.pk}.unit_price": "", f"lines.{storage.pk}.unit_price": "0.08", "delivery_terms": "5 days"})
    unreadable = client.post(f"/competitions/{competition.pk}/quote/", {
        f"lines.{vcpu.pk}.unit_price": "0.2", f"lines.{storage.pk}.unit_price": "abc", "delivery_terms": "5 days"})

    assert (missing.status_code, unreadable.status_code) == (400, 400)
    assert (f'<li>Unit price per vCPU-hour: <a href="#field-lines-{vcpu.pk}-unit_price">Enter a number, such as 0.25.</a></li>'
            in missing.content.decode())
    assert (f'<li>Unit price per GB-month: <a href="#field-lines-{storage.pk}-unit_price">Give a number such as 0.25.</a>'
            '</li>' in unreadable.content.decode())
    assert Quote.objects.count() == 0


def test_the_evaluation_summary_names_the_quote_and_the_criterion(buyer_user, supplier_user, lot):
    competition, quote = _closed_weighted(buyer_user, supplier_user, lot)
    support = competition.criteria.first()
    supplier = org_of(supplier_user).name

    response = browser(buyer_user).post(f"/competitions/{competition.pk}/evaluate/", {})

    body = response.content.decode()
    assert response.status_code == 400
    assert (f'<li>{supplier}, Score for Support (0 to 100): '
            f'<a href="#field-quotes-{quote.pk}-scores-{support.pk}-score">Enter a number, such as 85.5.</a></li>') in body
    assert QuoteEvaluation.objects.count() == 0


# --- the replace-quote form -----------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "vcpu_value", "storage_value", "quantity"), [
    ("es", "0,1234", "0,09", "Cantidad 12.500,5."), ("en", "0.1234", "0.09", "Quantity 12,500.5."),
])
def test_the_replace_form_shows_prices_as_typed(buyer_user, supplier_user, lot, language, vcpu_value, storage_value,
                                                quantity):
    competition = publish(buyer_user, create_competition(buyer_user, lot, lines=[
        {"unit": "vCPU-hour", "quantity": "12500.5"}, {"unit": "GB-month", "quantity": "500"}]))
    submit(supplier_user, competition, "0.123400", "0.090000")
    vcpu, storage = competition.lines.all()

    body = browser(supplier_user, language).get(f"/competitions/{competition.pk}/quote/").content.decode()

    assert f'name="lines.{vcpu.pk}.unit_price" value="{vcpu_value}"' in body
    assert f'name="lines.{storage.pk}.unit_price" value="{storage_value}"' in body
    assert quantity in body  # the line's quantity in the hint, grouped as the language writes it
