from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from marketplace.orders.models import CallOffOrder, UsageRecord
from tests.clock import months_from_this_month
from tests.marketplace.factories_orders import OrderFactory, order_parties, record_usage

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_order_page_shows_chart_burn_rate_lines_and_rejected_usage():
    order = OrderFactory(cap=Decimal("10.00"))
    parties = order_parties(order)
    line = order.lines.get().pk
    for key, quantity, when in [("a", "10", f"{months_from_this_month(-9)}T10:00:00Z"), ("b", "15", f"{months_from_this_month(-9, day=5)}T10:00:00Z"),
                                ("c", "100", f"{months_from_this_month(-9, day=6)}T10:00:00Z")]:
        record_usage(actor=parties["supplier"], order_id=order.pk, line_id=line, quantity=quantity,
                     occurred_at=when, idempotency_key=key)

    response = _client(parties["requester"]).get(f"/orders/{order.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1>") == 1
    assert "<svg" in html and "<polyline" in html
    assert "Burn rate" in html
    assert "The order&#x27;s cap would be exceeded" in html or "The order's cap would be exceeded" in html
    assert "2 accepted, 1 rejected." in html


def test_order_list_page_is_scoped():
    order = OrderFactory()
    other = OrderFactory()
    parties = order_parties(order)
    order_parties(other)

    html = _client(parties["supplier"]).get("/orders/").content.decode()

    assert order.reference in html
    assert other.reference not in html


def test_another_buyer_gets_404_on_the_page():
    order = OrderFactory()
    order_parties(order)
    outsider = order_parties(OrderFactory())["approver"]

    assert _client(outsider).get(f"/orders/{order.pk}/").status_code == 404
    assert _client(outsider).post(f"/orders/{order.pk}/terminate/", {"terminate-reason": "x"}).status_code == 404
    order.refresh_from_db()
    assert order.status == "active"


def test_approver_activates_from_the_page_but_the_drafter_sees_no_button():
    order = OrderFactory(status=CallOffOrder.Status.DRAFT)
    parties = order_parties(order)

    drafter_page = _client(parties["requester"]).get(f"/orders/{order.pk}/").content.decode()
    approver_page = _client(parties["approver"]).get(f"/orders/{order.pk}/").content.decode()
    response = _client(parties["approver"]).post(f"/orders/{order.pk}/activate/")

    assert "Approve and activate" not in drafter_page
    assert "Approve and activate" in approver_page
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "active"


def test_amend_cap_form_shows_errors_and_changes_nothing():
    order = OrderFactory(cap=Decimal("10.00"))
    parties = order_parties(order)

    response = _client(parties["approver"]).post(f"/orders/{order.pk}/amend-cap/", {"cap": "20.00", "justification": ""})

    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    order.refresh_from_db()
    assert order.cap == Decimal("10.00")


def test_a_requester_without_the_approver_role_is_refused_403_and_nothing_changes():
    order = OrderFactory(cap=Decimal("10.00"))
    parties = order_parties(order)

    response = _client(parties["requester"]).post(f"/orders/{order.pk}/amend-cap/",
                                                  {"cap": "20.00", "justification": "More work"})

    assert response.status_code == 403
    order.refresh_from_db()
    assert order.cap == Decimal("10.00")
    assert not order.cap_amendments.exists()


def test_the_cap_form_tells_the_framework_limit_and_refuses_beyond_it():
    order = OrderFactory(cap=Decimal("1000.00"))
    order.framework.max_cap_increase_percent = 25
    order.framework.save()
    client = _client(order_parties(order)["approver"])

    page = client.get(f"/orders/{order.pk}/").content.decode()
    refused = client.post(f"/orders/{order.pk}/amend-cap/", {"cap": "1300.00", "justification": "More users"})

    assert "at most 25% above the original cap of" in page and "1,250.00" in page
    assert refused.status_code == 400
    assert "Enter 1,250.00 or less." in refused.content.decode()
    order.refresh_from_db()
    assert order.cap == Decimal("1000.00")


def test_supplier_uploads_usage_from_the_page():
    order = OrderFactory(cap=Decimal("10.00"))
    supplier = order_parties(order)["supplier"]
    content = f"line,quantity,occurred_at,idempotency_key\n{order.lines.get().pk},10,{months_from_this_month(-9)}T10:00:00Z,r1\n"

    response = _client(supplier).post(f"/orders/{order.pk}/usage/upload/",
                                      {"file": SimpleUploadedFile("u.csv", content.encode(), content_type="text/csv")})

    assert response.status_code == 200
    assert "Upload result" in response.content.decode()
    assert UsageRecord.objects.get().amount == Decimal("2.00")


