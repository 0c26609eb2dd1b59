"""Every signed-in user gets links to the pages of their role; the favicon is ours."""

import pytest
from django.test import Client

from agreements.models import Membership, Organization
from tests.factories import member

pytestmark = pytest.mark.django_db

EXPECTED = {
    None: ["/search/"],
    Organization.Kind.BUYER: ["/search/", "/buyer/requirements/", "/competitions/", "/orders/"],
    Organization.Kind.SUPPLIER: ["/search/", "/supplier/listings/", "/competitions/", "/orders/"],
    Organization.Kind.AUTHORITY: ["/search/", "/review/"],
    Organization.Kind.OVERSIGHT: ["/search/", "/oversight/selections/", "/oversight/flags/", "/orders/"],
}
ALL_LINKS = {link for links in EXPECTED.values() for link in links}


@pytest.mark.parametrize("kind", list(EXPECTED), ids=lambda kind: kind or "anonymous")
def test_main_navigation_links_fit_the_role_and_each_link_opens(kind):
    client = Client()
    if kind is not None:
        client.force_login(member(kind, Membership.Role.REQUESTER))

    page = client.get("/").content.decode()
    nav = page[page.index('<nav aria-label="Main"'):page.index("</nav>")]

    assert [link for link in sorted(ALL_LINKS) if f'href="{link}"' in nav] == sorted(EXPECTED[kind])
    for link in EXPECTED[kind]:
        assert client.get(link).status_code == 200, link


def test_pages_name_our_own_favicon():
    page = Client().get("/").content.decode()
    assert '<link rel="icon" href="/static/site/favicon.svg" type="image/svg+xml">' in page
