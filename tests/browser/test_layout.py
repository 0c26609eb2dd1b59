import pytest

from agreements.models import Membership, Organization
from tests.browser.conftest import sign_in
from tests.factories import member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_shows_who_and_skip_link_moves_focus_to_main(page, live_server):
    member(Organization.Kind.BUYER, Membership.Role.REQUESTER, username="ana")

    sign_in(page, live_server, "ana")

    assert page.locator("h1").count() == 1
    assert "ana" in page.locator("header").inner_text()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("element => element === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"


def test_wrong_password_shows_error_summary_linked_to_field(page, live_server):
    member(Organization.Kind.BUYER, username="bea")

    sign_in(page, live_server, "bea", password="wrong-password")

    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "There is a problem" in summary.inner_text()
    assert page.url.endswith("/accounts/login/")
