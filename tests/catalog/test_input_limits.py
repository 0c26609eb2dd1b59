"""Numbers beyond what the database columns hold are refused with a clear message (a 400, never a 500),
and the money text helpers never raise, whatever they are given."""

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client

from audit.models import AuditEvent
from catalog import services
from catalog.models import Listing
from catalog.search.query import parse_query
from common.errors import ValidationFailed
from common.money import amount_text, finite_decimal, price_text, quantity_text
from tests.conftest import client_for, signed_in_browser
from tests.factories import listing_data

pytestmark = pytest.mark.django_db

HUGE_PRICES = ["100000000000000000000000000000", "1e30", "1e999", "1000000000000", "1e13"]
TOO_LARGE_PRICE_MAX = {"price_max": ["Give a price below 1,000,000,000,000.00."]}
HUGE_WHOLE = "99999999999999999999"
TOO_LARGE_WHOLE = "Enter a whole number from 0 to 2147483647."  # common.parsing's message


def client_as(user):
    return signed_in_browser(user)


# --- the search's maximum price ------------------------------------------------------------------

@pytest.mark.parametrize("value", HUGE_PRICES)
def test_a_maximum_price_beyond_any_price_is_refused_by_the_query(value):
    with pytest.raises(ValidationFailed) as error:
        parse_query({"price_max": value}, attribute_keys=set())

    assert (error.value.message, error.value.fields) == ("The maximum price is too large.", TOO_LARGE_PRICE_MAX)


@pytest.mark.parametrize("value", ["inf", "-Infinity", "nan", "sNaN"])
def test_a_maximum_price_that_is_not_finite_is_refused_by_the_query(value):
    with pytest.raises(ValidationFailed) as error:
        parse_query({"price_max": value}, attribute_keys=set())

    assert error.value.fields == {"price_max": ["Give a number such as 0.20."]}


def test_the_largest_price_a_listing_can_have_is_still_a_maximum_price():
    parsed = parse_query({"price_max": "999999999999.999999"}, attribute_keys=set())

    assert parsed.price_max == Decimal("999999999999.999999")


@pytest.mark.parametrize("value", HUGE_PRICES)
def test_search_page_answers_a_huge_maximum_price_with_a_400_that_says_why(corpus, value):
    response = Client().get("/search/", {"price_max": value})

    body = response.content.decode()
    assert response.status_code == 400
    assert '<li>Max price per unit: <a href="#search-q">Give a price below 1,000,000,000,000.00.</a></li>' in body


@pytest.mark.parametrize("value", HUGE_PRICES)
def test_search_api_answers_a_huge_maximum_price_with_a_400(corpus, api_client, value):
    response = api_client.get("/api/v1/listings/", {"price_max": value})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == TOO_LARGE_PRICE_MAX


# --- the money text helpers ----------------------------------------------------------------------

@pytest.mark.parametrize("value", ["1e30", Decimal("1e30"), "1e999", Decimal("1e999"), "100000000000000000000000000000",
                                   Decimal("-1e40"), 10**40])
def test_money_text_shows_a_number_it_cannot_round_as_it_is(value):
    assert (price_text(value), amount_text(value), quantity_text(value)) == (str(value),) * 3


@pytest.mark.parametrize("value", [None, "", "  ", "cheap", "inf", "nan", Decimal("NaN"), Decimal("sNaN"),
                                   Decimal("-Infinity"), True, object(), [1], {"a": 1}, b"12", 1.5])
def test_money_text_helpers_never_raise(value):
    finite_decimal(value)
    price_text(value)
    amount_text(value)
    quantity_text(value)


def test_money_text_still_formats_ordinary_numbers():
    assert (price_text("0.1"), amount_text("1234.5"), quantity_text("8760.000000"),
            price_text("999999999999.999999")) == ("0.10", "1,234.50", "8,760", "999,999,999,999.999999")


# --- whole numbers and other columns of a listing ----------------------------------------------

@pytest.fixture
def goods_lot(lot, ceiling):
    lot.is_goods = True
    lot.save(update_fields=["is_goods"])
    return lot


@pytest.fixture
def goods_listing(goods_lot, supplier_user):
    return services.listing_create(actor=supplier_user, framework=goods_lot.framework, lot=goods_lot,
                                   data=listing_data(stock="12", lead_time_days="3"))


def test_stock_page_refuses_a_stock_beyond_the_column_and_changes_nothing(goods_listing, supplier_user):
    events = AuditEvent.objects.count()

    response = client_as(supplier_user).post(f"/listings/{goods_listing.pk}/stock/", {"stock": HUGE_WHOLE},
                                             follow=True)

    goods_listing.refresh_from_db()
    assert [str(m) for m in response.context["messages"]] == [f"The stock is not valid. {TOO_LARGE_WHOLE}"]
    assert (goods_listing.stock, AuditEvent.objects.count()) == (12, events)


