"""The notifications page: each user sees, opens and marks read only their own notifications."""

from decimal import Decimal

import pytest
from django.test import Client

from marketplace.notifications.models import Notification
from tests.clock import months_from_this_month
from tests.marketplace.factories_orders import OrderFactory, order_parties, record_usage

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def crossed():
    """An order whose spend crossed 50 %: its buyer's and supplier's users are notified once."""
    order = OrderFactory(cap=Decimal("10.00"))
    parties = order_parties(order)
    record_usage(actor=parties["supplier"], order_id=order.pk, line_id=order.lines.get().pk, quantity="30",
                 occurred_at=f"{months_from_this_month(-9, day=10)}T12:00:00Z", idempotency_key="k")  # 6.00 of 10.00
    return order, parties


def test_the_page_lists_only_my_notifications_and_the_header_counts_the_unread(crossed):
    order, parties = crossed
    stranger_order = OrderFactory(cap=Decimal("10.00"))
    stranger = order_parties(stranger_order)["supplier"]

    mine = _client(parties["approver"]).get("/notifications/").content.decode()
    theirs = _client(stranger).get("/notifications/").content.decode()

    assert f"Order {order.reference} has used 50% of its cap" in mine
    assert 'class="nav-count" aria-label="1 unread">1</span>' in mine
    assert order.reference not in theirs
    assert "You have no notifications yet." in theirs and "nav-count" not in theirs


def test_opening_one_marks_only_it_read_and_follows_its_link(crossed):
    order, parties = crossed
    mine = Notification.objects.get(recipient=parties["approver"])

    response = _client(parties["approver"]).post("/notifications/read/", {"id": mine.pk, "next": mine.link})

    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert Notification.objects.filter(read_at__isnull=True).count() == Notification.objects.count() - 1


def test_nobody_marks_someone_elses_notification_and_no_outside_redirect(crossed):
    _order, parties = crossed
    other = Notification.objects.get(recipient=parties["supplier"])

    response = _client(parties["approver"]).post("/notifications/read/",
                                                 {"id": other.pk, "next": "https://evil.example/"})

    assert response.status_code == 302 and response["Location"] == "/notifications/"
    other.refresh_from_db()
    assert other.read_at is None


def test_an_id_that_names_no_notification_marks_nothing(crossed):
    _order, parties = crossed

    response = _client(parties["requester"]).post("/notifications/read/", {"id": "first"})

    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert Notification.objects.filter(read_at__isnull=True).count() == 3


def test_mark_all_read_changes_only_mine(crossed):
    _order, parties = crossed

    response = _client(parties["requester"]).post("/notifications/read/", follow=True)

    assert "1 notification marked as read." in response.content.decode()
    assert Notification.objects.get(recipient=parties["requester"]).read_at is not None
    assert Notification.objects.filter(read_at__isnull=True).exclude(recipient=parties["requester"]).count() == 2


def test_signed_out_visitors_are_sent_to_sign_in():
    response = Client().get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Client().post("/notifications/read/").status_code == 302
