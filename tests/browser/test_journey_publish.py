"""Journey: a supplier describes an offer, the authority publishes it, anyone finds it by keyword."""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import Listing
from tests.browser.conftest import sign_in
from tests.browser.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supplier_publishes_a_listing_the_authority_approves_and_a_visitor_finds_it(page, open_page, live_server):
    build_world()
    before = Listing.objects.count()

    # The supplier describes the offer, one labelled field at a time.
    sign_in(page, live_server, "supplier")
    page.goto(f"{live_server.url}/supplier/listings/")
    page.get_by_role("link", name="Create a listing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Which lot is this offer for?")
    page.get_by_label("FA-2026-CLOUD · ").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Describe your offer")
    page.get_by_label("Title", exact=True).fill("Glacier tape vault")
    page.get_by_label("Summary").fill("Offline tape copies of your servers, rotated weekly.")
    page.get_by_label("Description").fill("Copies leave the building every Friday.")
    page.get_by_label("Features").fill("Weekly rotation\nTwo sites")
    page.get_by_label("— Back up servers").check()
    page.get_by_label("Pricing unit").select_option(label="vCPU-hour (ceiling 0.25)")
    page.get_by_label("Price per unit").fill("0.123400")
    page.get_by_label("Data location").select_option(label="Peru")
    page.get_by_role("group", name="Support around the clock").get_by_label("Yes").check()
    page.get_by_label("Exit and data-portability statement").fill("Tapes are handed over on exit.")
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Glacier tape vault")
    expect(page.get_by_role("status").first).to_contain_text("Draft saved")
    listing = Listing.objects.get(title="Glacier tape vault")
    assert (listing.status, str(listing.unit_price), listing.attributes) == (
        "draft", "0.123400", {"data_location": "peru", "support_24x7": True})
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("status").first).to_contain_text("Submitted for review by the procurement authority.")
    row = page.get_by_role("row").filter(has_text="Glacier tape vault")
    expect(row).to_contain_text("Submitted for review")

    # The authority opens the review queue and publishes it.
    authority = open_page()
    sign_in(authority, live_server, "authority")
    authority.goto(f"{live_server.url}/review/")
    expect(authority.get_by_role("heading", level=1)).to_have_text("Listings to review")
    offer = authority.get_by_role("region", name="Glacier tape vault")
    expect(offer).to_contain_text("Andes Cloud S.A.C.")
    offer.get_by_role("button", name="Publish Glacier tape vault").click()
    expect(authority.get_by_role("status").first).to_contain_text("Published: buyers can now find “Glacier tape vault”.")
    expect(authority.get_by_text("Nothing to review.")).to_be_visible()

    # An anonymous visitor searches from the home page and finds it, the keyword highlighted.
    visitor = open_page()
    visitor.goto(f"{live_server.url}/")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("What do you need?")
    visitor.get_by_label("Describe your need in a few words").fill("tape")
    visitor.get_by_role("search").get_by_role("button", name="Search").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Results for “tape”")
    expect(visitor.locator("#results-heading")).to_have_text("1 result")
    result = visitor.locator("article.result")
    expect(result.locator("mark")).to_have_text("tape")
    expect(result).to_contain_text("Andes Cloud S.A.C. · 0.1234\u00a0PEN per vCPU-hour")
    result.get_by_role("link", name="Glacier tape vault").click()

    expect(visitor.get_by_role("heading", level=1)).to_have_text("Glacier tape vault")
    details = visitor.locator("dl.summary-list")
    expect(details).to_contain_text(re.compile(r"Price\s*0\.1234\u00a0PEN per vCPU-hour"))
    expect(details).to_contain_text(re.compile(r"Ceiling price\s*0\.25\u00a0PEN per vCPU-hour"))
    expect(details).to_contain_text(re.compile(r"Version\s*Version 1, published \S.* 2\d{3}"))
    expect(visitor.get_by_role("row", name="Data location Peru")).to_be_visible()
    listing.refresh_from_db()
    assert (listing.status, listing.current_version.number, Listing.objects.count()) == ("published", 1, before + 1)
