"""Spanish and English: the catalog is complete and compiled, pages, exports, e-mails and API errors follow
the chosen language, and money and dates are written the way each language writes them."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template import Context, Template, engines
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from config.templatetags.money import money, price, quantity
from marketplace.notifications.models import Notification
from marketplace.orders.models import CallOffOrder, UsageRecord
from marketplace.oversight.selectors import csv_column_labels
from marketplace.selection.export import snapshot_columns
from tests.catalog.conftest import corpus  # noqa: F401  (the catalog's fixture, reused)
from tests.clock import months_from_this_month
from tests.conftest import client_for
from tests.marketplace.factories_orders import OrderFactory, order_parties

CATALOG = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[sdif%]")
NBSP = "\u00a0"  # between an amount and its currency code


def _po() -> polib.POFile:
    return polib.pofile(str(CATALOG / "django.po"))


def _browser(user=None, language: str | None = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language) if language else Client()
    if user is not None:
        client.force_login(user)
    return client


# ------------------------------------------------------------------ the catalog


def test_the_spanish_catalog_has_no_untranslated_or_fuzzy_entry():
    po = _po()

    assert len(po) > 1000
    assert [entry.msgid for entry in po.untranslated_entries()] == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []
    assert [entry.msgid for entry in po if entry.obsolete] == []
    assert po.metadata["Language"] == "es"
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


def test_every_translation_keeps_the_placeholders_and_markup_of_its_source():
    problems = []
    for entry in _po():
        pairs = [(entry.msgid, entry.msgstr)] if not entry.msgid_plural else [
            (entry.msgid, entry.msgstr_plural[0]), (entry.msgid_plural, entry.msgstr_plural[1])]
        for source, translated in pairs:
            if "python-format" in entry.flags and sorted(PLACEHOLDER.findall(source)) != sorted(
                    PLACEHOLDER.findall(translated)):
                problems.append((source, translated))
            if sorted(re.findall(r"</?\w+>", source)) != sorted(re.findall(r"</?\w+>", translated)):
                problems.append((source, translated))
            if source.startswith(" ") != translated.startswith(" ") or source.endswith(" ") != translated.endswith(" "):
                problems.append((source, translated))

    assert problems == []


def test_the_committed_mo_file_is_compiled_from_the_current_po_file():
    """A .po edited without ``compilemessages`` would ship stale Spanish: compare every message."""
    def messages(catalog) -> dict:
        result = {}
        for entry in catalog:
            key = (entry.msgctxt or "", entry.msgid)
            result[key] = (tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
                           if entry.msgid_plural else entry.msgstr)
        return result

    compiled = polib.mofile(str(CATALOG / "django.mo"))

    assert messages(compiled) == messages(_po())


def test_settings_offer_english_and_spanish_with_the_project_catalog():
    assert [code for code, _name in settings.LANGUAGES] == ["en", "es"]
    assert CATALOG.parent.parent in [Path(path) for path in settings.LOCALE_PATHS]
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


# ------------------------------------------------------------------ templates


TEMPLATE_COMMENT = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|<!--.*?-->", re.S)
BLOCKTRANS = re.compile(r"{%\s*(blocktrans|blocktranslate)\b.*?{%\s*end(blocktrans|blocktranslate)\s*%}", re.S)
SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
TEMPLATE_TAG = re.compile(r"{%.*?%}|{{.*?}}", re.S)
HTML_TAG = re.compile(r"<[^>]*>", re.S)
TEXT_ATTRIBUTE = re.compile(r'\b(placeholder|aria-label|title|alt)="([^"]*)"')


def _untranslated_text(source: str) -> list[str]:
    text = SCRIPT_OR_STYLE.sub(" ", BLOCKTRANS.sub(" ", TEMPLATE_COMMENT.sub(" ", source)))
    found = [f'{name}="{value}"' for name, value in TEXT_ATTRIBUTE.findall(text)
             if re.search(r"[A-Za-z]{2,}", TEMPLATE_TAG.sub("", value))]
    text = HTML_TAG.sub(" ", TEMPLATE_TAG.sub(" ", text))
    found += [line.strip() for line in text.splitlines() if re.search(r"[A-Za-z]{2,}", line)]
    return found


def test_the_template_check_finds_text_outside_trans_tags():
    assert _untranslated_text('<p>Hello there {% trans "Fine" %}</p><input placeholder="Type here">') == [
        'placeholder="Type here"', "Hello there"]
    assert _untranslated_text('<p>{% blocktrans %}Fine {{ x }}{% endblocktrans %}</p>{# note #}') == []


def test_no_template_shows_text_outside_trans_tags():
    base = Path(settings.BASE_DIR)
    project_dirs = [Path(d) for d in engines["django"].template_dirs if Path(d).is_relative_to(base) and ".venv" not in Path(d).parts]
    templates = sorted(path for directory in project_dirs for path in directory.glob("**/*.html"))
    found = {str(path.relative_to(base)): _untranslated_text(path.read_text()) for path in templates}

    assert len(templates) > 30
    assert {path: text for path, text in found.items() if text} == {}


# ------------------------------------------------------------------ language switcher and pages


@pytest.mark.django_db
def test_home_page_is_english_by_default_with_the_language_switcher():
    html = _browser().get("/").content.decode()

    assert '<html lang="en">' in html
    assert "Skip to main content" in html
    assert 'action="/i18n/setlang/"' in html
    assert '<option value="es">Spanish</option>' in html


@pytest.mark.django_db
def test_choosing_spanish_in_the_switcher_turns_the_home_page_spanish():
    client = _browser()

    response = client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    html = client.get("/").content.decode()

    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert '<html lang="es">' in html
    assert "Saltar al contenido principal" in html
    assert "<h1>¿Qué necesita?</h1>" in html
    assert '<option value="es" selected>Español</option>' in html
    assert "Skip to main content" not in html


@pytest.mark.django_db
def test_choosing_english_again_turns_it_back():
    client = _browser()
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()

    assert '<html lang="en">' in html
    assert "<h1>What do you need?</h1>" in html


@pytest.mark.django_db
def test_sign_in_page_follows_accept_language():
    spanish = _browser(language="es").get("/accounts/login/").content.decode()
    english = _browser(language="en").get("/accounts/login/").content.decode()

    assert "Nombre de usuario" in spanish and "Contraseña" in spanish
    assert "Username" in english and "Password" in english


@pytest.mark.django_db
def test_order_page_in_spanish_writes_money_and_dates_the_spanish_way():
    order = OrderFactory(cap=Decimal("1234.50"), start_date=date(2026, 1, 1), end_date=date(2027, 12, 31))
    parties = order_parties(order)

    spanish = _browser(parties["requester"], "es").get(f"/orders/{order.pk}/").content.decode()
    english = _browser(parties["requester"], "en").get(f"/orders/{order.pk}/").content.decode()

    assert f"<h1>Orden de compra derivada {order.reference}</h1>" in spanish
    assert f"<dd>1.234,50{NBSP}PEN</dd>" in spanish
    assert "<dd>1 de enero de 2026 – 31 de diciembre de 2027</dd>" in spanish
    assert f"<dd>0,00{NBSP}PEN (0%)</dd>" in spanish
    assert f"<td class=\"num\">0,20{NBSP}PEN</td>" in spanish  # the line's unit price 0.200000
    assert f"<h1>Call-off order {order.reference}</h1>" in english
    assert f"<dd>1,234.50{NBSP}PEN</dd>" in english
    assert "<dd>Jan. 1, 2026 – Dec. 31, 2027</dd>" in english
    assert f"<td class=\"num\">0.20{NBSP}PEN</td>" in english


@pytest.mark.django_db
def test_order_list_in_spanish():
    order = OrderFactory(cap=Decimal("25000.00"))
    parties = order_parties(order)

    html = _browser(parties["requester"], "es").get("/orders/").content.decode()

    assert "<h1>Órdenes de compra derivadas</h1>" in html
    assert f"25.000,00{NBSP}PEN" in html
    assert "Activa" in html


@pytest.mark.django_db
def test_catalog_pages_in_spanish(corpus):  # noqa: F811
    listing = corpus["listings"]["backup_peru"]

    results = _browser(language="es").get("/search/", {"q": "backup", "data_location": "peru"}).content.decode()
    page = _browser(language="es").get(f"/listings/{listing.pk}/").content.decode()

    assert "2 resultados" in results
    assert "Quitar el filtro:" in results
    assert f"0,10{NBSP}PEN por vCPU-hour" in results
    assert f"0,10{NBSP}PEN por vCPU-hour" in page
    assert f"0,25{NBSP}PEN por vCPU-hour" in page
    assert "Versión 1, publicada el " in page


# ------------------------------------------------------------------ money and dates


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["1,234.50\u00a0PEN", "1,234,567.50", "0.00", "-12.30\u00a0COP", "0.1234", "0.10", "1,500.10\u00a0PEN",
            "0.065\u00a0PEN"]),
    ("es", ["1.234,50\u00a0PEN", "1.234.567,50", "0,00", "-12,30\u00a0COP", "0,1234", "0,10", "1.500,10\u00a0PEN",
            "0,065\u00a0PEN"]),
])
def test_money_and_price_filters_group_and_separate_as_the_language_does(language, expected):
    with translation.override(language):
        written = [
            money(Decimal("1234.5"), "PEN"), money("1234567.505"), money(Decimal("0")), money(Decimal("-12.3"), "COP"),
            price(Decimal("0.123400")), price(Decimal("0.100000")), price("1500.1", "PEN"),
            price(Decimal("0.065000"), "PEN"),
        ]

    assert written == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["8,760", "12.5", "0.000001", "1,000.25", "0"]),
    ("es", ["8.760", "12,5", "0,000001", "1.000,25", "0"]),
])
def test_quantities_show_only_the_decimals_they_need(language, expected):
    with translation.override(language):
        written = [quantity(Decimal("8760.000000")), quantity(Decimal("12.500000")), quantity("0.000001"),
                   quantity(Decimal("1000.250")), quantity(Decimal("0E-6"))]

    assert written == expected
    assert (quantity(None), quantity("n/a")) == ("", "n/a")


def test_money_filter_leaves_empty_and_non_numbers_alone():
    assert (money(None), money(""), money("–"), money("–", "PEN"), price(None), price("n/a")) == (
        "", "", "–", "–", "", "n/a")


def test_money_filter_in_a_template_with_a_default():
    template = Template('{% load money %}{{ a|money:"PEN" }}|{{ b|default:"–"|money }}|{{ c|price }}')
    with translation.override("es"):
        text = template.render(Context({"a": Decimal("98765.4"), "b": None, "c": Decimal("0.250000")}))

    assert text == f"98.765,40{NBSP}PEN|–|0,25"


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "March 5, 2026|March 5, 2026, 2:30 p.m.|March 2026"),
    ("es", "5 de marzo de 2026|5 de marzo de 2026 a las 14:30|marzo de 2026"),
])
def test_dates_follow_the_language_formats(language, expected):
    template = Template('{{ d|date:"DATE_FORMAT" }}|{{ t|date:"DATETIME_FORMAT" }}|{{ d|date:"YEAR_MONTH_FORMAT" }}')
    with translation.override(language):
        text = template.render(Context({"d": date(2026, 3, 5), "t": datetime(2026, 3, 5, 14, 30, tzinfo=UTC)}))

    assert text == expected


# ------------------------------------------------------------------ exports and e-mails


def test_export_headers_are_translated():
    with translation.override("es"):
        snapshot = snapshot_columns()
        log = csv_column_labels()
    with translation.override("en"):
        english_log = csv_column_labels()

    assert snapshot == ["Posición", "Proveedor", "Título", "Resumen", "Unidad", "Precio unitario", "Moneda", "Enlace",
                        "Correo electrónico del proveedor", "Teléfono del proveedor"]
    assert log[:5] == ["id", "fecha", "entidad_compradora", "proveedor", "acuerdo_marco"]
    assert english_log[:5] == ["id", "date", "buyer", "supplier", "framework"]


@pytest.mark.django_db
def test_statement_csv_headers_follow_the_language():
    order = OrderFactory(cap=Decimal("100.00"))
    parties = order_parties(order)
    _usage(client_for(parties["supplier"]), order, "a", quantity="10")
    buyer = client_for(parties["requester"])
    buyer.post(f"/api/v1/orders/{order.pk}/statements/", {"month": f"{months_from_this_month(-9):%Y-%m}"}, format="json")

    def lines(response) -> list[str]:
        content = b"".join(response) if hasattr(response, "streaming_content") else response.content
        return content.decode().splitlines()

    spanish = lines(buyer.get(f"/api/v1/orders/{order.pk}/statements/{months_from_this_month(-9):%Y-%m}.csv", HTTP_ACCEPT_LANGUAGE="es"))
    english = lines(buyer.get(f"/api/v1/orders/{order.pk}/statements/{months_from_this_month(-9):%Y-%m}.csv"))

    assert spanish[0] == "orden,mes,linea,descripcion,unidad,precio_unitario,cantidad,importe,registros,moneda"
    assert spanish[-1] == f"{order.reference},{months_from_this_month(-9):%Y-%m},,Total,,,,2.00,1,PEN"
    assert english[0] == "order,month,line,description,unit,unit_price,quantity,amount,records,currency"


@pytest.mark.django_db(transaction=False)
def test_notification_e_mail_is_written_in_the_deployment_language(django_capture_on_commit_callbacks, mailoutbox):
    """A Spanish deployment (LANGUAGE_CODE = "es") writes notifications in Spanish even when the
    metering client that caused them asked for English."""
    from django.test import override_settings

    order = OrderFactory(cap=Decimal("10.00"))
    parties = order_parties(order)
    parties["requester"].email = "requester@example.org"
    parties["requester"].save(update_fields=["email"])
    supplier = client_for(parties["supplier"])

    with override_settings(LANGUAGE_CODE="es"), django_capture_on_commit_callbacks(execute=True):
        response = _usage(supplier, order, "a", quantity="50", language="en")  # 10.00: the whole cap

    assert response.status_code == 201
    subjects = set(Notification.objects.filter(recipient=parties["requester"]).values_list("subject", flat=True))
    assert f"La orden {order.reference} alcanzó su tope" in subjects
    assert f"La orden {order.reference} alcanzó su tope" in [mail.subject for mail in mailoutbox]
    body = Notification.objects.get(recipient=parties["requester"], kind="order.threshold",
                                    dedupe_key=f"order:{order.pk}:threshold:100").body
    assert body == (f"El gasto de la orden {order.reference} llegó a 10,00 PEN, su tope de 10,00 PEN. Se rechazará "
                    "todo consumo adicional hasta que la entidad compradora modifique el tope.")


# ------------------------------------------------------------------ API errors follow Accept-Language


def _usage(client, order, key, quantity="10", language=None):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return client.post(f"/api/v1/orders/{order.pk}/usage/", {
        "line": order.lines.get().pk, "quantity": quantity, "occurred_at": f"{months_from_this_month(-9, day=10)}T12:00:00Z",
        "idempotency_key": key,
    }, format="json", **headers)


@pytest.mark.django_db
def test_api_validation_error_from_drf_in_spanish_and_english():
    spanish = APIClient().post("/api/v1/auth/token/", {}, format="json", HTTP_ACCEPT_LANGUAGE="es")
    english = APIClient().post("/api/v1/auth/token/", {}, format="json")

    assert (spanish.status_code, spanish.json()) == (400, {"error": {
        "code": "validation_error", "message": "La solicitud no es válida.",
        "fields": {"username": ["Este campo es requerido."], "password": ["Este campo es requerido."]}}})
    assert (english.status_code, english.json()) == (400, {"error": {
        "code": "validation_error", "message": "The request is not valid.",
        "fields": {"username": ["This field is required."], "password": ["This field is required."]}}})


@pytest.mark.django_db
def test_api_unauthenticated_error_in_spanish():
    spanish = APIClient().get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="es-PE,es;q=0.9")
    english = APIClient().get("/api/v1/me/")

    assert spanish.json()["error"]["message"] == "Las credenciales de autenticación no se proveyeron."
    assert english.json()["error"]["message"] == "Authentication credentials were not provided."


@pytest.mark.django_db
def test_api_cap_exceeded_409_in_spanish_and_english():
    order = OrderFactory(cap=Decimal("10.00"))
    supplier = client_for(order_parties(order)["supplier"])

    spanish = _usage(supplier, order, "es", quantity="100", language="es")
    english = _usage(supplier, order, "en", quantity="100")

    assert (spanish.status_code, spanish.json()["error"]["code"], spanish.json()["error"]["message"]) == (
        409, "cap_exceeded", "Se superaría el tope de la orden")
    assert (english.status_code, english.json()["error"]["code"], english.json()["error"]["message"]) == (
        409, "cap_exceeded", "The order's cap would be exceeded")
    assert UsageRecord.objects.filter(status=UsageRecord.Status.ACCEPTED).count() == 0
    assert CallOffOrder.objects.get(pk=order.pk).spent == Decimal("0.00")


@pytest.mark.django_db
def test_api_invalid_transition_409_in_spanish():
    order = OrderFactory(cap=Decimal("10.00"))
    approver = client_for(order_parties(order)["approver"])

    spanish = approver.post(f"/api/v1/orders/{order.pk}/activate/", {}, format="json", HTTP_ACCEPT_LANGUAGE="es")
    english = approver.post(f"/api/v1/orders/{order.pk}/activate/", {}, format="json")

    assert (spanish.status_code, spanish.json()["error"]["message"]) == (
        409, "Cambio de estado no permitido para orden de compra derivada: de «Activa» a «Activa».")
    assert (english.status_code, english.json()["error"]["message"]) == (
        409, "A call-off order cannot move from “Active” to “Active”.")
    assert CallOffOrder.objects.get(pk=order.pk).status == "active"


@pytest.mark.django_db
def test_api_service_validation_400_and_not_found_404_in_spanish():
    order = OrderFactory(cap=Decimal("10.00"))
    approver = client_for(order_parties(order)["approver"])

    invalid = approver.post(f"/api/v1/orders/{order.pk}/amend-cap/", {"cap": "50.00", "justification": "  "},
                            format="json", HTTP_ACCEPT_LANGUAGE="es")
    missing = approver.get("/api/v1/orders/999999/", HTTP_ACCEPT_LANGUAGE="es")
    missing_english = approver.get("/api/v1/orders/999999/")

    assert (invalid.status_code, invalid.json()["error"]) == (400, {
        "code": "validation_error", "message": "Explique por qué cambia el tope.",
        "fields": {"justification": ["Explique por qué cambia el tope."]}})
    assert (missing.status_code, missing.json()["error"]["message"]) == (404, "No se encontró la orden.")
    assert missing_english.json()["error"]["message"] == "Order not found."
    assert CallOffOrder.objects.get(pk=order.pk).cap == Decimal("10.00")


@pytest.mark.django_db
def test_the_language_of_one_request_does_not_leak_into_the_next():
    order = OrderFactory(cap=Decimal("10.00"))
    approver = client_for(order_parties(order)["approver"])

    approver.get("/api/v1/orders/999999/", HTTP_ACCEPT_LANGUAGE="es")
    after = approver.get("/api/v1/orders/999999/")

    assert after.json()["error"]["message"] == "Order not found."


def test_prices_in_messages_are_written_like_prices_on_the_pages():
    from django.utils import translation

    from common.money import price_text

    with translation.override("en"):
        assert (price_text("0.250000"), price_text("8000.000000"), price_text("0.123400")) == ("0.25", "8,000.00", "0.1234")
    with translation.override("es"):
        assert (price_text("0.250000"), price_text("8000.000000")) == ("0,25", "8.000,00")
    assert price_text(None) == "" and price_text("n/a") == "n/a"
