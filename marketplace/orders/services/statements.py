"""Monthly statements of accepted usage: built per (order, month), rebuilt safely, and written as CSV."""

from __future__ import annotations

import calendar
import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from agreements.models import Organization
from agreements.selectors import organization_of
from common.errors import Forbidden, NotFound, ValidationFailed
from common.money import PRICE_PLACES, QUANTITY_PLACES, ZERO, round_amount, to_decimal
from common.parsing import read_month
from common.spreadsheet import safe_row
from marketplace.orders.models import CallOffOrder, Statement, UsageRecord
from marketplace.orders.selectors import orders_for_statements


def month_bounds(month: date) -> tuple[date, date]:
    """The first and the last day of ``month``'s calendar month."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _check_may_generate(*, actor: User | None, order: CallOffOrder, first: date, last: date) -> None:
    """The buyer or the supplier (oversight reads statements only), for a begun month of the term."""
    if actor is not None:
        organization = organization_of(actor)
        if organization is None or organization.pk not in {order.buyer_id, order.supplier_id}:
            if organization is not None and organization.kind == Organization.Kind.OVERSIGHT:
                raise Forbidden(_("Oversight users read statements but do not generate them."))
            raise NotFound(_("Order not found."))
    if first > timezone.localdate():
        message = _("%(month)s has not begun: there is no usage to state yet.") % {"month": first.strftime("%Y-%m")}
        raise ValidationFailed(message, fields={"month": [message]})
    if last < order.start_date or first > order.end_date:
        message = _("Choose a month of the order's term, %(start)s to %(end)s.") % {
            "start": order.start_date.strftime("%Y-%m"), "end": order.end_date.strftime("%Y-%m")}
        raise ValidationFailed(message, fields={"month": [message]})


def _statement_lines(*, order: CallOffOrder, first: date, last: date) -> tuple[list[dict], Decimal, int]:
    start = timezone.make_aware(datetime.combine(first, time.min))
    stop = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    rows = (
        UsageRecord.objects.filter(order=order, status=UsageRecord.Status.ACCEPTED,
                                   occurred_at__gte=start, occurred_at__lt=stop)
        .values("line_id", "line__description", "line__unit", "line__unit_price")
        .annotate(quantity=Sum("quantity"), amount=Sum("amount"), records=Count("pk"))
        .order_by("line_id")
    )
    lines = []
    total = ZERO
    records = 0
    for row in rows:
        amount = round_amount(to_decimal(row["amount"]))  # already exact cents; SQLite drops the scale
        lines.append({
            "line": row["line_id"], "description": row["line__description"], "unit": row["line__unit"],
            "unit_price": str(to_decimal(row["line__unit_price"]).quantize(PRICE_PLACES)),
            "quantity": str(to_decimal(row["quantity"]).quantize(QUANTITY_PLACES)),
            "amount": str(amount), "records": row["records"],
        })
        total += amount
        records += row["records"]
    return lines, total, records


@transaction.atomic
def statement_generate(*, order_id: int, month: date | str, actor: User | None = None) -> Statement:
    """(Re)build the statement of accepted usage in ``month`` by time of use. Safe to run twice:
    the (order, month) row is created once and then overwritten with the figures of the moment.
    Only months of the order's term that have begun; one produced before its month ends is
    provisional (``Statement.is_final``)."""
    first, last = month_bounds(read_month(month, field="month"))
    order = CallOffOrder.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Order not found."))
    _check_may_generate(actor=actor, order=order, first=first, last=last)
    lines, total, records = _statement_lines(order=order, first=first, last=last)
    statement, created = Statement.objects.get_or_create(
        order=order, month=first, defaults={"lines": lines, "total": total, "records": records}
    )
    if not created:
        Statement.objects.filter(pk=statement.pk).update(lines=lines, total=total, records=records,
                                                         generated_at=timezone.now())
        statement.refresh_from_db()
    return statement


def statements_generate_for_month(*, month: date | str) -> int:
    """Statements for every order running in ``month``; each in its own transaction."""
    first, last = month_bounds(read_month(month, field="month"))
    count = 0
    for order_id in orders_for_statements(month_start=first, month_end=last).values_list("pk", flat=True):
        statement_generate(order_id=order_id, month=first)
        count += 1
    return count


def statement_csv(*, statement: Statement) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # Column keys stay snake_case; a Spanish reader gets them translated (context "CSV column").
    writer.writerow([pgettext("CSV column", "order"), pgettext("CSV column", "month"), pgettext("CSV column", "line"),
                     pgettext("CSV column", "description"), pgettext("CSV column", "unit"),
                     pgettext("CSV column", "unit_price"), pgettext("CSV column", "quantity"),
                     pgettext("CSV column", "amount"), pgettext("CSV column", "records"),
                     pgettext("CSV column", "currency")])
    month = statement.month.strftime("%Y-%m")
    currency = statement.order.framework.currency
    for line in statement.lines:
        writer.writerow(safe_row([statement.order.reference, month, line["line"], line["description"], line["unit"],
                                  line["unit_price"], line["quantity"], line["amount"], line["records"], currency]))
    writer.writerow([statement.order.reference, month, "", _("Total"), "", "", "", str(statement.total),
                     statement.records, currency])
    if not statement.is_final:
        writer.writerow([statement.order.reference, month, "", _("Provisional: produced before the month ended"),
                         "", "", "", "", "", ""])
    return buffer.getvalue()
