"""The PostgreSQL fast path of a usage post and the raw queries the hot path runs.

A usage post is the one write that runs thousands of times a second (``python manage.py
bench_usage``), so what it runs is written as plain SQL: the order and line it needs in one
query (``usage_target``), the conditional increment with RETURNING (``increment_order_spent``),
and on PostgreSQL the whole accepted post as one statement (``accept_usage_in_one_statement``).
The careful path and the rules it decides are in ``usage.py``; the thresholds in ``thresholds.py``.
"""

from __future__ import annotations

from contextlib import nullcontext
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from common.money import round_amount, to_decimal
from marketplace.orders.models import THRESHOLDS, CallOffOrder, OrderLine, UsageRecord
from marketplace.orders.services.readings import UsageOutcome, UsageRejected

Status = CallOffOrder.Status

_TARGET_COLUMNS = (
    (OrderLine, ("id", "order_id", "cap", "unit_price")),
    (CallOffOrder, ("id", "buyer_id", "supplier_id", "status", "start_date", "end_date")),
)


def usage_target(*, order_id: int, line_id: int) -> tuple[CallOffOrder | None, OrderLine | None]:
    """The order and its line for a usage post, in one plain query.

    Building the same query with the ORM costs about 0.6 ms of CPU per post, a third of a post's
    whole cost in ``bench_usage``; the values still go through each field's database converters
    and come back as (partly deferred) model instances, so callers see what the ORM would give.
    """
    # In each model's field order: ``from_db`` takes partial values in that order.
    columns = [(model, field) for model, names in _TARGET_COLUMNS
               for field in model._meta.concrete_fields if field.attname in names]
    select = ", ".join(f"{'l' if model is OrderLine else 'o'}.{connection.ops.quote_name(field.column)}"
                       for model, field in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select} FROM {connection.ops.quote_name(OrderLine._meta.db_table)} l "
            f"JOIN {connection.ops.quote_name(CallOffOrder._meta.db_table)} o ON o.id = l.order_id "
            f"WHERE l.id = %s AND l.order_id = %s",
            [line_id, order_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None, None
    values = []
    for (model, field), value in zip(columns, row, strict=True):
        expression = field.get_col(model._meta.db_table)
        for converter in connection.ops.get_db_converters(expression) + field.get_db_converters(connection):
            value = converter(value, expression, connection)
        values.append(value)
    split = len(_TARGET_COLUMNS[0][1])
    line = OrderLine.from_db(connection.alias, [f.attname for _m, f in columns[:split]], values[:split])
    order = CallOffOrder.from_db(connection.alias, [f.attname for _m, f in columns[split:]], values[split:])
    OrderLine.order.field.set_cached_value(line, order)
    return order, line


def increment_order_spent(*, order_id: int, amount: Decimal) -> tuple[Decimal, Decimal] | None:
    """``UPDATE … SET spent = spent + amount WHERE active AND spent <= cap - amount RETURNING spent, cap``.

    The check and the increment are one statement, so no interleaving can overspend; the row
    lock it takes is held until commit. RETURNING saves a second round trip while that lock is
    held (PostgreSQL and SQLite ≥ 3.35 both support it). None when nothing was updated.
    """
    table = connection.ops.quote_name(CallOffOrder._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET spent = spent + %s WHERE id = %s AND status = %s AND spent <= cap - %s "
            f"RETURNING spent, cap",
            [amount, order_id, Status.ACTIVE.value, amount],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    # PostgreSQL returns Decimal; SQLite stores NUMERIC as REAL and returns float (exact to 2 places).
    return tuple(round_amount(Decimal(repr(value)) if isinstance(value, float) else to_decimal(value)) for value in row)


def savepoint_in_a_callers_transaction():
    """A savepoint when called inside a caller's transaction, so that a failed write (a used key)
    does not break it; nothing otherwise: one statement is atomic on its own, and a BEGIN/COMMIT
    around it would add two round trips."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def threshold_crossed_sql(*, spent: str, amount: str, cap: str) -> str:
    """SQL that is true when ``spent`` → ``spent + amount`` crosses one of THRESHOLDS (the rule of
    ``thresholds.thresholds_reached``, written without division: ``spent < cap·t/100 ≤ spent + amount``)."""
    return " OR ".join(
        f"({spent} * 100 < {cap} * {int(t)} AND ({spent} + {amount}) * 100 >= {cap} * {int(t)})" for t in THRESHOLDS
    )


NOT_NULL_VIOLATION = "23502"  # SQLSTATE


def accept_usage_in_one_statement(*, order: CallOffOrder, line: OrderLine, amount: Decimal,
                                  fields: dict) -> UsageOutcome | None:
    """PostgreSQL fast path for the common post: one statement, committed by the server on its own.

    The conditional UPDATE of the order (the same cap check as ``increment_order_spent``), the
    line's increment and the record's INSERT are data-modifying CTEs of one statement, so they
    commit or fail together, and the order's row lock is held only while the server runs that
    statement and flushes its commit: no client round trip (and no wait for the client's next
    step) happens while other posts queue on the row. A used key fails the INSERT and so the
    whole statement (IntegrityError, handled by the caller as before).

    A line with its own cap is checked by the line's UPDATE, which runs after the order's row is
    locked: every post to the order's lines queues on that lock, so the line's row it re-reads is
    the latest committed one. A line over its cap updates nothing, and the INSERT then fails on
    its NOT NULL ``line_id`` (undoing the order's increment with the rest of the statement). The
    order's UPDATE also skips a line already over its cap as the statement first sees it, so that
    common refusal is decided without that error.

    Returns None, having changed nothing, whenever the careful path must decide: the post would
    cross a notification threshold (50/80/90/100 %: crossings, notifications and capping live
    in ``marketplace.orders.services.usage.accept_usage``), or the order or the line changed under us.
    """
    orders = connection.ops.quote_name(CallOffOrder._meta.db_table)
    lines = connection.ops.quote_name(OrderLine._meta.db_table)
    records = connection.ops.quote_name(UsageRecord._meta.db_table)
    crossing = threshold_crossed_sql(spent="spent", amount="%(amount)s", cap="cap")
    sql = f"""
        WITH o AS (
            UPDATE {orders} SET spent = spent + %(amount)s
            WHERE id = %(order)s AND status = %(active)s AND spent <= cap - %(amount)s AND NOT ({crossing})
              AND EXISTS (SELECT 1 FROM {lines} WHERE id = %(line)s AND (cap IS NULL OR spent <= cap - %(amount)s))
            RETURNING spent, cap
        ), l AS (
            UPDATE {lines} SET spent = spent + %(amount)s
            WHERE id = %(line)s AND order_id = %(order)s AND EXISTS (SELECT 1 FROM o)
              AND (cap IS NULL OR spent <= cap - %(amount)s)
            RETURNING id
        ), r AS (
            INSERT INTO {records} (order_id, line_id, quantity, occurred_at, idempotency_key, status, reason,
                                   amount, remaining_after, source, posted_by_id, created_at)
            SELECT %(order)s, l.id, %(quantity)s, %(occurred_at)s, %(key)s, %(accepted)s, '',
                   %(amount)s, o.cap - o.spent, %(source)s, %(posted_by)s, %(created_at)s
            FROM o LEFT JOIN l ON TRUE  -- no line row: line_id NULL fails NOT NULL, the whole statement undone
            RETURNING id, remaining_after
        )
        SELECT r.id, r.remaining_after, now_.status, now_.spent, now_.cap, line_.spent, line_.cap
        FROM (SELECT status, spent, cap FROM {orders} WHERE id = %(order)s) AS now_
        CROSS JOIN (SELECT spent, cap FROM {lines} WHERE id = %(line)s) AS line_
        LEFT JOIN r ON TRUE
    """
    created_at = timezone.now()
    params = {
        "amount": amount, "order": order.pk, "line": line.pk, "active": Status.ACTIVE.value,
        "quantity": fields["quantity"], "occurred_at": fields["occurred_at"], "key": fields["idempotency_key"],
        "accepted": UsageRecord.Status.ACCEPTED.value, "source": fields["source"],
        "posted_by": fields["posted_by"].pk if fields["posted_by"] is not None else None, "created_at": created_at,
    }
    # Outside a transaction the statement is its own transaction.
    try:
        with savepoint_in_a_callers_transaction(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            record_id, remaining, status_now, spent_now, cap_now, line_spent, line_cap = cursor.fetchone()
    except IntegrityError as error:
        if getattr(error.__cause__, "pgcode", None) == NOT_NULL_VIOLATION:
            return None  # the line reached its cap after the statement began: undone, the careful path decides
        raise  # a used key: the caller returns the first outcome
    if record_id is not None:
        record = UsageRecord(pk=record_id, status=UsageRecord.Status.ACCEPTED, reason="",
                             remaining_after=remaining, created_at=created_at, **fields)
        record._state.adding, record._state.db = False, connection.alias
        return UsageOutcome(record, replayed=False)
    # Nothing was written. Reject at once only when the order as the statement saw it refuses the
    # post whatever happens next; anything else (a threshold to cross, a change meanwhile) goes
    # the careful way.
    if status_now != Status.ACTIVE:
        raise UsageRejected(UsageRecord.Reason.ORDER_NOT_ACTIVE, remaining=cap_now - spent_now)
    if spent_now + amount > cap_now:
        raise UsageRejected(UsageRecord.Reason.CAP_EXCEEDED, remaining=cap_now - spent_now)
    # A line's spent only grows and its cap is fixed, so a line over its cap as the statement saw
    # it stays over.
    if line_cap is not None and line_spent + amount > line_cap:
        raise UsageRejected(UsageRecord.Reason.LINE_CAP_EXCEEDED, remaining=cap_now - spent_now)
    return None
