"""A supplier's usage CSV: each row read and recorded on its own, with its own outcome."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from common.errors import Conflict, NotFound, ValidationFailed
from common.uploads import read_csv_upload
from marketplace.orders.models import CallOffOrder
from marketplace.orders.services.access import require_supplier
from marketplace.orders.services.readings import read_usage_reading
from marketplace.orders.services.usage import order_record_usage

CSV_COLUMNS = ("line", "quantity", "occurred_at", "idempotency_key")


@dataclass(frozen=True)
class CsvRowOutcome:
    row: int
    idempotency_key: str
    status: str  # accepted | rejected | invalid
    code: str = ""
    message: str = ""
    amount: Decimal | None = None
    remaining: Decimal | None = None
    replayed: bool = False
    fields: dict | None = None


def order_upload_usage_csv(*, actor: User, order_id: int, file, source: str = "csv") -> list[CsvRowOutcome]:
    """Each row goes through ``order_record_usage`` on its own: its own transaction and outcome.

    Metered usage is the one upload that is not all-or-nothing: every row is an independent
    record with an idempotency key, so a bad row is reported and the good ones stand; re-uploading
    the same file returns the stored outcomes. The file as a whole (size, encoding, columns, row
    count) is checked first by ``read_csv_upload``, and a refused file records nothing.
    """
    order = CallOffOrder.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Order not found."))
    require_supplier(actor=actor, order=order)
    rows = [
        {(key or "").strip().lower(): (value or "").strip() for key, value in row.items()}
        for row in read_csv_upload(file, required_columns=CSV_COLUMNS)
    ]
    return [_record_row(actor=actor, order=order, number=number, row=row, source=source)
            for number, row in enumerate(rows, start=2)]  # row 1 is the header


def _record_row(*, actor: User, order: CallOffOrder, number: int, row: dict[str, str], source: str) -> CsvRowOutcome:
    key = row.get("idempotency_key", "")
    try:
        reading = read_usage_reading(line=row.get("line", ""), quantity=row.get("quantity", ""),
                                     occurred_at=row.get("occurred_at", ""), idempotency_key=key)
        outcome = order_record_usage(actor=actor, order_id=order.pk, reading=reading, source=source,
                                     check_permission=False)
    except (ValidationFailed, Conflict) as error:  # not valid, or a key reused for different usage
        return CsvRowOutcome(row=number, idempotency_key=key, status="invalid", code=error.code,
                             message=error.message, fields=error.fields)
    record = outcome.record
    return CsvRowOutcome(
        row=number, idempotency_key=key, status=record.status, code=record.reason,
        message=str(record.get_reason_display()) if record.reason else "", amount=record.amount,
        remaining=record.remaining_after, replayed=outcome.replayed,
    )
