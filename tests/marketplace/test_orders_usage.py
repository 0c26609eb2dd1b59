from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import AuditEvent
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.notifications.models import Notification
from marketplace.orders.models import CallOffOrder, ThresholdCrossing, UsageRecord
from marketplace.orders.services import UsageReading, order_record_usage, read_usage_reading
from tests.clock import months_from_this_month
from tests.marketplace.factories_orders import OrderFactory, order_parties, record_usage

pytestmark = pytest.mark.django_db

WHEN = f"{months_from_this_month(-9, day=10)}T12:00:00Z"


def _post(order, user, quantity, key, *, occurred_at=WHEN, line=None):
    return record_usage(actor=user, order_id=order.pk, line_id=line or order.lines.get().pk,
                        quantity=quantity, occurred_at=occurred_at, idempotency_key=key)


def test_accepted_usage_adds_quantity_times_price_rounded_once():
    order = OrderFactory(cap=Decimal("100.00"))
    supplier = order_parties(order)["supplier"]

    outcome = _post(order, supplier, "12.5", "meter-1")

    order.refresh_from_db()
    record = outcome.record
    assert (outcome.accepted, outcome.replayed) == (True, False)
    assert (record.amount, record.remaining_after, record.reason) == (Decimal("2.50"), Decimal("97.50"), "")
    assert order.spent == Decimal("2.50")
    assert order.lines.get().spent == Decimal("2.50")
    assert record.posted_by == supplier


@pytest.mark.parametrize(
    ("unit_price", "quantity", "amount"),
    [
        # Banker's rounding: halves go to the even cent.
        ("0.010000", "0.5", "0.00"),     # 0.005 -> 0.00
        ("0.010000", "1.5", "0.02"),     # 0.015 -> 0.02
        ("0.010000", "2.5", "0.02"),     # 0.025 -> 0.02
        ("0.010000", "3.5", "0.04"),     # 0.035 -> 0.04
        ("0.125000", "1", "0.12"),       # 0.125 -> 0.12
        ("0.135000", "1", "0.14"),       # 0.135 -> 0.14
        ("0.123457", "3.333333", "0.41"),  # 0.411522... rounded once, not price then product
    ],
)
def test_amount_is_rounded_half_even_once(unit_price, quantity, amount):
    order = OrderFactory(cap=Decimal("100.00"), unit_price=Decimal(unit_price))
    supplier = order_parties(order)["supplier"]

    outcome = _post(order, supplier, quantity, "k")

    order.refresh_from_db()
    assert outcome.record.amount == Decimal(amount)
    assert order.spent == Decimal(amount)


def test_same_key_returns_the_first_outcome_and_changes_nothing():
    order = OrderFactory(cap=Decimal("100.00"))
    supplier = order_parties(order)["supplier"]
    first = _post(order, supplier, "10", "meter-1")

    again = _post(order, supplier, "10.000", "meter-1")

    order.refresh_from_db()
    assert again.replayed is True
    assert again.record.pk == first.record.pk
    assert again.record.amount == Decimal("2.00")
    assert order.spent == Decimal("2.00")
    assert UsageRecord.objects.count() == 1


@pytest.mark.parametrize(("quantity", "occurred_at"), [("99", WHEN), ("10", f"{months_from_this_month(-9, day=10)}T12:00:01Z")])
def test_a_key_reused_for_different_usage_is_refused_and_changes_nothing(quantity, occurred_at):
    order = OrderFactory(cap=Decimal("100.00"))
    supplier = order_parties(order)["supplier"]
    _post(order, supplier, "10", "meter-1")

    with pytest.raises(Conflict) as error:
        _post(order, supplier, quantity, "meter-1", occurred_at=occurred_at)

    order.refresh_from_db()
    assert error.value.code == "idempotency_key_reused"
    assert error.value.extra["record"]["quantity"] == "10.000000"
    assert order.spent == Decimal("2.00")
    assert UsageRecord.objects.count() == 1


