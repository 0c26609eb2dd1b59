from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agreements.models import Admission
from marketplace.competitions.models import Competition, Quote, QuoteEvaluation
from marketplace.orders.models import CallOffOrder
from tests.clock import months_from_this_month
from tests.marketplace.factories_competitions import (
    close,
    create_competition,
    org_of,
    publish,
    published_listing,
    requirement_for,
    submit,
)

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_buyer_creates_a_competition_from_the_page(buyer_user, lot):
    create_competition(buyer_user, lot)  # the lot's ceilings
    requirement = requirement_for(buyer_user, lot=lot)
    client = browser(buyer_user)
    page = client.get("/competitions/new/")
    assert page.status_code == 200
    assert '<label class="label" for="field-deadline">' in page.content.decode()
    deadline = (timezone.localtime() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/competitions/new/", {
        "requirement": requirement.pk, "lines.0.unit": "vCPU-hour", "lines.0.quantity": "100",
        "method": "weighted", "price_weight": "80", "criteria.0.name": "Support", "criteria.0.weight": "20",
        "deadline": deadline, "clarifications_allowed": "on",
    })
    competition = Competition.objects.get(requirement=requirement)
    assert response.status_code == 302
    assert response["Location"] == f"/competitions/{competition.pk}/"
    assert (competition.method, competition.price_weight, competition.clarifications_allowed) == ("weighted", 80, True)


