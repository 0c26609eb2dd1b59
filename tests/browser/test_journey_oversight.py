"""Journey: an auditor opens a selection's trail from the log and checks it."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audit.models import AuditEvent
from marketplace.orders import services as orders
from tests.browser.conftest import sign_in
from tests.browser.world import award_and_draft_order, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_auditor_opens_a_trail_from_the_selection_log_and_all_checks_pass(page, live_server):
    world = build_world()
    _requirement, _search, award, order = award_and_draft_order(world, cap="10.00", title="Nightly backups")
    orders.order_activate(actor=world.users["olga"], order_id=order.pk)
    orders.order_record_usage(actor=world.users["supplier"], order_id=order.pk, reading=orders.read_usage_reading(
        line=order.lines.get().pk, quantity="30", occurred_at=timezone.now(), idempotency_key="meter-1"))
    events_before = AuditEvent.objects.count()

    sign_in(page, live_server, "auditor")
    page.goto(f"{live_server.url}/oversight/selections/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Selection log")
    expect(page.get_by_text("1 selection", exact=False).first).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Ministry of Health")
    expect(row).to_contain_text("Andes Cloud S.A.C.")
    expect(row).to_contain_text("FA-2026-CLOUD")
    row.get_by_role("link").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Trail: Nightly backups")
    expect(page.locator("dl.summary-list").first).to_contain_text(re.compile(r"Decided.*by ana"))
    expect(page.get_by_role("table", name="Frozen results and the comparison")).to_contain_text("chosen")
    expect(page.get_by_text("The cheaper option has no support at night.")).to_be_visible()
    expect(page.get_by_text(f"{order.reference} (Active)")).to_be_visible()

    page.get_by_role("button", name="Check this trail").click()
    expect(page.get_by_role("status")).to_have_text("Passed: every check below holds.")
    checks = page.get_by_role("table", name="Checks").locator("tbody tr")
    assert checks.count() >= 3
    expect(checks.locator(".tag")).to_have_text(["Pass"] * checks.count())
    expect(page.locator(".error-summary")).to_have_count(0)
    assert page.url == f"{live_server.url}/oversight/selections/{award.pk}/check/"
    # Checking reads only: no audit event is written.
    assert AuditEvent.objects.count() == events_before