def test_a_rejected_key_reused_for_different_usage_is_refused_too():
    order = OrderFactory(cap=Decimal("1.00"))
    supplier = order_parties(order)["supplier"]
    assert _post(order, supplier, "100", "big").record.status == "rejected"

    with pytest.raises(Conflict):
        _post(order, supplier, "1", "big")  # would fit now, but the key names the refused reading

    assert UsageRecord.objects.get().status == "rejected"
    order.refresh_from_db()
    assert order.spent == Decimal("0.00")


def test_usage_over_the_cap_is_stored_as_rejected_and_changes_no_total():
    order = OrderFactory(cap=Decimal("10.00"))
    supplier = order_parties(order)["supplier"]
    _post(order, supplier, "45", "a")  # 9.00

    outcome = _post(order, supplier, "10", "b")  # 2.00 > 1.00 remaining

    order.refresh_from_db()
    record = outcome.record
    assert (record.status, record.reason, record.amount, record.remaining_after) == (
        "rejected", "cap_exceeded", Decimal("2.00"), Decimal("1.00"))
    assert order.spent == Decimal("9.00")
    assert order.lines.get().spent == Decimal("9.00")
    assert order.status == CallOffOrder.Status.ACTIVE
    # A rejected key stays rejected: a retry returns the stored rejection.
    assert _post(order, supplier, "10", "b").record.status == "rejected"


def test_usage_exactly_to_the_cap_caps_the_order():
    order = OrderFactory(cap=Decimal("10.00"))
    supplier = order_parties(order)["supplier"]

    _post(order, supplier, "50", "a")
    refused = _post(order, supplier, "0.05", "b")

    order.refresh_from_db()
    assert order.spent == Decimal("10.00")
    assert order.status == CallOffOrder.Status.CAPPED
    assert refused.record.reason == "order_not_active"
    assert AuditEvent.objects.filter(action="order.capped", target_id=str(order.pk)).count() == 1


def test_line_cap_is_enforced_and_rolls_back_the_order_increment():
    order = OrderFactory(cap=Decimal("100.00"), line_cap=Decimal("5.00"))
    supplier = order_parties(order)["supplier"]
    _post(order, supplier, "20", "a")  # 4.00

    outcome = _post(order, supplier, "10", "b")  # 2.00 > 1.00 left on the line

    order.refresh_from_db()
    assert outcome.record.reason == "line_cap_exceeded"
    assert order.spent == Decimal("4.00")
    assert order.lines.get().spent == Decimal("4.00")


@pytest.mark.parametrize("occurred_at", [f"{months_from_this_month(-24, day=-1)}T23:59:59Z", f"{months_from_this_month(-11)}T00:00:00Z"])
def test_usage_outside_the_order_dates_is_rejected(occurred_at):
    order = OrderFactory(cap=Decimal("100.00"), start_date=months_from_this_month(-23), end_date=months_from_this_month(-12, day=-1))
    supplier = order_parties(order)["supplier"]

    outcome = _post(order, supplier, "1", "k", occurred_at=occurred_at)

    order.refresh_from_db()
    assert outcome.record.reason == "outside_order_dates"
    assert order.spent == Decimal("0.00")


def test_usage_on_the_first_and_last_day_is_accepted():
    order = OrderFactory(cap=Decimal("100.00"), start_date=months_from_this_month(-23), end_date=months_from_this_month(-12, day=-1))
    supplier = order_parties(order)["supplier"]

    first = _post(order, supplier, "1", "a", occurred_at=f"{months_from_this_month(-23)}T00:00:00Z")
    last = _post(order, supplier, "1", "b", occurred_at=f"{months_from_this_month(-12, day=-1)}T23:59:59Z")

    assert (first.accepted, last.accepted) == (True, True)


