"""Journey: a call-off order is activated by a second person, then usage posted by the supplier reaches the cap."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.orders.models import CallOffOrder, UsageRecord
from tests.browser.conftest import sign_in
from tests.browser.world import PASSWORD, award_and_draft_order, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def summary_of(page):
    return page.locator("dl.summary-list").first


def test_two_person_activation_then_usage_up_to_the_cap(page, open_page, live_server):
    world = build_world()
    _requirement, _search, _award, order = award_and_draft_order(world, cap="10.00")  # drafted by ana
    line = order.lines.get()

    # Ana drafted the order: she is an approver too, but may not activate it herself.
    sign_in(page, live_server, "ana")
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Call-off order {order.reference}")
    expect(summary_of(page)).to_contain_text(re.compile(r"Status\s*Draft"))
    expect(page.get_by_role("button", name="Approve and activate")).to_have_count(0)
    expect(page.get_by_text("You drafted this order, so another approver of your organization must activate it."
                            )).to_be_visible()
    # Even a hand-made (or stale) activation request is refused with a clear message.
    token = page.locator("main input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(f"{live_server.url}/orders/{order.pk}/activate/",
                                 form={"csrfmiddlewaretoken": token}, max_redirects=0)
    assert (response.status, response.headers["location"]) == (302, f"/orders/{order.pk}/")
    page.reload()
    expect(page.get_by_role("status").first).to_contain_text("The person who drafted the order cannot also approve it.")
    expect(summary_of(page)).to_contain_text(re.compile(r"Status\s*Draft"))
    assert CallOffOrder.objects.get(pk=order.pk).status == "draft"

    # Olga, the other approver, activates it.
    approver = open_page()
    sign_in(approver, live_server, "olga")
    approver.goto(f"{live_server.url}/orders/{order.pk}/")
    approver.get_by_role("button", name="Approve and activate").click()
    expect(approver.get_by_role("status").first).to_contain_text("The order is active. The supplier can now post usage.")
    expect(summary_of(approver)).to_contain_text(re.compile(r"Status\s*Active"))
    expect(summary_of(approver)).to_contain_text(re.compile(r"Approved by\s*olga"))

    # The supplier posts usage through the API with its token: 6.00, then 5.00 (over the cap: refused,
    # kept in the log), then 4.00, which reaches the cap of 10.00 exactly.
    api = open_page().request
    answer = api.post(f"{live_server.url}/api/v1/auth/token/", data={"username": "supplier", "password": PASSWORD})
    assert answer.status == 200
    headers = {"Authorization": f"Token {answer.json()['token']}"}
    now = timezone.now().isoformat()
    outcomes = []
    for key, quantity in (("meter-1", "60"), ("meter-2", "50"), ("meter-3", "40")):
        posted = api.post(f"{live_server.url}/api/v1/orders/{order.pk}/usage/", headers=headers, data={
            "line": line.pk, "quantity": quantity, "occurred_at": now, "idempotency_key": key})
        body = posted.json()
        outcomes.append((posted.status, body.get("status") or body["error"]["code"], body.get("remaining")))
    assert outcomes == [(201, "accepted", "4.00"), (409, "cap_exceeded", None), (201, "accepted", "0.00")]

    # The order page shows it capped, spend equal to the cap, the chart and the refused post.
    approver.reload()
    expect(summary_of(approver)).to_contain_text(re.compile(r"Status\s*Capped"))
    expect(summary_of(approver)).to_contain_text(re.compile(r"Cap\s*10\.00\u00a0PEN"))
    expect(summary_of(approver)).to_contain_text(re.compile(r"Spent\s*10\.00\u00a0PEN \(100%\)"))
    expect(summary_of(approver)).to_contain_text(re.compile(r"Remaining\s*0\.00"))
    chart = approver.locator("figure svg")
    expect(chart).to_have_count(1)
    expect(chart).to_have_attribute("role", "img")
    assert chart.evaluate("svg => svg.getBoundingClientRect().width") > 100
    expect(approver.get_by_text("2 accepted, 1 rejected.")).to_be_visible()
    rejected = approver.get_by_role("row").filter(has_text="meter-2")
    expect(rejected).to_contain_text("Rejected")
    expect(rejected).to_contain_text("The order's cap would be exceeded")
    order.refresh_from_db()
    assert (order.status, str(order.spent), order.activated_by.username) == ("capped", "10.00", "olga")
    assert sorted(UsageRecord.objects.values_list("idempotency_key", "status")) == [
        ("meter-1", "accepted"), ("meter-2", "rejected"), ("meter-3", "accepted")]
