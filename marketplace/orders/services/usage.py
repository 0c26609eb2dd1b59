"""Posting usage against an order: accepted within the caps, or rejected with its reason; once per key.

Money rules:

* The cap check and the increment are one conditional UPDATE
  (``UPDATE order SET spent = spent + x WHERE status = 'active' AND spent <= cap - x``); the row
  count says whether it fitted. No read-add-save, so no interleaving can overspend. The
  database's CheckConstraint ``spent <= cap`` is the backstop.
* A usage record is stored once per (order, idempotency key): the unique constraint decides a
  race, the loser's transaction (and its increment) is rolled back and it returns the stored
  outcome.
* The amount is ``line_amount`` (quantity × agreed unit price, rounded once to cents).

On PostgreSQL the common post is one statement (``usage_sql.accept_usage_in_one_statement``);
whatever it cannot decide alone (a threshold to cross, a line cap reached meanwhile) goes the
careful way, ``accept_usage``, in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from common.errors import Conflict, NotFound, ValidationFailed
from common.money import MAX_AMOUNT, line_amount, round_amount
from common.parsing import MAX_ROW_ID
from marketplace.orders.models import CallOffOrder, OrderLine, UsageRecord
from marketplace.orders.services.access import require_supplier
from marketplace.orders.services.readings import (
    UsageOutcome,
    UsageReading,
    UsageRejected,
    future_usage_message,
    is_in_the_future,
)
from marketplace.orders.services.thresholds import record_thresholds
from marketplace.orders.services.usage_sql import (
    accept_usage_in_one_statement,
    increment_order_spent,
    savepoint_in_a_callers_transaction,
    usage_target,
)

Status = CallOffOrder.Status


def order_record_usage(
    *,
    actor: User | None,
    order_id: int,
    reading: UsageReading,
    source: str = "api",
    check_permission: bool = True,
) -> UsageOutcome:
    """Record one usage: accepted (cap and line cap atomically incremented) or rejected (stored
    with its reason, no total changed). The same key again returns the stored first outcome.

    ``reading`` comes from ``read_usage_reading`` (or is built from values by a trusted caller).
    Usage that has not happened yet, or whose amount no column could hold, raises
    ``ValidationFailed`` and stores nothing.
    """
    order, line = (
        usage_target(order_id=order_id, line_id=reading.line_id)
        if 0 < order_id <= MAX_ROW_ID and 0 < reading.line_id <= MAX_ROW_ID else (None, None)
    )
    if order is None:
        order = CallOffOrder.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Order not found."))
    if check_permission:
        require_supplier(actor=actor, order=order)
    amount = _amount_of(reading=reading, line=line)
    posted_by = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    common = {"order_id": order.pk, "line_id": line.pk, "quantity": reading.quantity,
              "occurred_at": reading.occurred_at, "idempotency_key": reading.idempotency_key, "amount": amount,
              "posted_by": posted_by, "source": source}
    # No "does the key exist?" read first: the unique constraint answers that inside the write,
    # which keeps the happy path short. A used key fails the insert, the transaction (with its
    # increment) rolls back, and the stored first outcome is returned.
    try:
        _check_order_open(order=order, occurred_at=reading.occurred_at)  # as read above; the writes re-check
        if connection.vendor == "postgresql":
            outcome = accept_usage_in_one_statement(order=order, line=line, amount=amount, fields=common)
            if outcome is not None:
                return outcome
        return accept_usage(order=order, line=line, amount=amount, fields=common)
    except UsageRejected as rejection:
        outcome = _store_rejection(order_id=order.pk, reason=rejection.reason, fields=common,
                                   remaining=rejection.remaining)
    except IntegrityError:
        existing = UsageRecord.objects.filter(order_id=order.pk, idempotency_key=reading.idempotency_key).first()
        if existing is None:
            raise
        outcome = UsageOutcome(existing, replayed=True)
    if outcome.replayed:
        _require_same_usage(outcome.record, fields=common)
    return outcome


def _amount_of(*, reading: UsageReading, line: OrderLine | None) -> Decimal:
    """The reading's amount at the line's agreed price, once the reading may be recorded at all."""
    if is_in_the_future(reading.occurred_at):
        raise ValidationFailed(_("The usage is not valid."), fields={"occurred_at": [future_usage_message()]})
    if line is None:
        raise ValidationFailed(_("The line is not part of this order."),
                               fields={"line": [_("Choose one of the order's lines.")]})
    amount = line_amount(quantity=reading.quantity, unit_price=line.unit_price)
    if amount > MAX_AMOUNT:  # no cap is that large; the record could not even be stored
        raise ValidationFailed(_("The usage is not valid."), fields={"quantity": [
            _("At this line's price the amount would be more than %(max)s: check the quantity.")
            % {"max": formats.number_format(MAX_AMOUNT, 2, use_l10n=True, force_grouping=True)}]})
    return amount


def _require_same_usage(record: UsageRecord, *, fields: dict) -> None:
    """A replay must be the same usage: same line, quantity and time of use. A key reused for
    different usage is a client error (two meter readings sharing an id), refused with 409 so it
    is not mistaken for an accepted post; the first record stands."""
    if (record.line_id, record.quantity, record.occurred_at) == (
            fields["line_id"], fields["quantity"], fields["occurred_at"]):
        return
    raise Conflict(
        _("This idempotency key was already used for different usage (line, quantity or time of use); "
          "the first record stands. Use a new key for new usage."),
        code="idempotency_key_reused",
        extra={"record": {"status": record.status, "line": record.line_id, "quantity": str(record.quantity),
                          "occurred_at": record.occurred_at.isoformat(), "amount": str(record.amount)}},
    )


def _check_order_open(*, order: CallOffOrder, occurred_at: datetime) -> None:
    if order.status != Status.ACTIVE:
        raise UsageRejected(UsageRecord.Reason.ORDER_NOT_ACTIVE)
    if not (order.start_date <= timezone.localtime(occurred_at).date() <= order.end_date):
        raise UsageRejected(UsageRecord.Reason.OUTSIDE_ORDER_DATES)


@transaction.atomic
def accept_usage(*, order: CallOffOrder, line: OrderLine, amount: Decimal, fields: dict) -> UsageOutcome:
    result = increment_order_spent(order_id=order.pk, amount=amount)
    if result is None:
        current = CallOffOrder.objects.filter(pk=order.pk).values_list("status", flat=True).first()
        raise UsageRejected(
            UsageRecord.Reason.ORDER_NOT_ACTIVE if current != Status.ACTIVE else UsageRecord.Reason.CAP_EXCEEDED
        )
    spent_after, cap = result
    if line.cap is not None:
        line_updated = OrderLine.objects.filter(pk=line.pk, spent__lte=F("cap") - amount).update(
            spent=F("spent") + amount
        )
        if line_updated != 1:
            raise UsageRejected(UsageRecord.Reason.LINE_CAP_EXCEEDED)  # rolls back the order increment too
    else:
        OrderLine.objects.filter(pk=line.pk).update(spent=F("spent") + amount)
    record = UsageRecord.objects.create(
        status=UsageRecord.Status.ACCEPTED, reason="", remaining_after=round_amount(cap - spent_after), **fields
    )
    record_thresholds(order_id=order.pk, spent_before=spent_after - amount, spent_after=spent_after, cap=cap)
    return UsageOutcome(record, replayed=False)


def _store_rejection(*, order_id: int, reason: str, fields: dict, remaining: Decimal | None = None) -> UsageOutcome:
    if remaining is None:
        spent, cap = CallOffOrder.objects.filter(pk=order_id).values_list("spent", "cap").get()
        remaining = cap - spent
    try:
        # One INSERT is atomic on its own.
        with savepoint_in_a_callers_transaction():
            record = UsageRecord.objects.create(
                status=UsageRecord.Status.REJECTED, reason=reason, remaining_after=remaining, **fields
            )
    except IntegrityError:
        existing = UsageRecord.objects.filter(order_id=order_id, idempotency_key=fields["idempotency_key"]).first()
        if existing is None:
            raise
        return UsageOutcome(existing, replayed=True)
    return UsageOutcome(record, replayed=False)
