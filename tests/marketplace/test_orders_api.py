from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from agreements.models import Membership, Organization
from audit.models import AuditEvent
from marketplace.orders.models import CallOffOrder, CapAmendment, Statement, UsageRecord
from tests.clock import months_from_this_month
from tests.conftest import client_for
from tests.factories import member
from tests.marketplace.factories_orders import OrderFactory, order_parties

pytestmark = pytest.mark.django_db


USAGE_AT = f"{months_from_this_month(-9, day=10)}T12:00:00Z"  # inside the term of every test order


def _usage(client, order, key, quantity="10", occurred_at=USAGE_AT):
    return client.post(f"/api/v1/orders/{order.pk}/usage/", {
        "line": order.lines.get().pk, "quantity": quantity, "occurred_at": occurred_at, "idempotency_key": key,
    }, format="json")


# ------------------------------------------------------------------ reading and scoping


def test_order_detail_shows_cap_spent_remaining_status_and_lines():
    order = OrderFactory(cap=Decimal("100.00"))
    parties = order_parties(order)
    _usage(client_for(parties["supplier"]), order, "a", quantity="12.5")

    response = client_for(parties["requester"]).get(f"/api/v1/orders/{order.pk}/")

    assert response.status_code == 200
    body = response.json()
    line = order.lines.get()
    assert (body["cap"], body["spent"], body["remaining"], body["status"]) == ("100.00", "2.50", "97.50", "active")
    assert body["lines"] == [{
        "id": line.pk, "listing_version": line.listing_version_id, "description": line.description,
        "unit": "vCPU-hour", "unit_price": "0.200000", "cap": None, "spent": "2.50", "remaining": None,
    }]


def test_order_list_is_scoped_to_the_buyer_and_the_supplier():
    order = OrderFactory()
    other = OrderFactory()
    parties = order_parties(order)
    other_parties = order_parties(other)

    def ids(user):
        return [row["id"] for row in client_for(user).get("/api/v1/orders/").json()["results"]]

    assert ids(parties["requester"]) == [order.pk]
    assert ids(parties["supplier"]) == [order.pk]
    assert ids(other_parties["supplier"]) == [other.pk]
    assert sorted(ids(parties["auditor"])) == sorted([order.pk, other.pk])
    assert ids(member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR)) == []


def test_another_buyer_or_supplier_gets_404_and_cannot_post():
    order = OrderFactory(cap=Decimal("100.00"))
    order_parties(order)
    outsiders = order_parties(OrderFactory())

    for user in (outsiders["requester"], outsiders["approver"], outsiders["supplier"]):
        client = client_for(user)
        assert client.get(f"/api/v1/orders/{order.pk}/").status_code == 404
        assert _usage(client, order, f"x-{user.pk}").status_code == 404
        assert client.post(f"/api/v1/orders/{order.pk}/amend-cap/", {"cap": "500.00", "justification": "x"},
                           format="json").status_code == 404
        assert client.post(f"/api/v1/orders/{order.pk}/terminate/", {"reason": "x"},
                           format="json").status_code == 404

    order.refresh_from_db()
    assert (order.cap, order.spent, order.status) == (Decimal("100.00"), Decimal("0.00"), "active")
    assert UsageRecord.objects.count() == 0


def test_oversight_reads_but_writes_nothing():
    order = OrderFactory(cap=Decimal("100.00"), status=CallOffOrder.Status.DRAFT)
    auditor = order_parties(order)["auditor"]
    client = client_for(auditor)

    assert client.get(f"/api/v1/orders/{order.pk}/").status_code == 200
    assert client.post(f"/api/v1/orders/{order.pk}/activate/").status_code == 403
    assert _usage(client, order, "k").status_code == 403
    assert client.post(f"/api/v1/orders/{order.pk}/terminate/", {"reason": "x"}, format="json").status_code == 403

    order.refresh_from_db()
    assert order.status == "draft"
    assert UsageRecord.objects.count() == 0


def test_unauthenticated_gets_401(api_client):
    order = OrderFactory()

    assert api_client.get(f"/api/v1/orders/{order.pk}/").status_code == 401