def test_invalid_competition_form_shows_error_summary_and_creates_nothing(buyer_user, lot):
    create_competition(buyer_user, lot)
    requirement = requirement_for(buyer_user, lot=lot)
    response = browser(buyer_user).post("/competitions/new/", {
        "requirement": requirement.pk, "lines.0.unit": "vCPU-hour", "lines.0.quantity": "100",
        "method": "weighted", "price_weight": "50", "criteria.0.name": "Support", "criteria.0.weight": "20",
        "deadline": (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    })
    body = response.content.decode()
    assert response.status_code == 400
    assert 'class="error-summary"' in body
    assert 'href="#field-criteria"' in body
    assert Competition.objects.filter(requirement=requirement).count() == 0


def test_quotes_are_sealed_on_the_pages_until_closing(buyer_user, supplier_user, other_supplier_user, auditor_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    submit(supplier_user, competition, "0.123456", "0.08")  # 123.46 + 40 = 163.46
    url = f"/competitions/{competition.pk}/"
    for user in (buyer_user, auditor_user, other_supplier_user):
        body = browser(user).get(url).content.decode()
        assert "0.123456" not in body and "163.46" not in body
    assert "163.46" in browser(supplier_user).get(url).content.decode()
    assert "Quotes are sealed" in browser(buyer_user).get(url).content.decode()

    close(competition)
    assert "163.46" in browser(buyer_user).get(url).content.decode()
    assert "163.46" in browser(auditor_user).get(url).content.decode()
    assert "163.46" not in browser(other_supplier_user).get(url).content.decode()


def test_supplier_quotes_from_the_page_and_sees_errors_next_to_fields(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    client = browser(supplier_user)
    lines = list(competition.lines.all())
    page = client.get(f"/competitions/{competition.pk}/quote/")
    assert page.status_code == 200
    bad = client.post(f"/competitions/{competition.pk}/quote/", {
        f"lines.{lines[0].pk}.unit_price": "0.99", f"lines.{lines[1].pk}.unit_price": "0.08", "delivery_terms": "5 days"})
    assert bad.status_code == 400
    assert f'href="#field-lines-{lines[0].pk}-unit_price"' in bad.content.decode()
    assert Quote.objects.count() == 0
    good = client.post(f"/competitions/{competition.pk}/quote/", {
        f"lines.{lines[0].pk}.unit_price": "0.2", f"lines.{lines[1].pk}.unit_price": "0.08", "delivery_terms": "5 days"})
    assert good.status_code == 302
    assert Quote.objects.get().total == 240


def test_suspended_supplier_sees_a_clear_refusal_and_nothing_is_stored(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    Admission.objects.filter(supplier=org_of(supplier_user)).update(status=Admission.Status.SUSPENDED)
    lines = list(competition.lines.all())
    response = browser(supplier_user).post(f"/competitions/{competition.pk}/quote/", {
        f"lines.{lines[0].pk}.unit_price": "0.2", f"lines.{lines[1].pk}.unit_price": "0.08", "delivery_terms": "5 days"})
    assert response.status_code == 403
    assert "not admitted to this lot" in response.content.decode()
    assert Quote.objects.count() == 0


def test_buyer_evaluates_and_awards_from_the_pages(buyer_user, supplier_user, other_supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    published_listing(supplier=org_of(other_supplier_user), lot=lot, unit="vCPU-hour", price="0.200000")
    first = submit(supplier_user, competition, "0.20", "0.08")
    second = submit(other_supplier_user, competition, "0.18", "0.08")
    close(competition)
    client = browser(buyer_user)
    assert client.get(f"/competitions/{competition.pk}/evaluate/").status_code == 200
    missing = client.post(f"/competitions/{competition.pk}/evaluate/", {f"quotes.{first.pk}.rejected": "on"})
    assert missing.status_code == 400
    assert QuoteEvaluation.objects.count() == 0
    response = client.post(f"/competitions/{competition.pk}/evaluate/", {})
    assert response.status_code == 302
    assert dict(QuoteEvaluation.objects.values_list("quote_id", "rank")) == {second.pk: 1, first.pk: 2}

    not_top = client.post(f"/competitions/{competition.pk}/award/", {
        "quote": first.pk, "justification": "Better", "start": months_from_this_month(1).isoformat(), "end": months_from_this_month(6, day=-1).isoformat()})
    assert not_top.status_code == 400
    assert 'href="#field-not_top_reason"' in not_top.content.decode()
    awarded = client.post(f"/competitions/{competition.pk}/award/", {
        "quote": second.pk, "justification": "Lowest price", "start": months_from_this_month(1).isoformat(), "end": months_from_this_month(6, day=-1).isoformat()})
    assert awarded.status_code == 302
    assert Competition.objects.get(pk=competition.pk).status == "awarded"

    # The outcome is on the competition's page: the winner, the justification, the order for the parties.
    buyer_page = client.get(f"/competitions/{competition.pk}/").content.decode()
    assert "Awarded to</dt><dd>" + org_of(other_supplier_user).name in buyer_page
    assert "Lowest price" in buyer_page
    order = CallOffOrder.objects.get(award__competition=competition)  # the winner's vCPU line has a listing
    assert f'href="/orders/{order.pk}/"' in buyer_page
    loser_page = browser(supplier_user).get(f"/competitions/{competition.pk}/").content.decode()
    assert "Awarded to" in loser_page and f'href="/orders/{order.pk}/"' not in loser_page


def test_other_buyer_and_uninvited_pages_are_404_or_403(buyer_user, other_buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    assert browser(other_buyer_user).get(f"/competitions/{competition.pk}/").status_code == 404
    assert browser(other_buyer_user).get(f"/competitions/{competition.pk}/evaluate/").status_code == 404
    assert browser(supplier_user).get(f"/competitions/{competition.pk}/evaluate/").status_code == 403
    assert browser(buyer_user).get(f"/competitions/{competition.pk}/quote/").status_code == 403
    listing = browser(supplier_user).get("/competitions/")
    assert competition.title in listing.content.decode()
    assert competition.title not in browser(other_buyer_user).get("/competitions/").content.decode()


def test_supplier_chooses_which_of_its_listings_a_quote_line_offers(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    supplier = org_of(supplier_user)
    cheap = published_listing(supplier=supplier, lot=lot, unit="vCPU-hour", price="0.150000")
    meant = published_listing(supplier=supplier, lot=lot, unit="vCPU-hour", price="0.200000")
    client = browser(supplier_user)
    cpu, storage = (competition.lines.get(unit="vCPU-hour"), competition.lines.get(unit="GB-month"))

    page = client.get(f"/competitions/{competition.pk}/quote/").content.decode()
    assert f'name="lines.{cpu.pk}.listing"' in page and f'name="lines.{storage.pk}.listing"' not in page
    assert page.index(f'value="{cheap.pk}"') < page.index(f'value="{meant.pk}"')  # cheapest first

    response = client.post(f"/competitions/{competition.pk}/quote/", {
        f"lines.{cpu.pk}.unit_price": "0.19", f"lines.{cpu.pk}.listing": str(meant.pk),
        f"lines.{storage.pk}.unit_price": "0.08", "delivery_terms": "5 days"})

    assert response.status_code == 302
    quote = Quote.objects.get()
    assert quote.lines.get(line=cpu).listing_version_id == meant.current_version_id
    # Replacing the quote starts from the listing chosen before.
    again = client.get(f"/competitions/{competition.pk}/quote/").content.decode()
    assert f'<option value="{meant.pk}" selected>' in again


def test_a_buyer_without_a_requirement_is_told_to_describe_one_first(buyer_user, lot):
    page = browser(buyer_user).get("/competitions/new/").content.decode()
    assert "you have none open" in page and 'href="/buyer/requirements/new/"' in page

    requirement_for(buyer_user, lot=lot)
    page = browser(buyer_user).get("/competitions/new/").content.decode()
    assert "you have none open" not in page


def test_each_requirement_is_offered_with_its_lot_or_a_prompt_to_choose_one(buyer_user, lot):
    with_lot = requirement_for(buyer_user, lot=lot, title="Hosting with a lot")
    without = requirement_for(buyer_user, title="Hosting without a lot")

    page = browser(buyer_user).get("/competitions/new/").content.decode()

    assert f'<option value="{with_lot.pk}">Hosting with a lot · {lot.framework.reference} · {lot}</option>' in page
    assert f'<option value="{without.pk}">Hosting without a lot · no lot: choose one below</option>' in page
