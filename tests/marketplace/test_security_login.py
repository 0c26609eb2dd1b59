"""Login throttling: the sign-in page and the token endpoint share one lock per username and address."""

import pytest
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token

import config.security as security
from tests.factories import UserFactory

PASSWORD = "secret-pass-123"
LOCK_MESSAGE = "Too many failed sign-in attempts. Sign-in for this account is locked; try again in 15 minutes."


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The lock's clock, standing still unless a test moves it: Retry-After does not depend on speed."""
    now = {"time": 1_000_000.0}
    monkeypatch.setattr(security, "_now", lambda: now["time"])
    return now


def sign_in(client, username, password, ip="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def get_token(api_client, username, password, ip="10.0.0.1"):
    return api_client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )


@pytest.mark.django_db
def test_page_five_failures_lock_the_account_even_for_the_right_password():
    UserFactory(username="ana")
    client = Client()
    for _attempt in range(4):
        response = sign_in(client, "ana", "wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()

    fifth = sign_in(client, "ana", "wrong")
    right = sign_in(client, "ana", PASSWORD)

    assert fifth.status_code == 429
    assert LOCK_MESSAGE in fifth.content.decode()
    assert right.status_code == 429
    assert right["Retry-After"] == "900"
    assert LOCK_MESSAGE in right.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_page_lock_does_not_touch_other_users_or_other_addresses():
    UserFactory(username="ana")
    UserFactory(username="ben")
    for _attempt in range(5):
        sign_in(Client(), "ana", "wrong")

    other_user = Client()
    response_other_user = sign_in(other_user, "ben", PASSWORD)
    other_address = Client()
    response_other_address = sign_in(other_address, "ana", PASSWORD, ip="10.0.0.2")

    assert response_other_user.status_code == 302
    assert other_user.session["_auth_user_id"]
    assert response_other_address.status_code == 302
    assert other_address.session["_auth_user_id"]


@pytest.mark.django_db
def test_page_success_resets_the_count_of_failures():
    UserFactory(username="ana")
    for _attempt in range(4):
        sign_in(Client(), "ana", "wrong")

    assert sign_in(Client(), "ana", PASSWORD).status_code == 302
    for _attempt in range(4):
        response = sign_in(Client(), "ana", "wrong")

    assert response.status_code == 200
    assert sign_in(Client(), "ana", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_page_unknown_usernames_count_too():
    for _attempt in range(5):
        response = sign_in(Client(), "nobody", "guess")

    assert response.status_code == 429


@pytest.mark.django_db
def test_page_username_case_does_not_escape_the_lock():
    UserFactory(username="ana")
    for username in ("ana", "ANA", "Ana", "aNa", "ana "):
        sign_in(Client(), username, "wrong")

    assert sign_in(Client(), "ana", PASSWORD).status_code == 429


@pytest.mark.django_db
@override_settings(MARKETPLACE_LOGIN_FAILURE_LIMIT=2, MARKETPLACE_LOGIN_LOCKOUT_SECONDS=60)
def test_limit_and_lockout_period_come_from_settings():
    UserFactory(username="ana")
    sign_in(Client(), "ana", "wrong")
    response = sign_in(Client(), "ana", "wrong")

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "try again in 1 minute." in response.content.decode()


@pytest.mark.django_db
def test_lock_counts_down_and_ends_after_the_period(clock):
    UserFactory(username="ana")
    for _attempt in range(5):
        sign_in(Client(), "ana", "wrong")
    clock["time"] += 600
    later = sign_in(Client(), "ana", PASSWORD)
    clock["time"] += 301
    security.cache.delete(security._lock_key("ana", "10.0.0.1"))  # what the cache timeout does after 900 s

    assert later.status_code == 429
    assert later["Retry-After"] == "300"
    assert "try again in 5 minutes." in later.content.decode()
    assert sign_in(Client(), "ana", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_api_token_five_failures_answer_429_in_the_error_shape(api_client):
    UserFactory(username="ana")
    for _attempt in range(4):
        response = get_token(api_client, "ana", "wrong")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "validation_error"

    fifth = get_token(api_client, "ana", "wrong")
    right = get_token(api_client, "ana", PASSWORD)

    assert fifth.status_code == 429
    assert right.status_code == 429
    assert right["Retry-After"] == "900"
    assert right.json() == {
        "error": {"code": "too_many_login_attempts", "message": LOCK_MESSAGE, "fields": {}, "retry_after": 900}
    }
    assert Token.objects.count() == 0


@pytest.mark.django_db
def test_api_token_other_users_unaffected_and_success_resets(api_client):
    UserFactory(username="ana")
    UserFactory(username="ben")
    for _attempt in range(5):
        get_token(api_client, "ana", "wrong")
    for _attempt in range(4):
        get_token(api_client, "ben", "wrong")

    ben_ok = get_token(api_client, "ben", PASSWORD)
    ben_again = [get_token(api_client, "ben", "wrong").status_code for _attempt in range(4)]

    assert ben_ok.status_code == 200
    assert ben_ok.json()["token"] == Token.objects.get(user__username="ben").key
    assert ben_again == [400, 400, 400, 400]
    assert get_token(api_client, "ana", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_page_and_api_share_one_count(api_client):
    UserFactory(username="ana")
    for _attempt in range(3):
        sign_in(Client(), "ana", "wrong")
    for _attempt in range(2):
        get_token(api_client, "ana", "wrong")

    assert sign_in(Client(), "ana", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_admin_sign_in_is_throttled_too():
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for _attempt in range(5):
        Client().post("/admin/login/", {"username": "root", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")

    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD},
                           REMOTE_ADDR="10.0.0.1")

    assert response.status_code == 200  # the admin's own form shows its generic error
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@override_settings(MARKETPLACE_TRUSTED_PROXIES=1)
def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client():
    UserFactory(username="ana")
    for _attempt in range(5):
        Client().post("/accounts/login/", {"username": "ana", "password": "wrong"},
                      REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="198.51.100.7")

    from_other_client = Client().post("/accounts/login/", {"username": "ana", "password": PASSWORD},
                                      REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="198.51.100.8")
    from_locked_client = Client().post("/accounts/login/", {"username": "ana", "password": PASSWORD},
                                       REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert from_other_client.status_code == 302
    assert from_locked_client.status_code == 429


@pytest.mark.django_db
def test_client_login_without_a_request_is_not_throttled():
    UserFactory(username="ana")
    for _attempt in range(5):
        sign_in(Client(), "ana", "wrong", ip="127.0.0.1")

    assert Client().login(username="ana", password=PASSWORD) is True
