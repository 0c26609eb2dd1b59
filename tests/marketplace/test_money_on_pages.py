"""Every price and amount a page shows carries its framework's currency code after the number, with a
non-breaking space, grouped and separated as the reader's language writes numbers; a unit price keeps
only the decimals it needs (0.065 PEN, never 0.065000); exports carry a currency column."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client

from agreements.models import FrameworkAgreement, Membership, Organization
from marketplace.orders.services import statement_generate
from marketplace.selection.models import SavedSearch
from tests.clock import months_from_this_month
from tests.conftest import signed_in_browser
from tests.factories import FrameworkFactory
from tests.marketplace.factories_competitions import close, create_competition, publish, submit
from tests.marketplace.factories_orders import OrderFactory, order_parties, record_usage
from tests.marketplace.factories_selection import (
    add_criterion,
    add_estimate,
    admitted_supplier,
    hosting_market,
    member,
    published_listing,
    search_saved_from_pages,
)

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def _browser(user=None, language: str = "en") -> Client:
    if user is not None:
        return signed_in_browser(user, language)
    client = Client()
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    return client


def _buyer():
    return member(Organization.Kind.BUYER, Membership.Role.REQUESTER, username="ana")


# ------------------------------------------------------------------ catalog: search results and the listing page


@pytest.mark.parametrize(("language", "pacific", "cheap"), [
    ("en", f"Pacific Data · 0.15{NBSP}PEN per vCPU-hour", f"Tiny Data · 0.065{NBSP}PEN per vCPU-hour"),
    ("es", f"Pacific Data · 0,15{NBSP}PEN por vCPU-hour", f"Tiny Data · 0,065{NBSP}PEN por vCPU-hour"),
])
def test_search_results_show_each_price_with_its_currency(language, pacific, cheap):
    _framework, lot, _versions = hosting_market()
    published_listing(supplier=admitted_supplier(lot=lot, name="Tiny Data"), lot=lot, title="Tiny compute",
                      unit_price="0.065000")

    body = _browser(language=language).get("/search/").content.decode()

    assert f'<p class="hint">{pacific}' in body
    assert f'<p class="hint">{cheap}' in body
    assert "0.065000" not in body and "0,065000" not in body


def test_search_results_take_the_currency_of_each_listing_framework():
    hosting_market(framework=FrameworkFactory(currency="COP"))

    body = _browser().get("/search/").content.decode()

    assert f"Pacific Data · 0.15{NBSP}COP per vCPU-hour" in body
    assert "PEN" not in body


@pytest.mark.parametrize(("language", "price", "ceiling"), [
    ("en", f"<dd>0.065{NBSP}PEN per vCPU-hour</dd>", f"<dd>0.25{NBSP}PEN per vCPU-hour</dd>"),
    ("es", f"<dd>0,065{NBSP}PEN por vCPU-hour</dd>", f"<dd>0,25{NBSP}PEN por vCPU-hour</dd>"),
])
def test_listing_page_shows_the_price_and_ceiling_with_their_currency(language, price, ceiling):
    _framework, lot, _versions = hosting_market(listings=0)
    version = published_listing(supplier=admitted_supplier(lot=lot, name="Tiny Data"), lot=lot, title="Tiny compute",
                                unit_price="0.065000")

    body = _browser(language=language).get(f"/listings/{version.listing_id}/").content.decode()

    assert price in body
    assert ceiling in body


# ------------------------------------------------------------------ orders: detail, lines, list


def _order(unit_price: str, cap: str = "1234.50"):
    order = OrderFactory(cap=Decimal(cap), unit_price=Decimal(unit_price),
                         version__listing__unit_price=Decimal("300.000000"), version__ceiling_price=Decimal("300.000000"))
    return order, order_parties(order)


@pytest.mark.parametrize(("language", "line", "cap", "spent", "remaining"), [
    ("en", f'<td class="num">0.2745{NBSP}PEN</td>', f"<dt>Cap</dt><dd>1,234.50{NBSP}PEN</dd>",
     f"<dt>Spent</dt><dd>0.00{NBSP}PEN (0%)</dd>", f"<dt>Remaining</dt><dd>1,234.50{NBSP}PEN</dd>"),
    ("es", f'<td class="num">0,2745{NBSP}PEN</td>', f"<dt>Tope</dt><dd>1.234,50{NBSP}PEN</dd>",
     f"<dt>Gastado</dt><dd>0,00{NBSP}PEN (0%)</dd>", f"<dt>Saldo</dt><dd>1.234,50{NBSP}PEN</dd>"),
])
def test_order_page_shows_a_line_price_with_only_the_decimals_it_needs(language, line, cap, spent, remaining):
    order, parties = _order("0.274500")

    body = _browser(parties["requester"], language).get(f"/orders/{order.pk}/").content.decode()

    assert line in body
    assert (cap in body, spent in body, remaining in body) == (True, True, True)
    assert "0.274500" not in body and "0,274500" not in body


@pytest.mark.parametrize(("language", "line"), [("en", f"274.50{NBSP}PEN"), ("es", f"274,50{NBSP}PEN")])
def test_order_page_never_shows_six_decimals_of_a_round_price(language, line):
    order, parties = _order("274.500000", cap="10000.00")

    body = _browser(parties["requester"], language).get(f"/orders/{order.pk}/").content.decode()

    assert f'<td class="num">{line}</td>' in body
    assert "274.500000" not in body and "274,500000" not in body


def test_order_page_shows_the_burn_rate_with_its_currency():
    order, parties = _order("0.200000")
    record_usage(actor=parties["supplier"], order_id=order.pk, line_id=order.lines.get().pk, quantity="100",
                 occurred_at=datetime.combine(months_from_this_month(-1), datetime.min.time(), tzinfo=UTC).isoformat(),
                 idempotency_key="burn")

    body = _browser(parties["requester"]).get(f"/orders/{order.pk}/").content.decode()

    assert f"<dt>Spent</dt><dd>20.00{NBSP}PEN (1%)</dd>" in body
    assert f"<dt>Remaining</dt><dd>1,214.50{NBSP}PEN</dd>" in body
    assert f'<td class="num">20.00{NBSP}PEN</td>' in body  # the usage record's amount
    # The usage is older than the 30-day window the rate averages over.
    assert f"<dd>0.00{NBSP}PEN a day (average " in body


@pytest.mark.parametrize(("language", "spent", "cap"), [
    ("en", f'<td class="num">0.00{NBSP}COP</td>', f'<td class="num">25,000.00{NBSP}COP</td>'),
    ("es", f'<td class="num">0,00{NBSP}COP</td>', f'<td class="num">25.000,00{NBSP}COP</td>'),
])
def test_order_list_shows_spend_and_cap_in_the_framework_currency(language, spent, cap):
    order, parties = _order("0.200000", cap="25000.00")
    FrameworkAgreement.objects.filter(pk=order.framework_id).update(currency="COP")

    body = _browser(parties["requester"], language).get("/orders/").content.decode()

    assert f"{spent}{cap}" in body


@pytest.mark.parametrize(("language", "header"), [
    ("en", "order,month,line,description,unit,unit_price,quantity,amount,records,currency"),
    ("es", "orden,mes,linea,descripcion,unidad,precio_unitario,cantidad,importe,registros,moneda"),
])
def test_statement_csv_from_the_page_carries_the_currency_on_every_row(language, header):
    order, parties = _order("0.274500")
    FrameworkAgreement.objects.filter(pk=order.framework_id).update(currency="COP")
    month = months_from_this_month(-2)
    line = order.lines.get()
    record_usage(actor=parties["supplier"], order_id=order.pk, line_id=line.pk, quantity="10",
                 occurred_at=datetime.combine(month.replace(day=3), datetime.min.time(), tzinfo=UTC).isoformat(),
                 idempotency_key="a")
    statement_generate(order_id=order.pk, month=month)

    response = _browser(parties["requester"], language).get(f"/orders/{order.pk}/statements/{month:%Y-%m}.csv")

    assert response.content.decode().splitlines() == [
        header,
        f"{order.reference},{month:%Y-%m},{line.pk},{line.description},vCPU-hour,0.274500,10.000000,2.74,1,COP",  # 2.745, half to even
        f"{order.reference},{month:%Y-%m},,Total,,,,2.74,1,COP",
    ]


# ------------------------------------------------------------------ selection: the frozen results and the comparison


def _comparison(language: str) -> tuple[str, SavedSearch]:
    framework, _lot, _versions = hosting_market()
    buyer = _buyer()
    client = _browser(buyer, language)
    search = search_saved_from_pages(client, framework, end=False)
    add_criterion(search.requirement, importance="essential", text="Peru", attribute_key="data_location",
                  operator="includes", expected=["PE"])
    add_estimate(search.requirement, unit="vCPU-hour", quantity="1000")
    client.post(f"/buyer/searches/{search.pk}/end/", {"confirm": "on"})
    return client.get(f"/buyer/searches/{search.pk}/comparison/").content.decode(), search


@pytest.mark.parametrize(("language", "expected"), [
    ("en", [f"<strong>180.00{NBSP}PEN</strong>", f'<td class="num">0.18{NBSP}PEN / vCPU-hour</td>',
            f'<td class="num">180.00{NBSP}PEN</td>',
            f'200.00{NBSP}PEN<br><span class="hint">20.00{NBSP}PEN above the lowest compliant</span>',
            f'150.00{NBSP}PEN<br><span class="hint">30.00{NBSP}PEN below the lowest compliant</span>']),
    ("es", [f"<strong>180,00{NBSP}PEN</strong>", f'<td class="num">0,18{NBSP}PEN / vCPU-hour</td>',
            f'<td class="num">180,00{NBSP}PEN</td>',
            f'200,00{NBSP}PEN<br><span class="hint">20,00{NBSP}PEN por encima del menor que cumple</span>',
            f'150,00{NBSP}PEN<br><span class="hint">30,00{NBSP}PEN por debajo del menor que cumple</span>']),
])
def test_comparison_shows_prices_totals_and_differences_with_their_currency(language, expected):
    body, _search = _comparison(language)

    assert [text for text in expected if text not in body] == []


@pytest.mark.parametrize(("language", "row"), [("en", f"0.15{NBSP}PEN"), ("es", f"0,15{NBSP}PEN")])
def test_frozen_results_show_each_price_with_its_currency(language, row):
    _body, search = _comparison(language)

    body = _browser(search.created_by, language).get(f"/buyer/searches/{search.pk}/").content.decode()

    assert f'<td class="num">{row}</td>' in body


def test_comparison_csv_in_spanish_names_the_currency_column():
    _body, search = _comparison("es")

    response = _browser(search.created_by, "es").get(f"/buyer/searches/{search.pk}/comparison/download/?format=csv")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = next(row for row in rows if row and row[0] == "Posición")
    table = rows[rows.index(header) + 1:]
    assert header[4:7] == ["Precio unitario", "Moneda", "Total estimado"]
    # The rank of equally relevant results differs between search backends: compare by supplier.
    assert sorted(row[1:7] for row in table) == [
        ["Andes Cloud", "Andes compute", "vCPU-hour", "0.200000", "PEN", "200.00"],
        ["Condor IT", "Condor compute", "vCPU-hour", "0.180000", "PEN", "180.00"],
        ["Pacific Data", "Pacific compute", "vCPU-hour", "0.150000", "PEN", "150.00"],
    ]



# ------------------------------------------------------------------ competitions: ceilings and quotes


@pytest.mark.parametrize(("language", "expected"), [
    ("en", [f'<td class="num">0.25{NBSP}PEN</td>', f'<td class="num">240.00{NBSP}PEN</td>',
            f"vCPU-hour: 0.20{NBSP}PEN<br>GB-month: 0.08{NBSP}PEN"]),
    ("es", [f'<td class="num">0,25{NBSP}PEN</td>', f'<td class="num">240,00{NBSP}PEN</td>',
            f"vCPU-hour: 0,20{NBSP}PEN<br>GB-month: 0,08{NBSP}PEN"]),
])
def test_competition_page_shows_ceilings_quote_totals_and_unit_prices_with_their_currency(
        buyer_user, supplier_user, lot, language, expected):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    submit(supplier_user, competition, "0.20", "0.08")  # 1000 × 0.20 + 500 × 0.08
    close(competition)

    body = _browser(buyer_user, language).get(f"/competitions/{competition.pk}/").content.decode()

    assert [text for text in expected if text not in body] == []
