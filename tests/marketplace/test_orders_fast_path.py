"""The PostgreSQL one-statement path for usage must follow the same rules as the careful path."""

from datetime import UTC, datetime, time
from decimal import Decimal
from itertools import product

import pytest
from django.db import connection

from marketplace.orders.models import CallOffOrder, UsageRecord
from marketplace.orders.services import (
    UsageReading,
    order_record_usage,
    usage,
)
from marketplace.orders.services.thresholds import thresholds_reached
from marketplace.orders.services.usage_sql import threshold_crossed_sql
from tests.clock import months_from_this_month
from tests.conftest import requires_postgres
from tests.marketplace.factories_orders import OrderFactory, order_parties, record_usage

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db]


def test_the_sql_threshold_rule_agrees_with_the_python_rule():
    caps = [Decimal("100.00"), Decimal("0.03"), Decimal("333.33"), Decimal("1234567.89")]
    fractions = [Decimal(f) for f in ("0", "0.4999", "0.5", "0.79", "0.8", "0.8999", "0.9", "0.99", "1")]
    sql = "SELECT " + threshold_crossed_sql(spent="%(s)s::numeric", amount="%(a)s::numeric", cap="%(c)s::numeric")
    checked = 0
    with connection.cursor() as cursor:
        for cap, a, b in product(caps, fractions, fractions):
            if b < a:
                continue
            spent = (cap * a).quantize(Decimal("0.01"))
            after = (cap * b).quantize(Decimal("0.01"))
            amount = after - spent
            python = bool(thresholds_reached(spent_before=spent, spent_after=after, cap=cap, include_reached=False))
            cursor.execute(sql, {"s": spent, "a": amount, "c": cap})
            assert cursor.fetchone()[0] is python, (spent, amount, cap)
            checked += 1
    assert checked > 100


def test_a_capped_line_is_checked_in_the_one_statement(monkeypatch):
    order = OrderFactory(cap=Decimal("100.00"), line_cap=Decimal("5.00"))
    supplier = order_parties(order)["supplier"]
    line = order.lines.get()
    careful = []
    monkeypatch.setattr(usage, "accept_usage", lambda **kwargs: careful.append(kwargs))

    accepted = record_usage(actor=supplier, order_id=order.pk, line_id=line.pk, quantity="20",
                            occurred_at=f"{months_from_this_month(-9, day=10)}T12:00:00Z", idempotency_key="a")
    refused = record_usage(actor=supplier, order_id=order.pk, line_id=line.pk, quantity="10",
                           occurred_at=f"{months_from_this_month(-9, day=10)}T12:00:00Z", idempotency_key="b")

    order.refresh_from_db()
    line.refresh_from_db()
    assert careful == []  # both decided by the statement: 4.00 fits the line's 5.00, 2.00 more does not
    assert (accepted.accepted, refused.record.reason) == (True, "line_cap_exceeded")
    assert refused.record.remaining_after == Decimal("96.00")  # what the order has left, as on the careful path
    assert (order.spent, line.spent) == (Decimal("4.00"), Decimal("4.00"))
    assert UsageRecord.objects.filter(order=order, status="accepted").count() == 1


def test_the_returned_record_is_the_stored_row():
    order = OrderFactory(cap=Decimal("100.00"))
    supplier = order_parties(order)["supplier"]

    outcome = record_usage(actor=supplier, order_id=order.pk, line_id=order.lines.get().pk, quantity="7",
                           occurred_at=f"{months_from_this_month(-9, day=10)}T12:00:00Z", idempotency_key="meter-7")

    stored = UsageRecord.objects.get(pk=outcome.record.pk)
    fields = ("order_id", "line_id", "quantity", "occurred_at", "idempotency_key", "status", "reason", "amount",
              "remaining_after", "source", "posted_by_id", "created_at")
    assert {f: getattr(outcome.record, f) for f in fields} == {f: getattr(stored, f) for f in fields}
    assert CallOffOrder.objects.get(pk=order.pk).spent == stored.amount


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: no savepoint around the statement
def test_an_accepted_post_is_two_queries_the_target_and_the_one_statement(django_assert_num_queries):
    order = OrderFactory(cap=Decimal("100.00"))
    supplier = order_parties(order)["supplier"]
    line_id = order.lines.get().pk
    record_usage(actor=supplier, order_id=order.pk, line_id=line_id, quantity="1",
                 occurred_at=f"{months_from_this_month(-9, day=10)}T12:00:00Z", idempotency_key="warm")  # the supplier's organization, cached
    reading = UsageReading(line_id=line_id, quantity=Decimal("1.000000"),
                           occurred_at=datetime.combine(months_from_this_month(-9, day=10), time(13, 0), tzinfo=UTC),
                           idempotency_key="hot")

    with django_assert_num_queries(2):
        outcome = order_record_usage(actor=supplier, order_id=order.pk, reading=reading)

    assert (outcome.accepted, outcome.replayed, outcome.record.amount) == (True, False, Decimal("0.20"))
    assert CallOffOrder.objects.get(pk=order.pk).spent == Decimal("0.40")