@pytest.mark.parametrize("status", ["draft", "completed", "terminated"])
def test_usage_on_an_order_that_is_not_active_is_rejected(status):
    order = OrderFactory(cap=Decimal("100.00"), status=status)
    supplier = order_parties(order)["supplier"]

    outcome = _post(order, supplier, "1", "k")

    order.refresh_from_db()
    assert outcome.record.reason == "order_not_active"
    assert order.spent == Decimal("0.00")


@pytest.mark.parametrize(
    ("quantity", "occurred_at", "key", "field"),
    [("0", WHEN, "k", "quantity"), ("-1", WHEN, "k", "quantity"), ("abc", WHEN, "k", "quantity"),
     ("1.0000001", WHEN, "k", "quantity"), ("1", "yesterday", "k", "occurred_at"), ("1", WHEN, "", "idempotency_key"),
     ("1", "0001-01-01T00:00:00+05:00", "k", "occurred_at"), ("1", "9999-12-31T23:59:59-05:00", "k", "occurred_at"),
     ("1e400", WHEN, "k", "quantity")],
)
def test_invalid_usage_is_refused_and_stores_nothing(quantity, occurred_at, key, field):
    order = OrderFactory(cap=Decimal("100.00"))
    supplier = order_parties(order)["supplier"]

    with pytest.raises(ValidationFailed) as error:
        _post(order, supplier, quantity, key, occurred_at=occurred_at)

    order.refresh_from_db()
    assert field in error.value.fields
    assert UsageRecord.objects.count() == 0
    assert order.spent == Decimal("0.00")


def test_usage_a_little_ahead_of_our_clock_is_accepted_but_not_usage_that_has_not_happened():
    order = OrderFactory(cap=Decimal("100.00"), start_date=months_from_this_month(-23), end_date=date(2099, 12, 31))
    supplier = order_parties(order)["supplier"]
    now = timezone.now()

    skewed = _post(order, supplier, "1", "a", occurred_at=(now + timedelta(minutes=2)).isoformat())
    with pytest.raises(ValidationFailed) as error:
        _post(order, supplier, "1", "b", occurred_at=(now + timedelta(days=24)).isoformat())

    order.refresh_from_db()
    assert skewed.accepted
    assert "in the future" in error.value.fields["occurred_at"][0]
    assert list(UsageRecord.objects.values_list("idempotency_key", flat=True)) == ["a"]
    assert order.spent == Decimal("0.20")


def test_only_the_supplier_posts_usage():
    order = OrderFactory(cap=Decimal("100.00"))
    parties = order_parties(order)
    other_supplier_order = OrderFactory()
    stranger = order_parties(other_supplier_order)["supplier"]

    with pytest.raises(Forbidden):
        _post(order, parties["approver"], "1", "a")
    with pytest.raises(Forbidden):
        _post(order, parties["auditor"], "1", "b")
    with pytest.raises(NotFound):
        _post(order, stranger, "1", "c")

    order.refresh_from_db()
    assert UsageRecord.objects.count() == 0
    assert order.spent == Decimal("0.00")


def test_thresholds_notify_buyer_and_supplier_once_each(django_capture_on_commit_callbacks):
    order = OrderFactory(cap=Decimal("100.00"))
    parties = order_parties(order)

    with django_capture_on_commit_callbacks(execute=True):
        _post(order, parties["supplier"], "250", "a")   # 50.00 -> 50 %
        _post(order, parties["supplier"], "50", "b")    # 60.00
        _post(order, parties["supplier"], "175", "c")   # 95.00 -> 80 % and 90 %
        _post(order, parties["supplier"], "25", "d")    # 100.00 -> 100 %

    assert sorted(ThresholdCrossing.objects.filter(order=order).values_list("threshold", flat=True)) == [50, 80, 90, 100]
    buyer_users = {parties["requester"].pk, parties["approver"].pk}
    for threshold in (50, 80, 90, 100):
        notified = set(Notification.objects.filter(dedupe_key=f"order:{order.pk}:threshold:{threshold}")
                       .values_list("recipient_id", flat=True))
        assert notified == buyer_users | {parties["supplier"].pk}
    assert Notification.objects.count() == 12
    assert len(mail.outbox) == 12
    order.refresh_from_db()
    assert order.status == CallOffOrder.Status.CAPPED


