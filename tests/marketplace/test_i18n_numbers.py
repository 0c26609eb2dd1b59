"""Numbers typed into the pages are read the way the chosen language writes them (docs/i18n.md, "Numbers typed
into pages"): Spanish 0,10 and 1.234,5; English 0.10 and 1,234.5. Ambiguous text is refused, never guessed, and
the API keeps canonical dot decimals."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from agreements.models import Lot
from catalog.models import Listing
from common.forms import read_typed_decimal
from marketplace.competitions.models import Competition, CompetitionLine, CriterionScore, Quote
from marketplace.orders.models import CallOffOrder
from marketplace.selection.models import Award, Requirement, RequirementEstimate
from tests.clock import months_from_this_month
from tests.conftest import client_for, signed_in_browser
from tests.factories import CeilingPriceFactory
from tests.marketplace.factories_competitions import (
    close,
    create_competition,
    org_of,
    publish,
    published_listing,
    requirement_for,
    submit,
)
from tests.marketplace.factories_selection import hosting_market, search_saved_from_pages
from tests.marketplace.test_oversight import log_world, story  # noqa: F401  (the oversight fixtures, reused)

pytestmark = pytest.mark.django_db

AMBIGUOUS_ES = "Escriba los decimales con «,» y agrupe los miles con «.», como en 1.234,5."


def browser(user, language: str = "es"):
    return signed_in_browser(user, language)


# ------------------------------------------------------------------ the reader


@pytest.mark.parametrize(("language", "text", "number"), [
    ("es", "0,10", Decimal("0.10")), ("es", "1.234,5", Decimal("1234.5")), ("es", "1234,5", Decimal("1234.5")),
    ("es", "12.345.678", Decimal("12345678")), ("es", "1.500", Decimal("1500")), ("es", " -0,5 ", Decimal("-0.5")),
    ("en", "0.10", Decimal("0.10")), ("en", "1,234.5", Decimal("1234.5")), ("en", "1234.5", Decimal("1234.5")),
    # One separator that cannot group thousands can only be the other notation's decimal point.
    ("es", "0.10", Decimal("0.10")), ("es", "1.5", Decimal("1.5")), ("es", "0.125", Decimal("0.125")),
    ("es", "1.50", Decimal("1.50")), ("en", "0,10", Decimal("0.10")), ("en", "1,5", Decimal("1.5")),
])
def test_a_number_is_read_as_the_language_writes_it(language, text, number):
    with translation.override(language):
        assert read_typed_decimal(text) == number


@pytest.mark.parametrize(("language", "text"), [
    ("es", "1,234.5"), ("es", "1.23.456"), ("es", "0.1.5"), ("es", "1.5,25"),
    ("en", "1.234,5"), ("en", "1,23,456"), ("en", "1,5.25"),
])
def test_a_separator_that_does_not_group_thousands_is_refused_not_guessed(language, text):
    with translation.override(language), pytest.raises(ValidationError) as refused:
        read_typed_decimal(text)

    assert refused.value.code == "ambiguous"


@pytest.mark.parametrize("text", ["abc", "1,2,3", "NaN", "Infinity", "0,1x"])
def test_text_that_is_no_number_is_refused_with_an_example_in_the_language(text):
    with translation.override("es"), pytest.raises(ValidationError) as refused:
        read_typed_decimal(text, example="0.25")

    assert (refused.value.code, refused.value.messages) == ("invalid", ["Indique un número como 0,25."])


# ------------------------------------------------------------------ catalog: the supplier's listing form


def _listing_form(lot, **numbers) -> dict:
    return {"lot": lot.pk, "title": "Vault", "summary": "Backups", "unit": "vCPU-hour", **numbers}


def test_supplier_saves_a_listing_with_spanish_numbers_and_sees_them_back_in_spanish(lot, ceiling, supplier_user):
    Lot.objects.filter(pk=lot.pk).update(is_goods=True)
    lot.refresh_from_db()
    client = browser(supplier_user)

    response = client.post("/supplier/listings/new/", _listing_form(
        lot, unit_price="0,10", minimum_commitment="1.234,5", stock="1.500", lead_time_days="5"))

    listing = Listing.objects.get()
    assert response.status_code == 302
    assert (listing.unit_price, listing.minimum_commitment, listing.stock) == (
        Decimal("0.100000"), Decimal("1234.500000"), 1500)
    edit = client.get(f"/supplier/listings/{listing.pk}/edit/").content.decode()
    assert 'name="unit_price" value="0,1"' in edit
    assert 'name="minimum_commitment" value="1234,5"' in edit


def test_english_listing_form_reads_english_numbers(lot, ceiling, supplier_user):
    response = browser(supplier_user, "en").post("/supplier/listings/new/", _listing_form(
        lot, unit_price="0.10", minimum_commitment="1,234.5"))

    assert response.status_code == 302
    assert Listing.objects.values_list("unit_price", "minimum_commitment").get() == (
        Decimal("0.100000"), Decimal("1234.500000"))


@pytest.mark.parametrize(("typed", "message"), [
    ("abc", "Indique un número como 0,25."), ("0.1.5", AMBIGUOUS_ES), ("1,234.5", AMBIGUOUS_ES)])
def test_listing_price_that_cannot_be_read_is_refused_in_spanish_and_nothing_is_saved(lot, ceiling, supplier_user,
                                                                                     typed, message):
    response = browser(supplier_user).post("/supplier/listings/new/", _listing_form(lot, unit_price=typed))

    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert f'name="unit_price" value="{typed}"' in body  # shown back as the supplier typed it
    assert Listing.objects.count() == 0


# ------------------------------------------------------------------ selection: requirement, criteria, estimate, award


@pytest.fixture
def market(db):
    framework, lot, _versions = hosting_market()
    return {"framework": framework, "lot": lot}


def test_buyer_describes_a_requirement_with_spanish_numbers(buyer_user, market):
    client = browser(buyer_user)

    client.post("/buyer/requirements/new/", {"title": "Hosting", "framework": market["framework"].pk,
                                             "lot": market["lot"].pk, "budget": "25.000,50"})
    requirement = Requirement.objects.get()
    criterion = client.post(f"/buyer/requirements/{requirement.pk}/criteria/desired/add/", {
        "text": "Uptime", "attribute_key": "uptime", "operator": "min", "expected": "99,9"})
    estimate = client.post(f"/buyer/requirements/{requirement.pk}/estimates/add/",
                           {"unit": "vCPU-hour", "quantity": "8.760,5"})

    assert (criterion.status_code, estimate.status_code) == (302, 302)
    assert requirement.budget == Decimal("25000.50")
    assert list(requirement.criteria.values_list("operator", "expected")) == [("min", "99.9")]
    assert RequirementEstimate.objects.get().quantity == Decimal("8760.5")


def test_requirement_budget_that_cannot_be_read_is_refused_and_nothing_is_saved(buyer_user, market):
    response = browser(buyer_user).post("/buyer/requirements/new/", {"title": "Hosting", "budget": "25.000.50"})

    body = response.content.decode()
    assert response.status_code == 200
    assert AMBIGUOUS_ES in body and 'value="25.000.50"' in body
    assert Requirement.objects.count() == 0


def test_direct_award_takes_the_order_cap_in_spanish(buyer_user, market):
    client = browser(buyer_user)
    search = search_saved_from_pages(client, market["framework"])
    chosen = client.get(f"/buyer/searches/{search.pk}/award/").context["form"].fields["listing_version"].choices[0][0]
    award = {"listing_version": chosen, "justification": "Soporte.", "cheaper_option_reason": "Disponibilidad.",
             "start": months_from_this_month(-9).isoformat(), "end": months_from_this_month(0, day=-1).isoformat()}

    refused = client.post(f"/buyer/searches/{search.pk}/award/", {**award, "cap": "5.000.50"})
    response = client.post(f"/buyer/searches/{search.pk}/award/", {**award, "cap": "5.000,50"})

    assert refused.status_code == 200 and AMBIGUOUS_ES in refused.content.decode()
    assert response.status_code == 302
    assert Award.objects.get().order.cap == Decimal("5000.50")


def test_the_api_keeps_canonical_dot_decimals_whatever_the_language(buyer_user, market):
    api = client_for(buyer_user)
    body = {"title": "Hosting", "framework": market["framework"].pk, "lot": market["lot"].pk}

    spanish_text = api.post("/api/v1/requirements/", {**body, "budget": "25.000,50"}, format="json",
                            HTTP_ACCEPT_LANGUAGE="es")
    canonical = api.post("/api/v1/requirements/", {**body, "budget": "25000.50"}, format="json",
                         HTTP_ACCEPT_LANGUAGE="es")

    assert (spanish_text.status_code, canonical.status_code) == (400, 201)
    assert list(Requirement.objects.values_list("budget", flat=True)) == [Decimal("25000.50")]


# ------------------------------------------------------------------ competitions: lines, quotes, scores, award


def test_a_competition_runs_from_the_pages_with_spanish_numbers(buyer_user, supplier_user, lot):
    create_competition(buyer_user, lot)  # the lot's ceilings
    requirement = requirement_for(buyer_user, lot=lot)
    published_listing(supplier=org_of(supplier_user), lot=lot, unit="vCPU-hour", price="0.200000")
    buyer, supplier = browser(buyer_user), browser(supplier_user)
    deadline = (Competition.objects.get().deadline).strftime("%Y-%m-%dT%H:%M")

    created = buyer.post("/competitions/new/", {"requirement": requirement.pk, "lines.0.unit": "vCPU-hour",
                                                "lines.0.quantity": "1.000,5", "method": "lowest_price",
                                                "deadline": deadline})
    competition = Competition.objects.get(requirement=requirement)
    publish(buyer_user, competition)
    line = CompetitionLine.objects.get(competition=competition)
    quoted = supplier.post(f"/competitions/{competition.pk}/quote/", {f"lines.{line.pk}.unit_price": "0,2",
                                                                      "delivery_terms": "5 días"})
    close(competition)
    evaluated = buyer.post(f"/competitions/{competition.pk}/evaluate/", {})
    quote = Quote.objects.get()
    awarded = buyer.post(f"/competitions/{competition.pk}/award/", {
        "quote": quote.pk, "justification": "Precio más bajo", "cap": "1.234,56", "start": months_from_this_month(1).isoformat(),
        "end": months_from_this_month(6, day=-1).isoformat()})

    assert [r.status_code for r in (created, quoted, evaluated, awarded)] == [302, 302, 302, 302]
    assert line.quantity == Decimal("1000.5")
    assert (quote.lines.get().unit_price, quote.total) == (Decimal("0.200000"), Decimal("200.10"))
    assert CallOffOrder.objects.get(award__competition=competition).cap == Decimal("1234.56")


def test_quote_price_that_cannot_be_read_is_refused_next_to_its_field_and_nothing_is_stored(buyer_user, supplier_user,
                                                                                          lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    first, second = competition.lines.all()

    response = browser(supplier_user).post(f"/competitions/{competition.pk}/quote/", {
        f"lines.{first.pk}.unit_price": "0,2x", f"lines.{second.pk}.unit_price": "0.0.8", "delivery_terms": "5 días"})

    body = response.content.decode()
    assert response.status_code == 400
    assert f'<a href="#field-lines-{first.pk}-unit_price">Indique un número como 0,25.</a>' in body
    assert f'<a href="#field-lines-{second.pk}-unit_price">{AMBIGUOUS_ES}</a>' in body
    assert 'value="0,2x"' in body
    assert Quote.objects.count() == 0


def test_buyer_scores_quality_in_spanish(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot, weighted=True))
    quote = submit(supplier_user, competition, "0.20", "0.08")
    close(competition)
    criteria = list(competition.criteria.all())
    scores = {f"quotes.{quote.pk}.scores.{c.pk}.score": "85,5" for c in criteria}
    reasons = {f"quotes.{quote.pk}.scores.{c.pk}.justification": "Bien" for c in criteria}
    client = browser(buyer_user)

    refused = client.post(f"/competitions/{competition.pk}/evaluate/", {**reasons, **scores,
                                                                        next(iter(scores)): "85.5.1"})
    stored_after_refusal = CriterionScore.objects.count()
    response = client.post(f"/competitions/{competition.pk}/evaluate/", {**reasons, **scores})

    assert (refused.status_code, stored_after_refusal) == (400, 0)
    assert response.status_code == 302
    assert sorted(CriterionScore.objects.values_list("score", flat=True)) == [Decimal("85.5"), Decimal("85.5")]


# ------------------------------------------------------------------ oversight: the log's value filters


def test_oversight_log_filters_values_typed_in_spanish(log_world, auditor_user):  # noqa: F811
    client = browser(auditor_user)

    page = client.get("/oversight/selections/", {"value_min": "1.800,00", "value_max": "1.999,99"})
    export = client.get("/oversight/selections/export/", {"format": "json", "value_min": "1.800,01"})
    refused = client.get("/oversight/selections/", {"value_min": "1.800.5"})

    assert [award.pk for award in page.context["page"].object_list] == [log_world["other"].pk]
    assert 'name="value_min" id="filter-value_min" value="1.800,00"' in page.content.decode()
    assert [row["id"] for row in export.json()["results"]] == [log_world["direct"].pk]
    assert refused.status_code == 400 and AMBIGUOUS_ES in refused.content.decode()


# ------------------------------------------------------------------ order cap, search price, quick stock


def test_the_cap_is_amended_with_a_spanish_amount(db):
    from tests.marketplace.factories_orders import OrderFactory, order_parties

    order = OrderFactory(cap=Decimal("10.00"))
    client = browser(order_parties(order)["approver"])

    refused = client.post(f"/orders/{order.pk}/amend-cap/", {"cap": "1,234.5", "justification": "Más usuarios"})
    cap_after_refusal = CallOffOrder.objects.get(pk=order.pk).cap
    response = client.post(f"/orders/{order.pk}/amend-cap/", {"cap": "1.234,5", "justification": "Más usuarios"})

    assert (refused.status_code, cap_after_refusal) == (400, Decimal("10.00"))
    assert AMBIGUOUS_ES in refused.content.decode()
    assert response.status_code == 302
    assert CallOffOrder.objects.get(pk=order.pk).cap == Decimal("1234.50")


def test_the_search_price_limit_is_read_as_typed_in_spanish(buyer_user, market):
    client = browser(buyer_user)

    page = client.get("/search/", {"price_max": "0,18"})

    body = page.content.decode()
    assert page.status_code == 200
    # hosting_market: Andes 0.20, Pacific 0.15, Condor 0.18 per vCPU-hour.
    assert sorted(hit.title for hit in page.context["result"].results) == ["Condor compute", "Pacific compute"]
    assert 'value="0,18"' in body  # the box keeps what was typed
    assert "price_max=0.18" in page.context["query_url"]  # links and saved searches use the canonical form


def test_quick_stock_takes_a_spanish_thousands_group(lot, supplier_user):
    CeilingPriceFactory(lot=lot, unit="vCPU-hour", max_unit_price=Decimal("0.250000"))
    listing = published_listing(supplier=org_of(supplier_user), lot=lot, unit="vCPU-hour", price="0.200000",
                                user=supplier_user)
    client = browser(supplier_user)

    refused = client.post(f"/listings/{listing.pk}/stock/", {"stock": "1.5,5"})
    stock_after_refusal = Listing.objects.get(pk=listing.pk).stock
    client.post(f"/listings/{listing.pk}/stock/", {"stock": "1.500"})

    assert refused.status_code == 302 and stock_after_refusal == listing.stock
    assert Listing.objects.get(pk=listing.pk).stock == 1500
