"""Refusals and missing pages are shown in the site's layout, in the user's words."""

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from agreements.models import Membership, Organization
from tests.factories import member

pytestmark = pytest.mark.django_db


def _signed_in(kind, role):
    user = member(kind, role)
    client = Client()
    client.force_login(user)
    return client, user


def test_a_refusal_says_why_in_the_site_layout():
    client, user = _signed_in(Organization.Kind.BUYER, Membership.Role.REQUESTER)

    response = client.get("/oversight/flags/")

    text = response.content.decode()
    assert response.status_code == 403
    assert "Only oversight users (auditors) can see this page." in text
    assert f"You are signed in as {user.username}" in text
    assert 'href="/orders/"' in text  # the buyer's own navigation, so the way back is there


def test_a_refusal_is_in_the_users_language():
    client, _user = _signed_in(Organization.Kind.BUYER, Membership.Role.REQUESTER)

    response = client.get("/oversight/flags/", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 403
    assert "No puede abrir esta página" in response.content.decode()


def test_a_missing_page_is_in_the_site_layout_without_technical_detail():
    client, _user = _signed_in(Organization.Kind.BUYER, Membership.Role.REQUESTER)

    response = client.get("/orders/987654/")

    text = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in text and 'class="site-header"' in text
    assert "CallOffOrder" not in text and "matches the given query" not in text


def test_the_server_error_page_renders_without_a_request_context():
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