def test_an_upload_says_at_the_top_how_many_rows_went_each_way_and_names_outcomes_in_words():
    order = OrderFactory(cap=Decimal("10.00"))
    supplier = order_parties(order)["supplier"]
    line = order.lines.get().pk
    content = ("line,quantity,occurred_at,idempotency_key\n"
               f"{line},10,{months_from_this_month(-9)}T10:00:00Z,r1\n{line},0,{months_from_this_month(-9)}T10:00:00Z,r2\n{line},999,{months_from_this_month(-9)}T10:00:00Z,r3\n")

    response = _client(supplier).post(f"/orders/{order.pk}/usage/upload/",
                                      {"file": SimpleUploadedFile("u.csv", content.encode(), content_type="text/csv")})

    page = response.content.decode()
    assert "File read: 1 row accepted, 1 rejected, 1 not valid." in page
    assert page.index("File read:") < page.index("Upload result")
    assert ">accepted<" not in page and "Not valid" in page
    assert "Column “quantity”: Enter a number greater than 0." in page


def test_a_cap_below_what_is_spent_says_why_on_the_page():
    order = OrderFactory(cap=Decimal("2000.00"))
    parties = order_parties(order)
    record_usage(actor=parties["supplier"], order_id=order.pk, line_id=order.lines.get().pk, quantity="6000",
                 occurred_at=f"{months_from_this_month(-9)}T10:00:00Z", idempotency_key="k")  # 1,200.00

    response = _client(parties["approver"]).post(f"/orders/{order.pk}/amend-cap/",
                                                 {"cap": "100.00", "justification": "Budget cut"})

    assert response.status_code == 400
    assert "1,200.00 is already spent: enter that or more." in response.content.decode()
    order.refresh_from_db()
    assert order.cap == Decimal("2000.00")


def test_usage_outcomes_agree_in_spanish():
    order = OrderFactory(cap=Decimal("1.00"))
    parties = order_parties(order)
    for key, quantity in (("a", "1"), ("b", "100")):  # 0.20 accepted, 20.00 refused
        record_usage(actor=parties["supplier"], order_id=order.pk, line_id=order.lines.get().pk,
                     quantity=quantity, occurred_at=f"{months_from_this_month(-9)}T10:00:00Z", idempotency_key=key)

    page = _client(parties["approver"]).get(f"/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Aceptado</span>" in page and "Rechazado</span>" in page
    assert "Rechazada</span>" not in page


def test_the_chart_writes_the_cap_and_dates_as_the_reader_s_language_does():
    from django.utils import translation

    from marketplace.orders.charts import spend_against_cap_svg

    arguments = {"series": [(months_from_this_month(-9, day=5), Decimal("1200.50"))], "cap": Decimal("20000.00"),
                 "start": months_from_this_month(-9), "end": months_from_this_month(-4, day=-1), "title": "t", "description": "d"}
    with translation.override("en"):
        english = spend_against_cap_svg(**arguments)
    with translation.override("es"):
        spanish = spend_against_cap_svg(**arguments)

    assert ">20,000.00</text>" in english and ">20.000,00</text>" in spanish
    assert f">{months_from_this_month(-9):%m/%d/%Y}</text>" in english and f">{months_from_this_month(-9):%d/%m/%Y}</text>" in spanish


def test_an_order_that_has_not_started_shows_no_backwards_burn_rate_period():
    from datetime import date, timedelta

    from marketplace.orders.selectors import burn_rate

    order = OrderFactory(cap=Decimal("10.00"))
    before_start = burn_rate(order=order, today=order.start_date - timedelta(days=1))
    assert (before_start["window_start"], before_start["per_day"], before_start["projected_cap_date"]) == (
        None, Decimal("0.00"), None)
    CallOffOrder.objects.filter(pk=order.pk).update(start_date=date(2099, 1, 1), end_date=date(2099, 6, 30))

    page = _client(order_parties(order)["requester"]).get(f"/orders/{order.pk}/").content.decode()

    assert "None yet: the order starts on" in page
    assert "(average" not in page


def test_a_draft_order_says_who_must_approve_it_to_everyone_but_the_approver_who_can():
    order = OrderFactory(cap=Decimal("10.00"), status=CallOffOrder.Status.DRAFT)
    parties = order_parties(order)
    waiting = "Waiting for approval: this order takes effect when an approver at"

    pages = {role: _client(parties[role]).get(f"/orders/{order.pk}/").content.decode()
             for role in ("requester", "supplier", "approver")}

    assert waiting in pages["requester"] and waiting in pages["supplier"]
    assert f"other than {order.created_by.get_username()}" in pages["supplier"]
    assert waiting not in pages["approver"] and "Approve and activate" in pages["approver"]
