"""A database that goes away for a moment answers 503 with Retry-After, in the user's language, not 500."""

import re
from decimal import Decimal

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import InterfaceError, OperationalError, connection
from django.test import Client, RequestFactory
from django.utils import translation

from agreements.models import Membership, Organization
from config.middleware import DatabaseOutageMiddleware
from marketplace.notifications.models import Notification
from marketplace.orders.models import CallOffOrder, UsageRecord
from marketplace.selection.models import SavedSearch
from tests.clock import months_from_this_month
from tests.conftest import client_for, requires_postgres
from tests.factories import member
from tests.marketplace.factories_orders import OrderFactory, order_parties

USAGE_AT = f"{months_from_this_month(-9, day=10)}T12:00:00Z"
RETRY_WITH_THE_SAME_KEY = (
    "The database is unavailable for a moment. Send the same request again in 5 seconds "
    "with the same idempotency key: a reading is recorded at most once."
)
WRITE_STATEMENT = re.compile(r"\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
TRY_AGAIN = "The database is unavailable for a moment. Try again in 5 seconds."


def _refuse_writes(execute, sql, params, many, context):
    """The database goes away when the first write (or row lock) reaches it, after the request's reads;
    on PostgreSQL the usage write is one statement starting with WITH (marketplace/orders/usage_sql.py)."""
    if WRITE_STATEMENT.search(sql):
        raise OperationalError("server closed the connection unexpectedly")
    return execute(sql, params, many, context)


def _refuse_every_query(execute, sql, params, many, context):
    raise InterfaceError("connection already closed")


def _spanish(message: str) -> str:
    with translation.override("es"):
        translated = translation.gettext(message)
    assert translated != message, f"no Spanish for {message!r}"
    return translated


def _post_usage(client, order, **headers):
    return client.post(f"/api/v1/orders/{order.pk}/usage/", {
        "line": order.lines.get().pk, "quantity": "10", "occurred_at": USAGE_AT, "idempotency_key": "reading-1",
    }, format="json", **headers)


RETRY_WITH_THE_SAME_KEY_ES = (
    "La base de datos no está disponible por un momento. Envíe la misma solicitud de nuevo dentro de 5 segundos "
    "con la misma clave de idempotencia: una lectura se registra una sola vez."
)


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "message"), [("en", RETRY_WITH_THE_SAME_KEY), ("es", RETRY_WITH_THE_SAME_KEY_ES)])
def test_a_usage_post_during_an_outage_is_503_retry_with_the_same_key_and_nothing_is_written(language, message):
    order = OrderFactory(cap=Decimal("100.00"))
    client = client_for(order_parties(order)["supplier"])

    with connection.execute_wrapper(_refuse_writes):
        response = _post_usage(client, order, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Language"] == language
    assert response.json() == {"error": {
        "code": "database_unavailable", "message": message, "fields": {},
    }}
    order.refresh_from_db()
    assert (order.spent, order.status) == (Decimal("0.00"), CallOffOrder.Status.ACTIVE)
    assert UsageRecord.objects.count() == 0
    # The database is back: the same key is recorded, once.
    assert _post_usage(client, order).status_code == 201
    assert _post_usage(client, order).status_code == 201
    assert UsageRecord.objects.count() == 1


@pytest.mark.django_db
def test_another_api_write_during_an_outage_is_503_try_again_and_nothing_is_written():
    client = client_for(member(Organization.Kind.BUYER, Membership.Role.REQUESTER))

    with connection.execute_wrapper(_refuse_writes):
        response = client.post("/api/v1/searches/", {"name": "Hosting", "query": {"q": "hosting"}}, format="json")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"error": {"code": "database_unavailable", "message": TRY_AGAIN, "fields": {}}}
    assert SavedSearch.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "translate"), [("en", str), ("es", _spanish)])
def test_a_page_during_an_outage_is_the_self_contained_503_page_in_the_users_language(language, translate):
    client = Client()
    client.force_login(member(Organization.Kind.BUYER, Membership.Role.REQUESTER))

    with connection.execute_wrapper(_refuse_every_query):
        response = client.get("/orders/", HTTP_ACCEPT_LANGUAGE=language)

    text = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "no-store" in response["Cache-Control"]
    assert f'<html lang="{language}">' in text
    assert translate("The service is unavailable for a moment") in text
    assert 'class="site-header"' not in text  # not the site layout: it would need the database itself


@pytest.mark.django_db
def test_a_page_post_whose_middleware_meets_the_outage_is_503_not_500():
    """The oversight guard reads the session user before the view runs: the error is raised in a
    middleware, where Django turns it into its 500 before this project's middleware sees it."""
    client = Client(raise_request_exception=False)  # the test client would re-raise what Django logged
    user = member(Organization.Kind.BUYER, Membership.Role.REQUESTER)
    client.force_login(user)
    unread = Notification.objects.create(
        recipient=user, organization=user.memberships.get().organization, kind="order.threshold",
        subject="Half the cap is spent", body="Order CO-1 has spent half its cap.", dedupe_key="threshold-50",
    )

    with connection.execute_wrapper(_refuse_every_query):
        response = client.post("/notifications/read/", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert '<html lang="es">' in response.content.decode()
    unread.refresh_from_db()
    assert unread.read_at is None


def test_other_errors_are_left_to_django():
    middleware = DatabaseOutageMiddleware(lambda request: None)

    assert middleware.process_exception(RequestFactory().get("/orders/"), ValueError("a bug")) is None


def _wsgi_get(handler, path):
    """One request as a WSGI server makes it, with Django's request_started/finished connection care."""
    statuses = []
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET")
    body = b"".join(handler(environ, lambda status, headers: statuses.append(status)))
    return statuses[0], body


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_killed_between_requests_recovers_on_the_next_request_by_itself():
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    handler = WSGIHandler()
    status, _body = _wsgi_get(handler, "/readyz")
    assert status.startswith("200")
    backend_pid = connection.connection.info.backend_pid  # the connection kept open for the next request

    other = connection.copy()
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
        assert cursor.fetchone() == (True,)
    other.close()

    status, body = _wsgi_get(handler, "/readyz")

    assert status.startswith("200"), body
    assert connection.connection.info.backend_pid != backend_pid