def test_the_largest_stock_the_column_holds_is_accepted(goods_listing, supplier_user):
    services.listing_set_stock(actor=supplier_user, listing=goods_listing, stock="2147483647")

    goods_listing.refresh_from_db()
    assert goods_listing.stock == 2147483647


@pytest.mark.parametrize(("stock", "message"), [
    (2147483648, TOO_LARGE_WHOLE), (HUGE_WHOLE, TOO_LARGE_WHOLE),
    # common.parsing reads at most 29 digits as a number (int() of thousands of digits is slow)
    pytest.param("9" * 5000, "Enter a whole number.", id="5000-digits"),
])
def test_stock_service_refuses_one_more_than_the_column_holds(goods_listing, supplier_user, stock, message):
    with pytest.raises(ValidationFailed) as error:
        services.listing_set_stock(actor=supplier_user, listing=goods_listing, stock=stock)

    goods_listing.refresh_from_db()
    assert error.value.fields == {"stock": [message]}
    assert goods_listing.stock == 12


def test_stock_api_refuses_a_huge_stock_with_a_400(goods_listing, supplier_user):
    response = client_for(supplier_user).post(f"/api/v1/listings/{goods_listing.pk}/stock/",
                                              {"stock": int(HUGE_WHOLE)}, format="json")

    goods_listing.refresh_from_db()
    assert (response.status_code, response.json()["error"]["fields"]) == (400, {"stock": [TOO_LARGE_WHOLE]})
    assert goods_listing.stock == 12


@pytest.mark.parametrize(("field", "value", "message"), [
    ("stock", int(HUGE_WHOLE), TOO_LARGE_WHOLE),
    ("lead_time_days", int(HUGE_WHOLE), TOO_LARGE_WHOLE),
    ("categories", [int(HUGE_WHOLE)], "One of the categories does not exist."),
    ("minimum_commitment", "1e30", "Enter a number smaller than 1,000,000,000,000."),
    ("unit_price", "1e30", "Enter a number smaller than 1,000,000,000,000."),
])
def test_listing_create_api_refuses_numbers_beyond_their_columns(goods_lot, supplier_user, field, value, message):
    data = listing_data(framework=goods_lot.framework.pk, lot=goods_lot.pk, **{field: value})

    response = client_for(supplier_user).post("/api/v1/listings/", data, format="json")

    assert (response.status_code, response.json()["error"]["fields"]) == (400, {field: [message]})
    assert Listing.objects.count() == 0


def test_listing_update_api_refuses_a_huge_lead_time_and_changes_nothing(goods_listing, supplier_user):
    response = client_for(supplier_user).patch(f"/api/v1/listings/{goods_listing.pk}/",
                                               {"lead_time_days": int(HUGE_WHOLE)}, format="json")

    goods_listing.refresh_from_db()
    assert (response.status_code, response.json()["error"]["fields"]) == (400, {"lead_time_days": [TOO_LARGE_WHOLE]})
    assert goods_listing.lead_time_days == 3


def test_edit_page_refuses_a_huge_stock_next_to_the_field_and_changes_nothing(goods_listing, supplier_user):
    client = client_as(supplier_user)
    form = {"title": goods_listing.title, "summary": goods_listing.summary, "unit": goods_listing.unit,
            "unit_price": "0.2", "stock": HUGE_WHOLE, "lead_time_days": HUGE_WHOLE}

    response = client.post(f"/supplier/listings/{goods_listing.pk}/edit/", form)

    goods_listing.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors == {"stock": [TOO_LARGE_WHOLE], "lead_time_days": [TOO_LARGE_WHOLE]}
    assert (goods_listing.stock, goods_listing.lead_time_days) == (12, 3)


def test_csv_import_reports_huge_whole_numbers_by_column_and_imports_nothing(goods_lot, supplier_user):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["lot", "title", "summary", "unit", "unit_price", "stock", "lead_time_days"])
    writer.writerow([goods_lot.number, "Paper", "A4 paper", "vCPU-hour", "0.20", HUGE_WHOLE, HUGE_WHOLE])

    with pytest.raises(ValidationFailed) as error:
        services.listings_import_csv(actor=supplier_user, framework=goods_lot.framework, file=out.getvalue())

    assert error.value.extra["rows"] == [
        {"row": 2, "errors": {"lead_time_days": [TOO_LARGE_WHOLE], "stock": [TOO_LARGE_WHOLE]}}]
    assert Listing.objects.count() == 0


def test_a_unit_price_with_more_decimals_than_the_column_keeps_is_refused_not_rounded(goods_lot, supplier_user):
    data = listing_data(framework=goods_lot.framework.pk, lot=goods_lot.pk, unit_price="0.1234567")

    response = client_for(supplier_user).post("/api/v1/listings/", data, format="json")

    assert (response.status_code, response.json()["error"]["fields"]) == (
        400, {"unit_price": ["Enter a number with at most 6 decimal places."]})
    assert Listing.objects.count() == 0