@pytest.mark.parametrize(
    ("first", "second", "crossed"),
    [
        ("249.95", "0.05", [50]),       # 49.99 then exactly 50.00: the second post crosses 50 %
        ("249.90", "0.05", []),         # 49.98 then 49.99: nothing crossed
        ("100", "300", [50, 80]),       # 20.00 then exactly 80.00: 50 % and 80 % (reaching a level counts)
    ],
)
def test_a_post_landing_on_a_threshold_records_it(first, second, crossed):
    order = OrderFactory(cap=Decimal("100.00"))
    supplier = order_parties(order)["supplier"]
    _post(order, supplier, first, "a")
    before = set(ThresholdCrossing.objects.filter(order=order).values_list("threshold", flat=True))

    _post(order, supplier, second, "b")

    after = set(ThresholdCrossing.objects.filter(order=order).values_list("threshold", flat=True))
    assert sorted(after - before) == crossed


def test_a_replayed_key_inside_a_callers_transaction_leaves_it_usable():
    from django.db import transaction

    order = OrderFactory(cap=Decimal("100.00"))
    supplier = order_parties(order)["supplier"]
    with transaction.atomic():
        first = _post(order, supplier, "10", "k")
        again = _post(order, supplier, "10", "k")
        # The caller's transaction still works after the failed INSERT of the replay.
        assert UsageRecord.objects.filter(order=order).count() == 1
    order.refresh_from_db()
    assert (again.replayed, again.record.pk) == (True, first.record.pk)
    assert order.spent == Decimal("2.00")


def test_a_reading_reports_every_field_it_refuses_at_once():
    with pytest.raises(ValidationFailed) as error:
        read_usage_reading(line="two", quantity="abc", occurred_at="yesterday", idempotency_key="  ")

    assert error.value.message == "The usage is not valid."
    assert error.value.fields == {
        "line": ["Choose one from the list."], "quantity": ["Enter a number, such as 12.5."],
        "occurred_at": ["Enter a date and time in ISO 8601, e.g. 2026-03-01T10:00:00Z."],
        "idempotency_key": ["Give a unique key for this usage, e.g. your meter reading id."],
    }


def test_a_reading_is_typed_in_utc_with_the_quantity_at_its_stored_scale():
    reading = read_usage_reading(line=" 7 ", quantity="12.5", occurred_at="2026-03-10T07:00:00-05:00",
                                 idempotency_key=" meter-1 ")

    assert reading == UsageReading(line_id=7, quantity=Decimal("12.500000"),
                                   occurred_at=datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
                                   idempotency_key="meter-1")
    assert str(reading.quantity) == "12.500000"


def test_a_key_longer_than_the_column_is_refused():
    with pytest.raises(ValidationFailed) as error:
        read_usage_reading(line="1", quantity="1", occurred_at=WHEN, idempotency_key="k" * 201)

    assert list(error.value.fields) == ["idempotency_key"]


def test_the_service_refuses_a_typed_reading_that_has_not_happened_yet():
    order = OrderFactory(cap=Decimal("100.00"), start_date=date(2025, 1, 1), end_date=date(2099, 12, 31))
    supplier = order_parties(order)["supplier"]
    reading = UsageReading(line_id=order.lines.get().pk, quantity=Decimal("1"),
                           occurred_at=timezone.now() + timedelta(hours=1), idempotency_key="early")

    with pytest.raises(ValidationFailed) as error:
        order_record_usage(actor=supplier, order_id=order.pk, reading=reading)

    order.refresh_from_db()
    assert "in the future" in error.value.fields["occurred_at"][0]
    assert UsageRecord.objects.count() == 0
    assert order.spent == Decimal("0.00")
