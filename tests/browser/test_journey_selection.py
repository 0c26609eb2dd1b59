"""Journey: a buyer searches by need with filters, saves the search, ends it, compares and awards."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.orders.models import CallOffOrder
from marketplace.selection.models import Award, Requirement, SavedSearch
from tests.browser.conftest import sign_in
from tests.browser.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def results_count(page):
    return page.locator("#results-heading")


def filter_by_data_location_in_peru(page):
    """From the home page's need "Store and back up data" to its results narrowed to data kept in Peru."""
    page.get_by_role("link", name="Store and back up data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find what meets your need")
    expect(results_count(page)).to_have_text("3 results")
    location = page.get_by_role("group", name="Data location")
    expect(location.get_by_text("Peru (2)")).to_be_visible()
    expect(location.get_by_text("United States (1)")).to_be_visible()
    location.get_by_label("Peru").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(results_count(page)).to_have_text("2 results")


def test_buyer_searches_by_need_saves_ends_compares_and_awards_with_justification(page, live_server):
    world = build_world()
    today = timezone.localdate()

    # "What do you need?" → a need → a filter from the sidebar, whose counts are shown.
    sign_in(page, live_server, "ana")
    expect(page.get_by_role("heading", level=1)).to_have_text("What do you need?")
    filter_by_data_location_in_peru(page)
    titles = page.locator("article.result h2")
    expect(titles).to_have_count(2)
    assert sorted(titles.all_inner_texts()) == ["Backup vault", "Encrypted server backup"]
    expect(page.get_by_role("group", name="Data location").get_by_label("Peru")).to_be_checked()

    # An active filter can be removed, and applied again.
    page.get_by_role("link", name="Remove filter: Data location: Peru").click()
    expect(results_count(page)).to_have_text("3 results")
    expect(page.get_by_role("link", name="Remove filter: Data location: Peru")).to_have_count(0)
    page.get_by_role("group", name="Data location").get_by_label("Peru").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(results_count(page)).to_have_text("2 results")

    # Limit it to one framework (a search can only end within one), then save it into a new requirement.
    page.get_by_role("group", name="Framework agreement").get_by_label(re.compile("FA-2026-CLOUD")).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(results_count(page)).to_have_text("2 results")
    expect(page.get_by_role("link", name=re.compile("Remove filter: Framework: FA-2026-CLOUD"))).to_be_visible()
    page.get_by_role("link", name="Save this search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save this search")
    page.get_by_label("Name of the search").fill("Backups kept in Peru")
    expect(page.get_by_label("A new requirement")).to_be_checked()
    page.get_by_role("button", name="Save search").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Backups kept in Peru")
    expect(page.get_by_role("status").first).to_contain_text("Search saved.")
    expect(page.get_by_text("The search finds 2 results now.")).to_be_visible()
    search = SavedSearch.objects.get()
    assert (search.status, search.query) == ("open", {
        "category": str(world.needs["store"].pk), "data_location": "peru", "framework": str(world.framework.pk),
        "sort": "relevance"})

    # Estimate consumption on the requirement, so that the comparison shows totals.
    page.get_by_role("link", name="Back to Backups kept in Peru").click()
    page.get_by_role("link", name="Add an estimate").click()
    page.get_by_label("Pricing unit").fill("vCPU-hour")
    page.get_by_label("Estimated quantity over the period").fill("100")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("Estimate saved.")
    expect(page.get_by_role("row", name="vCPU-hour 100")).to_be_visible()

    # End the search: refused until confirmed, then final.
    page.get_by_role("link", name="Backups kept in Peru").last.click()
    page.get_by_role("link", name="End this search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("End this search")
    page.get_by_role("button", name="End search").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Confirm that you understand the search cannot change afterwards.")
    assert SavedSearch.objects.get().status == "open"
    page.get_by_label("I understand that the search and its results cannot change after it ends.").check()
    page.get_by_role("button", name="End search").click()
    expect(page.get_by_role("status").first).to_contain_text("The search has ended. Its results are fixed.")
    expect(page.locator("main .tag").first).to_have_text("Ended (frozen)")
    snapshot = page.get_by_role("table", name="Results when the search ended")
    expect(snapshot.locator("tbody tr")).to_have_count(2)

    # Compare; choose the dearer option, so a reason for passing over the cheaper one is needed.
    page.get_by_role("link", name="Compare the results").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comparison of the ended search")
    comparison = page.get_by_role("table", name="Side-by-side comparison")
    expect(comparison.locator("tbody tr")).to_have_count(2)
    cheaper = comparison.locator("tbody tr").filter(has_text="Encrypted server backup")
    expect(cheaper).to_contain_text("Lowest compliant total")
    expect(cheaper).to_contain_text("8.00")
    dearer = comparison.locator("tbody tr").filter(has_text="Backup vault")
    expect(dearer).to_contain_text(re.compile(r"10\.00\u00a0PEN\s*2\.00\u00a0PEN above the lowest compliant"))
    expect(dearer).not_to_contain_text("Lowest compliant total")
    page.get_by_role("link", name="Choose this Backup vault").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Award")
    expect(page.get_by_label("1. Backup vault – Andes Cloud S.A.C.").or_(
        page.get_by_label("2. Backup vault – Andes Cloud S.A.C."))).to_be_checked()
    expect(page.locator("main .notification")).to_contain_text("(difference 2.00\u00a0PEN)")
    page.get_by_label("Why this option meets the need best").fill("Restores are tested every month.")
    page.get_by_label("Order cap").fill("500.00")
    page.get_by_label("Order starts").fill(today.isoformat())
    page.get_by_label("Order ends").fill((today + timedelta(days=180)).isoformat())
    page.get_by_role("button", name="Make the award").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert Award.objects.count() == 0
    page.get_by_label("Why a cheaper option was not chosen").fill("The cheaper option has no support at night.")
    page.get_by_role("button", name="Make the award").click()

    # The confirmation, the recorded decision and the draft order.
    order = CallOffOrder.objects.get()
    expect(page.get_by_role("status").first).to_contain_text(
        f"Awarded. A draft call-off order (number {order.pk}) was created.")
    expect(page.locator("main .tag").first).to_have_text("Awarded")
    outcome = page.locator("dl.summary-list").last
    expect(outcome).to_contain_text("Andes Cloud S.A.C.")
    expect(outcome).to_contain_text("The cheaper option has no support at night.")
    expect(outcome).to_contain_text(re.compile(r"Above the lowest compliant total by\s*2\.00"))
    page.goto(f"{live_server.url}/orders/")
    page.get_by_role("link", name=order.reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Call-off order {order.reference}")
    expect(page.locator("dl.summary-list").first).to_contain_text(re.compile(r"Status\s*Draft"))
    expect(page.locator("dl.summary-list").first).to_contain_text(re.compile(r"Cap\s*500\.00\u00a0PEN"))
    expect(page.get_by_role("row", name=re.compile(r"Backup vault vCPU-hour 0\.10\sPEN"))).to_be_visible()
    requirement = Requirement.objects.get()
    assert (requirement.status, order.status, str(order.cap), order.created_by.username) == (
        "awarded", "draft", "500.00", "ana")
    award = Award.objects.get()
    assert (str(award.price_difference), award.listing_version.title) == ("2.00", "Backup vault")
