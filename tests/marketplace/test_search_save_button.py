"""The catalog results page offers "Save this search" to buyers only, carrying the exact query."""

import html

import pytest
from django.test import Client

from agreements.models import Membership, Organization
from tests.factories import member
from tests.marketplace.factories_selection import hosting_market

pytestmark = pytest.mark.django_db


def _page_for(user, query: str) -> str:
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.get(f"/search/?{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_buyer_sees_save_link_with_the_exact_query():
    framework, lot, _versions = hosting_market()
    buyer = member(Organization.Kind.BUYER, Membership.Role.REQUESTER)
    query = f"q=hosting&framework={framework.pk}&lot={lot.pk}"

    page = _page_for(buyer, query)

    assert f'href="/buyer/searches/save/?{query.replace("&", "&amp;")}"' in page
    assert "Save this search" in page


def test_save_link_leads_to_the_save_page_with_the_query_in_words():
    framework, lot, _versions = hosting_market()
    buyer = member(Organization.Kind.BUYER, Membership.Role.REQUESTER)
    client = Client()
    client.force_login(buyer)

    response = client.get(f"/buyer/searches/save/?framework={framework.pk}&lot={lot.pk}")

    assert response.status_code == 200
    assert framework.title in html.unescape(response.content.decode())


@pytest.mark.parametrize("kind", [None, Organization.Kind.SUPPLIER, Organization.Kind.OVERSIGHT])
def test_others_do_not_see_the_save_link(kind):
    framework, lot, _versions = hosting_market()
    user = member(kind) if kind else None

    page = _page_for(user, f"framework={framework.pk}&lot={lot.pk}")

    assert "Save this search" not in page
    assert "/buyer/searches/save/" not in page
