"""API rate limits on writes, per token: a clear 429 in the error shape with Retry-After."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agreements.models import Membership, Organization
from config.api.throttling import USAGE_URL_NAMES, WriteRateThrottle, scope_for
from marketplace.orders.models import UsageRecord
from marketplace.selection.models import SavedSearch
from tests.clock import months_from_this_month
from tests.factories import member
from tests.marketplace.factories_orders import OrderFactory, order_parties

pytestmark = pytest.mark.django_db

LOW_RATES = override_settings(
    REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"write": "3/min", "usage": "5/min"}}
)


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    """The throttle's clock stands still, so Retry-After does not depend on how fast the machine is."""
    monkeypatch.setattr(WriteRateThrottle, "timer", lambda self: 1_000_000.0)


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def save_search(client, name="s"):
    return client.post("/api/v1/searches/", {"name": name, "query": {}}, format="json")


def post_usage(client, order, key):
    return client.post(f"/api/v1/orders/{order.pk}/usage/", {
        "line": order.lines.get().pk, "quantity": "1", "occurred_at": f"{months_from_this_month(-9, day=10)}T12:00:00Z", "idempotency_key": key,
    }, format="json")


def buyer():
    return member(Organization.Kind.BUYER, Membership.Role.REQUESTER)


@LOW_RATES
def test_writes_over_the_rate_answer_429_with_retry_after_in_the_error_shape():
    client = token_client(buyer())
    statuses = [save_search(client, name=f"s{n}").status_code for n in range(3)]

    response = save_search(client, name="one too many")

    assert statuses == [201, 201, 201]
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json() == {
        "error": {
            "code": "rate_limited", "message": "Too many requests. Try again in 60 seconds.", "fields": {},
            "retry_after": 60,
        }
    }
    assert sorted(SavedSearch.objects.values_list("name", flat=True)) == ["s0", "s1", "s2"]


@LOW_RATES
def test_the_limit_is_per_token_another_user_is_unaffected():
    first, second = token_client(buyer()), token_client(buyer())
    for n in range(3):
        save_search(first, name=f"a{n}")

    assert save_search(first, name="a-over").status_code == 429
    assert save_search(second, name="b0").status_code == 201


@LOW_RATES
def test_reads_are_not_limited():
    client = token_client(buyer())
    for n in range(3):
        save_search(client, name=f"s{n}")

    reads = [client.get("/api/v1/searches/").status_code for _n in range(10)]

    assert save_search(client, name="over").status_code == 429
    assert reads == [200] * 10
    assert client.get("/api/v1/me/").status_code == 200


@LOW_RATES
def test_failed_writes_count_too():
    client = token_client(buyer())
    answers = [client.post("/api/v1/searches/", {}, format="json").status_code for _n in range(3)]

    assert answers == [400, 400, 400]
    assert client.post("/api/v1/searches/", {}, format="json").status_code == 429


@LOW_RATES
def test_usage_posting_has_its_own_rate_and_a_clear_429():
    order = OrderFactory(cap=Decimal("100.00"))
    client = token_client(order_parties(order)["supplier"])
    statuses = [post_usage(client, order, f"k{n}").status_code for n in range(5)]

    response = post_usage(client, order, "k-over")

    assert statuses == [201, 201, 201, 201, 201]
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json()["error"]["code"] == "rate_limited"
    assert UsageRecord.objects.count() == 5
    order.refresh_from_db()
    assert order.spent == Decimal("1.00")


@LOW_RATES
def test_usage_and_other_writes_are_counted_apart():
    order = OrderFactory(cap=Decimal("100.00"))
    client = token_client(order_parties(order)["supplier"])
    for n in range(4):
        post_usage(client, order, f"k{n}")

    # The supplier's other writes still have their whole "write" allowance.
    upload = client.post(f"/api/v1/orders/{order.pk}/usage/upload/", {}, format="multipart")

    assert upload.status_code == 400
    assert post_usage(client, order, "k4").status_code == 201


@LOW_RATES
def test_anonymous_token_requests_are_limited_per_address(api_client):
    answers = [
        api_client.post("/api/v1/auth/token/", {"username": f"u{n}", "password": "x"}, format="json",
                        REMOTE_ADDR="10.9.9.9").status_code
        for n in range(4)
    ]
    elsewhere = api_client.post("/api/v1/auth/token/", {"username": "u9", "password": "x"}, format="json",
                                REMOTE_ADDR="10.9.9.10")

    assert answers == [400, 400, 400, 429]
    assert elsewhere.status_code == 400


def test_default_rates_and_the_one_place_that_picks_the_usage_scope():
    class Match:
        url_name = "api-order-usage"

    class Request:
        resolver_match = Match()

    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {"write": "600/min", "usage": "6000/min"}
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == ["config.api.throttling.WriteRateThrottle"]
    assert USAGE_URL_NAMES == frozenset({"api-order-usage"})
    assert scope_for(Request()) == "usage"
    Match.url_name = "api-order-usage-upload"
    assert scope_for(Request()) == "write"