# ------------------------------------------------------------------ lifecycle


def test_two_person_rule_the_drafter_cannot_activate():
    order = OrderFactory(status=CallOffOrder.Status.DRAFT)
    parties = order_parties(order)
    Membership.objects.create(user=parties["requester"], organization=order.buyer, role=Membership.Role.APPROVER)

    response = client_for(parties["requester"]).post(f"/api/v1/orders/{order.pk}/activate/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "two_person_rule"
    order.refresh_from_db()
    assert order.status == "draft"
    assert not AuditEvent.objects.filter(action="order.activated").exists()


def test_a_requester_cannot_activate():
    order = OrderFactory(status=CallOffOrder.Status.DRAFT)
    requester = member(Organization.Kind.BUYER, Membership.Role.REQUESTER, organization=order.buyer)
    order_parties(order)

    response = client_for(requester).post(f"/api/v1/orders/{order.pk}/activate/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "approver_required"
    order.refresh_from_db()
    assert order.status == "draft"


def test_another_approver_activates_and_it_is_audited():
    order = OrderFactory(status=CallOffOrder.Status.DRAFT)
    parties = order_parties(order)

    response = client_for(parties["approver"]).post(f"/api/v1/orders/{order.pk}/activate/")

    assert response.status_code == 200
    assert response.json()["status"] == "active"
    order.refresh_from_db()
    assert (order.status, order.activated_by) == ("active", parties["approver"])
    event = AuditEvent.objects.get(action="order.activated")
    assert (event.target_id, event.actor) == (str(order.pk), parties["approver"])
    # Activating twice is a state conflict.
    assert client_for(parties["approver"]).post(f"/api/v1/orders/{order.pk}/activate/").status_code == 409


def test_amend_cap_reopens_a_capped_order():
    order = OrderFactory(cap=Decimal("10.00"))
    parties = order_parties(order)
    _usage(client_for(parties["supplier"]), order, "a", quantity="50")  # 10.00: capped
    order.refresh_from_db()
    assert order.status == "capped"

    response = client_for(parties["approver"]).post(
        f"/api/v1/orders/{order.pk}/amend-cap/", {"cap": "25.00", "justification": "Usage grew with the census."},
        format="json")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cap"], response.json()["remaining"]) == (
        "active", "25.00", "15.00")
    amendment = CapAmendment.objects.get()
    assert (amendment.previous_cap, amendment.new_cap, amendment.spent_at_amendment) == (
        Decimal("10.00"), Decimal("25.00"), Decimal("10.00"))
    assert AuditEvent.objects.filter(action="order.cap_amended").count() == 1
    assert _usage(client_for(parties["supplier"]), order, "b", quantity="5").status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"cap": "3.99", "justification": "Lower"}, "cap"),
     ({"cap": "50.00", "justification": "  "}, "justification"),
     ({"cap": "abc", "justification": "x"}, "cap")],
)
def test_amend_cap_refuses_below_spent_or_without_justification(payload, field):
    order = OrderFactory(cap=Decimal("10.00"))
    parties = order_parties(order)
    _usage(client_for(parties["supplier"]), order, "a", quantity="20")  # 4.00

    response = client_for(parties["approver"]).post(f"/api/v1/orders/{order.pk}/amend-cap/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    order.refresh_from_db()
    assert (order.cap, order.status) == (Decimal("10.00"), "active")
    assert CapAmendment.objects.count() == 0


def test_a_cap_rises_no_further_than_the_framework_allows_above_the_original():
    order = OrderFactory(cap=Decimal("1000.00"))
    order.framework.max_cap_increase_percent = 25
    order.framework.save()
    approver = client_for(order_parties(order)["approver"])

    def amend(cap):
        return approver.post(f"/api/v1/orders/{order.pk}/amend-cap/",
                             {"cap": cap, "justification": "More users than planned"}, format="json")

    too_much = amend("1250.01")
    assert too_much.status_code == 400
    error = too_much.json()["error"]
    assert (error["code"], error["highest_cap"]) == ("cap_increase_limit", "1250.00")
    assert "at most 25% above the original cap: 1,250.00" in error["message"]
    order.refresh_from_db()
    assert (order.cap, CapAmendment.objects.count()) == (Decimal("1000.00"), 0)

    # Up to the limit in steps, then down again: the limit counts from the original cap, not the last one.
    assert [amend(cap).status_code for cap in ("1100.00", "1250.00", "900.00", "1250.00")] == [200] * 4
    assert amend("1300.00").status_code == 400
    order.refresh_from_db()
    assert (order.cap, order.original_cap, CapAmendment.objects.count()) == (Decimal("1250.00"), Decimal("1000.00"), 4)


def test_without_a_framework_limit_any_raise_is_allowed():
    order = OrderFactory(cap=Decimal("1000.00"))
    assert order.framework.max_cap_increase_percent is None
    response = client_for(order_parties(order)["approver"]).post(
        f"/api/v1/orders/{order.pk}/amend-cap/", {"cap": "99999.00", "justification": "Census year"}, format="json")
    assert response.status_code == 200


def test_amend_cap_can_lower_to_exactly_spent_which_caps_the_order():
    order = OrderFactory(cap=Decimal("10.00"))
    parties = order_parties(order)
    _usage(client_for(parties["supplier"]), order, "a", quantity="20")  # 4.00

    response = client_for(parties["approver"]).post(
        f"/api/v1/orders/{order.pk}/amend-cap/", {"cap": "4.00", "justification": "Budget cut"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "capped"


def test_terminate_needs_a_reason_and_refuses_usage_afterwards():
    order = OrderFactory(cap=Decimal("100.00"))
    parties = order_parties(order)
    approver = client_for(parties["approver"])

    assert approver.post(f"/api/v1/orders/{order.pk}/terminate/", {"reason": ""}, format="json").status_code == 400
    response = approver.post(f"/api/v1/orders/{order.pk}/terminate/", {"reason": "Service withdrawn"}, format="json")
    refused = _usage(client_for(parties["supplier"]), order, "late")

    assert response.status_code == 200
    assert response.json()["status"] == "terminated"
    assert response.json()["closed_reason"] == "Service withdrawn"
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "order_not_active"
    order.refresh_from_db()
    assert order.spent == Decimal("0.00")
    assert approver.post(f"/api/v1/orders/{order.pk}/complete/", {"reason": "x"}, format="json").status_code == 409


def test_complete_an_active_order():
    order = OrderFactory(cap=Decimal("100.00"))
    parties = order_parties(order)

    response = client_for(parties["approver"]).post(f"/api/v1/orders/{order.pk}/complete/",
                                                    {"reason": "Delivered"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert AuditEvent.objects.filter(action="order.completed").count() == 1


# ------------------------------------------------------------------ usage through the API


def test_post_usage_answers_201_then_409_cap_exceeded_with_the_remaining_amount():
    order = OrderFactory(cap=Decimal("10.00"))
    client = client_for(order_parties(order)["supplier"])

    accepted = _usage(client, order, "a", quantity="45")
    rejected = _usage(client, order, "b", quantity="10")

    assert accepted.status_code == 201
    assert {k: accepted.json()[k] for k in ("status", "amount", "remaining")} == {
        "status": "accepted", "amount": "9.00", "remaining": "1.00"}
    assert rejected.status_code == 409
    error = rejected.json()["error"]
    assert (error["code"], error["status"], error["amount"], error["remaining"]) == (
        "cap_exceeded", "rejected", "2.00", "1.00")


def test_post_usage_same_key_returns_the_same_status_and_body():
    order = OrderFactory(cap=Decimal("10.00"))
    client = client_for(order_parties(order)["supplier"])

    first = _usage(client, order, "a", quantity="45")
    second = _usage(client, order, "a", quantity="45")
    rejected_first = _usage(client, order, "b", quantity="10")
    rejected_second = _usage(client, order, "b", quantity="10")

    assert (second.status_code, second.json()) == (first.status_code, first.json())
    assert (rejected_second.status_code, rejected_second.json()) == (rejected_first.status_code, rejected_first.json())
    assert [answer.headers.get("Idempotent-Replayed") for answer in (first, second, rejected_first, rejected_second)] == [
        None, "true", None, "true"]
    assert UsageRecord.objects.count() == 2


def test_post_usage_with_a_used_key_for_different_usage_is_409_and_changes_nothing():
    order = OrderFactory(cap=Decimal("10.00"))
    client = client_for(order_parties(order)["supplier"])
    _usage(client, order, "meter-7", quantity="10")

    reused = _usage(client, order, "meter-7", quantity="11")

    assert reused.status_code == 409
    error = reused.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "already used for different usage" in error["message"]
    assert UsageRecord.objects.count() == 1
    order.refresh_from_db()
    assert order.spent == Decimal("2.00")


def test_post_usage_with_bad_input_is_400_and_stores_nothing():
    order = OrderFactory(cap=Decimal("10.00"))
    client = client_for(order_parties(order)["supplier"])

    missing = client.post(f"/api/v1/orders/{order.pk}/usage/", {"quantity": "1"}, format="json")
    wrong_line = client.post(f"/api/v1/orders/{order.pk}/usage/", {
        "line": 999999, "quantity": "1", "occurred_at": f"{months_from_this_month(-9, day=10)}T12:00:00Z", "idempotency_key": "k"}, format="json")

    assert missing.status_code == 400
    assert set(missing.json()["error"]["fields"]) == {"line", "occurred_at", "idempotency_key"}
    assert wrong_line.status_code == 400
    assert list(wrong_line.json()["error"]["fields"]) == ["line"]
    assert UsageRecord.objects.count() == 0


# ------------------------------------------------------------------ CSV upload


def test_csv_upload_gives_each_row_its_outcome_and_is_idempotent_on_reupload():
    order = OrderFactory(cap=Decimal("10.00"))
    client = client_for(order_parties(order)["supplier"])
    line = order.lines.get().pk
    content = (
        "line,quantity,occurred_at,idempotency_key\n"
        f"{line},20,{months_from_this_month(-9)}T10:00:00Z,r1\n"      # 4.00 accepted
        f"{line},-3,{months_from_this_month(-9)}T11:00:00Z,r2\n"      # invalid quantity
        f"{line},10,{months_from_this_month(-21)}T11:00:00Z,r3\n"      # outside the order dates
        f"{line},40,{months_from_this_month(-9, day=2)}T10:00:00Z,r4\n"      # 8.00 > 6.00 left: cap exceeded
        f"{line},30,{months_from_this_month(-9, day=2)}T11:00:00Z,r5\n"      # 6.00 accepted: capped
    ).encode()

    first = client.post(f"/api/v1/orders/{order.pk}/usage/upload/",
                        {"file": SimpleUploadedFile("usage.csv", content, content_type="text/csv")})
    second = client.post(f"/api/v1/orders/{order.pk}/usage/upload/",
                         {"file": SimpleUploadedFile("usage.csv", content, content_type="text/csv")})

    assert first.status_code == 200
    rows = first.json()["rows"]
    assert [(r["row"], r["status"], r["code"], r["amount"]) for r in rows] == [
        (2, "accepted", "", "4.00"), (3, "invalid", "validation_error", None),
        (4, "rejected", "outside_order_dates", "2.00"), (5, "rejected", "cap_exceeded", "8.00"),
        (6, "accepted", "", "6.00"),
    ]
    assert (first.json()["accepted"], first.json()["rejected"], first.json()["invalid"]) == (2, 2, 1)
    second_rows = second.json()["rows"]
    assert [(r["status"], r["amount"], r["replayed"]) for r in second_rows] == [
        ("accepted", "4.00", True), ("invalid", None, False), ("rejected", "2.00", True),
        ("rejected", "8.00", True), ("accepted", "6.00", True)]
    order.refresh_from_db()
    assert (order.spent, order.status) == (Decimal("10.00"), "capped")
    assert UsageRecord.objects.count() == 4


def test_csv_upload_without_the_columns_is_400():
    order = OrderFactory(cap=Decimal("10.00"))
    client = client_for(order_parties(order)["supplier"])

    response = client.post(f"/api/v1/orders/{order.pk}/usage/upload/",
                           {"file": SimpleUploadedFile("u.csv", b"foo,bar\n1,2\n", content_type="text/csv")})

    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]
    assert UsageRecord.objects.count() == 0


@override_settings(MARKETPLACE_UPLOAD_MAX_ROWS=2)
def test_csv_upload_over_the_row_limit_is_refused_whole_and_records_nothing():
    order = OrderFactory(cap=Decimal("100.00"))
    client = client_for(order_parties(order)["supplier"])
    line = order.lines.get().pk
    content = "line,quantity,occurred_at,idempotency_key\n" + "".join(
        f"{line},1,{months_from_this_month(-9)}T10:00:00Z,k{n}\n" for n in range(3)
    )

    response = client.post(f"/api/v1/orders/{order.pk}/usage/upload/",
                           {"file": SimpleUploadedFile("u.csv", content.encode(), content_type="text/csv")})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "csv_too_many_rows"
    assert UsageRecord.objects.count() == 0
    order.refresh_from_db()
    assert order.spent == Decimal("0.00")


def test_csv_upload_by_the_buyer_is_403():
    order = OrderFactory(cap=Decimal("10.00"))
    parties = order_parties(order)
    content = f"line,quantity,occurred_at,idempotency_key\n{order.lines.get().pk},1,{months_from_this_month(-9)}T10:00:00Z,r1\n"

    response = client_for(parties["approver"]).post(
        f"/api/v1/orders/{order.pk}/usage/upload/",
        {"file": SimpleUploadedFile("u.csv", content.encode(), content_type="text/csv")})

    assert response.status_code == 403
    assert UsageRecord.objects.count() == 0


# ------------------------------------------------------------------ statements


def test_statement_per_month_with_lines_totals_and_csv():
    order = OrderFactory(cap=Decimal("100.00"))
    parties = order_parties(order)
    supplier = client_for(parties["supplier"])
    _usage(supplier, order, "a", quantity="10", occurred_at=f"{months_from_this_month(-9)}T00:00:00Z")   # 2.00
    _usage(supplier, order, "b", quantity="2.5", occurred_at=f"{months_from_this_month(-9, day=-1)}T23:59:59Z")  # 0.50
    _usage(supplier, order, "c", quantity="100", occurred_at=f"{months_from_this_month(-8)}T00:00:00Z")  # April
    _usage(supplier, order, "d", quantity="1000", occurred_at=f"{months_from_this_month(-9, day=15)}T00:00:00Z")  # rejected: 200.00
    buyer = client_for(parties["requester"])

    created = buyer.post(f"/api/v1/orders/{order.pk}/statements/", {"month": f"{months_from_this_month(-9):%Y-%m}"}, format="json")
    again = buyer.post(f"/api/v1/orders/{order.pk}/statements/", {"month": f"{months_from_this_month(-9):%Y-%m}"}, format="json")
    listing = buyer.get(f"/api/v1/orders/{order.pk}/statements/")
    csv_response = buyer.get(f"/api/v1/orders/{order.pk}/statements/{months_from_this_month(-9):%Y-%m}.csv")

    assert created.status_code == 201
    body = created.json()
    line = order.lines.get()
    assert (body["month"], body["total"], body["records"]) == (f"{months_from_this_month(-9):%Y-%m}", "2.50", 2)
    assert body["lines"] == [{"line": line.pk, "description": line.description, "unit": "vCPU-hour",
                              "unit_price": "0.200000", "quantity": "12.500000", "amount": "2.50", "records": 2}]
    assert again.json()["total"] == "2.50"
    assert Statement.objects.count() == 1
    assert [row["month"] for row in listing.json()] == [f"{months_from_this_month(-9):%Y-%m}"]
    assert csv_response.status_code == 200
    text = b"".join(csv_response).decode() if hasattr(csv_response, "streaming_content") else csv_response.content.decode()
    assert text.splitlines() == [
        "order,month,line,description,unit,unit_price,quantity,amount,records,currency",
        f"{order.reference},{months_from_this_month(-9):%Y-%m},{line.pk},{line.description},vCPU-hour,0.200000,12.500000,2.50,2,PEN",
        f"{order.reference},{months_from_this_month(-9):%Y-%m},,Total,,,,2.50,2,PEN",
    ]
    assert buyer.get(f"/api/v1/orders/{order.pk}/statements/{months_from_this_month(-7):%Y-%m}.csv").status_code == 404


def test_statements_are_only_for_begun_months_of_the_order_term():
    order = OrderFactory(cap=Decimal("100.00"), start_date=months_from_this_month(-11), end_date=months_from_this_month(-6, day=-1))
    buyer = client_for(order_parties(order)["requester"])
    today = timezone.localdate()
    next_month = (today.replace(day=28) + timedelta(days=4)).strftime("%Y-%m")

    answers = {month: buyer.post(f"/api/v1/orders/{order.pk}/statements/", {"month": month}, format="json")
               for month in (f"{months_from_this_month(-12):%Y-%m}", f"{months_from_this_month(-5):%Y-%m}", f"{months_from_this_month(37):%Y-%m}", next_month)}

    assert {month: answer.status_code for month, answer in answers.items()} == dict.fromkeys(answers, 400)
    assert f"{months_from_this_month(-11):%Y-%m} to {months_from_this_month(-6):%Y-%m}" in answers[f"{months_from_this_month(-12):%Y-%m}"].json()["error"]["fields"]["month"][0]
    assert f"{months_from_this_month(-11):%Y-%m} to {months_from_this_month(-6):%Y-%m}" in answers[f"{months_from_this_month(-5):%Y-%m}"].json()["error"]["fields"]["month"][0]
    assert "has not begun" in answers[f"{months_from_this_month(37):%Y-%m}"].json()["error"]["fields"]["month"][0]
    assert "has not begun" in answers[next_month].json()["error"]["fields"]["month"][0]
    assert buyer.post(f"/api/v1/orders/{order.pk}/statements/", {"month": f"{months_from_this_month(-6):%Y-%m}"}, format="json").status_code == 201
    assert list(Statement.objects.values_list("month", flat=True)) == [months_from_this_month(-6)]


def test_a_statement_produced_during_its_month_is_provisional_on_the_page_and_in_the_api():
    order = OrderFactory(cap=Decimal("100.00"), start_date=months_from_this_month(-23), end_date=date(2099, 12, 31))
    requester = order_parties(order)["requester"]
    buyer = client_for(requester)
    browser = Client()
    browser.force_login(requester)
    this_month = timezone.localdate().strftime("%Y-%m")

    current = buyer.post(f"/api/v1/orders/{order.pk}/statements/", {"month": this_month}, format="json").json()
    past = buyer.post(f"/api/v1/orders/{order.pk}/statements/", {"month": f"{months_from_this_month(-9):%Y-%m}"}, format="json").json()
    page = browser.get(f"/orders/{order.pk}/").content.decode()

    assert (current["month"], current["final"]) == (this_month, False)
    assert (past["month"], past["final"]) == (f"{months_from_this_month(-9):%Y-%m}", True)
    assert page.count("Provisional: produced") == 1
    current_csv = b"".join(buyer.get(f"/api/v1/orders/{order.pk}/statements/{this_month}.csv")).decode()
    past_csv = b"".join(buyer.get(f"/api/v1/orders/{order.pk}/statements/{months_from_this_month(-9):%Y-%m}.csv")).decode()
    assert current_csv.splitlines()[-1].endswith("Provisional: produced before the month ended,,,,,,")
    assert "Provisional" not in past_csv


def test_monthly_statement_task_is_safe_to_run_twice():
    from marketplace.orders.tasks import generate_monthly_statements

    order = OrderFactory(cap=Decimal("100.00"), start_date=months_from_this_month(-11))
    OrderFactory(status=CallOffOrder.Status.DRAFT)
    _usage(client_for(order_parties(order)["supplier"]), order, "a", quantity="10", occurred_at=f"{months_from_this_month(-10, day=10)}T00:00:00Z")

    assert generate_monthly_statements(month=f"{months_from_this_month(-10):%Y-%m}") == 1
    assert generate_monthly_statements(month=f"{months_from_this_month(-10):%Y-%m}") == 1

    statement = Statement.objects.get()
    assert (statement.order_id, statement.month, statement.total) == (order.pk, months_from_this_month(-10), Decimal("2.00"))


@pytest.mark.parametrize(("deployment", "subject"), [
    ("en", "has used 50% of its cap"),
    ("es", "usó el 50% de su tope"),
])
def test_notifications_are_written_in_the_deployment_language_whatever_the_request_language(deployment, subject):
    from django.test import override_settings

    from marketplace.notifications.models import Notification

    order = OrderFactory(cap=Decimal("10.00"))
    client = client_for(order_parties(order)["supplier"])
    other = "es" if deployment == "en" else "en"
    with override_settings(LANGUAGE_CODE=deployment):
        response = client.post(f"/api/v1/orders/{order.pk}/usage/", {
            "line": order.lines.get().pk, "quantity": "30", "occurred_at": f"{months_from_this_month(-9, day=10)}T12:00:00Z",
            "idempotency_key": "k"}, format="json", HTTP_ACCEPT_LANGUAGE=other)

    assert response.status_code == 201
    subjects = set(Notification.objects.values_list("subject", flat=True))
    assert len(subjects) == 1 and subject in subjects.pop()


def test_post_usage_on_a_line_id_no_database_could_hold_is_a_400_not_a_500():
    order = OrderFactory(cap=Decimal("10.00"))
    client = client_for(order_parties(order)["supplier"])

    response = client.post(f"/api/v1/orders/{order.pk}/usage/", {
        "line": "99999999999999999999", "quantity": "1", "occurred_at": f"{months_from_this_month(-9, day=10)}T12:00:00Z",
        "idempotency_key": "k"}, format="json")

    assert response.status_code == 400
    assert "line" in response.json()["error"]["fields"]
    assert UsageRecord.objects.count() == 0


def test_usage_whose_amount_no_column_could_hold_is_a_400_and_the_order_page_still_opens():
    order = OrderFactory(cap=Decimal("100.00"), unit_price=Decimal("99.000000"))
    parties = order_parties(order)

    response = client_for(parties["supplier"]).post(f"/api/v1/orders/{order.pk}/usage/", {
        "line": order.lines.get().pk, "quantity": "999999999999.999999", "occurred_at": f"{months_from_this_month(-9, day=10)}T12:00:00Z",
        "idempotency_key": "huge"}, format="json")

    assert response.status_code == 400
    assert "amount would be more than" in response.json()["error"]["fields"]["quantity"][0]
    assert UsageRecord.objects.count() == 0
    page = Client()
    page.force_login(parties["requester"])
    assert page.get(f"/orders/{order.pk}/").status_code == 200


def test_a_cap_no_column_could_hold_is_a_400_at_the_api():
    order = OrderFactory(cap=Decimal("100.00"))

    response = client_for(order_parties(order)["approver"]).post(
        f"/api/v1/orders/{order.pk}/amend-cap/", {"cap": "1e30", "justification": "Typo"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"cap": ["Enter a number smaller than 1,000,000,000,000."]}
    order.refresh_from_db()
    assert (order.cap, CapAmendment.objects.count()) == (Decimal("100.00"), 0)


def test_a_statement_csv_does_not_let_a_spreadsheet_run_a_line_description_as_a_formula():
    order = OrderFactory(cap=Decimal("100.00"))
    parties = order_parties(order)
    order.lines.update(description="@SUM(1+1)*cmd|' /C calc'!A0")
    _usage(client_for(parties["supplier"]), order, "a", quantity="10", occurred_at=f"{months_from_this_month(-9)}T00:00:00Z")
    buyer = client_for(parties["requester"])
    buyer.post(f"/api/v1/orders/{order.pk}/statements/", {"month": f"{months_from_this_month(-9):%Y-%m}"}, format="json")

    text = b"".join(buyer.get(f"/api/v1/orders/{order.pk}/statements/{months_from_this_month(-9):%Y-%m}.csv")).decode()

    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in text
    assert not any(line.split(",")[3].startswith("@") for line in text.splitlines()[1:])
