"""Caps, idempotency keys and threshold notifications under real concurrency (PostgreSQL only)."""

import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.db.models import Sum

from marketplace.notifications.models import Notification
from marketplace.orders.models import CallOffOrder, ThresholdCrossing, UsageRecord
from marketplace.orders.services import usage
from tests.clock import months_from_this_month
from tests.conftest import requires_postgres
from tests.marketplace.factories_orders import OrderFactory, order_parties, record_usage

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16


def _run_in_threads(count, work):
    """Start ``count`` threads together; each runs ``work(index)`` and closes its own connection."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def runner(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_sixteen_threads_never_overspend_the_cap():
    order = OrderFactory(cap=Decimal("100.00"))
    supplier = order_parties(order)["supplier"]
    line_id = order.lines.get().pk

    def work(index):
        outcomes = []
        for post in range(12):
            # 16 x 12 posts of 1.00 (5 x 0.20) = 192.00 offered against a cap of 100.00.
            outcomes.append(record_usage(
                actor=supplier, order_id=order.pk, line_id=line_id, quantity="5",
                occurred_at=f"{months_from_this_month(-9, day=10)}T12:00:00Z", idempotency_key=f"t{index}-p{post}").record.status)
        return outcomes

    results = _run_in_threads(THREADS, work)

    order.refresh_from_db()
    accepted = UsageRecord.objects.filter(order=order, status="accepted")
    accepted_sum = accepted.aggregate(total=Sum("amount"))["total"]
    assert sum(statuses.count("accepted") for statuses in results) == 100
    assert accepted.count() == 100
    assert accepted_sum == order.spent == Decimal("100.00")
    assert order.lines.get().spent == Decimal("100.00")
    assert order.status == CallOffOrder.Status.CAPPED
    assert UsageRecord.objects.filter(order=order).count() == THREADS * 12
    assert set(UsageRecord.objects.filter(order=order, status="rejected").values_list("reason", flat=True)) <= {
        "cap_exceeded", "order_not_active"}


def test_uneven_amounts_from_sixteen_threads_stay_within_the_cap():
    order = OrderFactory(cap=Decimal("50.00"), unit_price=Decimal("0.130000"))
    supplier = order_parties(order)["supplier"]
    line_id = order.lines.get().pk
    quantities = ["7", "13.5", "21", "3.25", "40", "11"]

    def work(index):
        for post in range(10):
            record_usage(actor=supplier, order_id=order.pk, line_id=line_id,
                         quantity=quantities[(index + post) % len(quantities)],
                         occurred_at=f"{months_from_this_month(-9, day=10)}T12:00:00Z", idempotency_key=f"t{index}-p{post}")

    _run_in_threads(THREADS, work)

    order.refresh_from_db()
    accepted_sum = UsageRecord.objects.filter(order=order, status="accepted").aggregate(total=Sum("amount"))["total"]
    assert accepted_sum == order.spent
    assert order.spent <= order.cap
    assert order.lines.get().spent == order.spent


def test_line_cap_holds_under_concurrency():
    order = OrderFactory(cap=Decimal("100.00"), line_cap=Decimal("30.00"))
    supplier = order_parties(order)["supplier"]
    line_id = order.lines.get().pk

    def work(index):
        for post in range(5):
            record_usage(actor=supplier, order_id=order.pk, line_id=line_id, quantity="5",
                         occurred_at=f"{months_from_this_month(-9, day=10)}T12:00:00Z", idempotency_key=f"t{index}-p{post}")

    _run_in_threads(THREADS, work)

    order.refresh_from_db()
    line = order.lines.get()
    assert (line.spent, order.spent) == (Decimal("30.00"), Decimal("30.00"))
    assert UsageRecord.objects.filter(order=order, status="accepted").count() == 30
    assert UsageRecord.objects.filter(order=order, reason="line_cap_exceeded").count() == THREADS * 5 - 30


def test_racing_duplicate_keys_produce_one_record_and_one_increment():
    order = OrderFactory(cap=Decimal("100.00"))
    supplier = order_parties(order)["supplier"]
    line_id = order.lines.get().pk

    def work(index):
        outcome = record_usage(actor=supplier, order_id=order.pk, line_id=line_id, quantity="10",
                               occurred_at=f"{months_from_this_month(-9, day=10)}T12:00:00Z", idempotency_key="same-reading")
        return outcome.record.pk, outcome.record.status, outcome.replayed

    results = _run_in_threads(THREADS, work)

    order.refresh_from_db()
    record = UsageRecord.objects.get(order=order)
    assert {pk for pk, _status, _replayed in results} == {record.pk}
    assert {status for _pk, status, _replayed in results} == {"accepted"}
    assert sum(1 for _pk, _status, replayed in results if not replayed) == 1
    assert order.spent == Decimal("2.00")
    assert order.lines.get().spent == Decimal("2.00")


def test_each_threshold_notifies_exactly_once_under_concurrency():
    order = OrderFactory(cap=Decimal("40.00"))
    parties = order_parties(order)
    supplier = parties["supplier"]
    line_id = order.lines.get().pk
    mail.outbox = []

    def work(index):
        for post in range(5):
            # 80 posts of 0.50 (2.5 x 0.20) = 40.00: every threshold is crossed by some thread.
            record_usage(actor=supplier, order_id=order.pk, line_id=line_id, quantity="2.5",
                         occurred_at=f"{months_from_this_month(-9, day=10)}T12:00:00Z", idempotency_key=f"t{index}-p{post}")

    _run_in_threads(THREADS, work)

    order.refresh_from_db()
    assert order.spent == Decimal("40.00")
    assert list(ThresholdCrossing.objects.filter(order=order).order_by("threshold")
                .values_list("threshold", flat=True)) == [50, 80, 90, 100]
    recipients = {parties["requester"].pk, parties["approver"].pk, supplier.pk}
    for threshold in (50, 80, 90, 100):
        rows = list(Notification.objects.filter(dedupe_key=f"order:{order.pk}:threshold:{threshold}")
                    .values_list("recipient_id", flat=True))
        assert sorted(rows) == sorted(recipients)
    assert Notification.objects.count() == 12
    assert len(mail.outbox) == 12


def _post_while_the_order_row_is_held(order, supplier, change: dict, *, quantity: str, key: str,
                                      line_change: dict | None = None):
    """Hold the order's row lock in this thread, changed by ``change`` (and the line by
    ``line_change``); post from another thread, which waits on the lock; commit once it waits.
    The post then re-reads the changed rows."""
    import time

    from django.db import transaction

    outcome = {}

    def post():
        try:
            outcome["value"] = record_usage(actor=supplier, order_id=order.pk, line_id=order.lines.get().pk,
                                            quantity=quantity, occurred_at=f"{months_from_this_month(-9, day=10)}T12:00:00Z",
                                            idempotency_key=key)
        finally:
            connection.close()

    with transaction.atomic():
        CallOffOrder.objects.select_for_update().filter(pk=order.pk).update(**change)
        if line_change:
            order.lines.update(**line_change)
        poster = threading.Thread(target=post)
        poster.start()
        with connection.cursor() as cursor:
            for _ in range(500):
                cursor.execute("SELECT pg_stat_clear_snapshot()")  # else the view is frozen for the transaction
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.01)
            else:
                raise AssertionError("the post never waited for the order's row lock")
    poster.join(timeout=30)
    return outcome["value"]


def test_a_cap_lowered_while_a_post_waits_is_seen_and_its_threshold_recorded():
    order = OrderFactory(cap=Decimal("100.00"))
    supplier = order_parties(order)["supplier"]
    record_usage(actor=supplier, order_id=order.pk, line_id=order.lines.get().pk, quantity="225",
                 occurred_at=f"{months_from_this_month(-9, day=10)}T12:00:00Z", idempotency_key="first")  # 45.00

    # 45 + 2 = 47: no threshold of a cap of 100, but 51 % of the cap of 92 set meanwhile.
    outcome = _post_while_the_order_row_is_held(order, supplier, {"cap": Decimal("92.00")}, quantity="10", key="k")

    order.refresh_from_db()
    assert (outcome.accepted, outcome.record.remaining_after) == (True, Decimal("45.00"))
    assert order.spent == Decimal("47.00")
    crossing = ThresholdCrossing.objects.get(order=order)
    assert (crossing.threshold, crossing.cap_at_crossing, crossing.spent_at_crossing) == (
        50, Decimal("92.00"), Decimal("47.00"))


def test_an_order_terminated_while_a_post_waits_refuses_it_and_changes_nothing():
    order = OrderFactory(cap=Decimal("100.00"))
    supplier = order_parties(order)["supplier"]
    record_usage(actor=supplier, order_id=order.pk, line_id=order.lines.get().pk, quantity="100",
                 occurred_at=f"{months_from_this_month(-9, day=10)}T12:00:00Z", idempotency_key="first")  # 20.00

    outcome = _post_while_the_order_row_is_held(order, supplier, {"status": CallOffOrder.Status.TERMINATED},
                                                quantity="10", key="k")

    order.refresh_from_db()
    assert (outcome.record.status, outcome.record.reason, outcome.record.remaining_after) == (
        "rejected", "order_not_active", Decimal("80.00"))
    assert (order.spent, order.lines.get().spent) == (Decimal("20.00"), Decimal("20.00"))
    assert UsageRecord.objects.filter(order=order, status="accepted").count() == 1


def test_a_line_filled_while_a_post_waits_refuses_it_and_changes_nothing(monkeypatch):
    """The post's statement begins while another holds the order and has just spent the line up to
    its cap: it sees room on the line, waits, then finds the line full. The whole statement is
    undone and the careful path refuses the post."""
    order = OrderFactory(cap=Decimal("100.00"), line_cap=Decimal("30.00"))
    supplier = order_parties(order)["supplier"]
    careful = []
    original = usage.accept_usage
    monkeypatch.setattr(usage, "accept_usage", lambda **kwargs: careful.append(1) or original(**kwargs))

    outcome = _post_while_the_order_row_is_held(
        order, supplier, {"spent": Decimal("29.00")}, line_change={"spent": Decimal("29.00")}, quantity="10", key="k")

    order.refresh_from_db()
    assert careful == [1]
    assert (outcome.record.status, outcome.record.reason, outcome.record.remaining_after) == (
        "rejected", "line_cap_exceeded", Decimal("71.00"))
    assert (order.spent, order.lines.get().spent) == (Decimal("29.00"), Decimal("29.00"))
    assert not UsageRecord.objects.filter(order=order, status="accepted").exists()
