"""What a usage post carries in (a ``UsageReading``) and what it gives back (a ``UsageOutcome``).

The API, the CSV upload and any other interface turn text into a reading with
``read_usage_reading`` (``common.parsing`` plus the rules of metered usage: a key of at most
``MAX_KEY_LENGTH`` characters, no usage more than ``CLOCK_SKEW`` ahead of our clock); the
service receives values only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from common.parsing import FieldErrors, read_datetime, read_quantity, read_row_id, read_text
from marketplace.orders.models import UsageRecord

MAX_KEY_LENGTH = 200  # UsageRecord.idempotency_key
# A meter's clock may run a little ahead of ours; usage further ahead has not happened yet.
CLOCK_SKEW = timedelta(minutes=5)
IN_THE_FUTURE = "in_the_future"


@dataclass(frozen=True)
class UsageReading:
    """One meter reading to record: ``quantity`` of the line's unit used at ``occurred_at`` (UTC),
    named by the client's ``idempotency_key`` so that posting it again records it once."""

    line_id: int
    quantity: Decimal
    occurred_at: datetime
    idempotency_key: str


def future_usage_message() -> str:
    return _("The time of use is in the future: post usage once it has happened.")


def is_in_the_future(occurred_at: datetime) -> bool:
    return occurred_at > timezone.now() + CLOCK_SKEW


def read_usage_reading(*, line: Any, quantity: Any, occurred_at: Any, idempotency_key: Any) -> UsageReading:
    """A reading from text (an API body, a CSV row). Every field's refusal is reported at once, as
    one ``ValidationFailed`` ("The usage is not valid.")."""
    errors = FieldErrors()
    line_id = read_row_id(line, field="line", errors=errors)
    parsed_quantity = read_quantity(quantity, field="quantity", errors=errors)
    parsed_time = read_datetime(occurred_at, field="occurred_at", errors=errors)
    if parsed_time is not None and is_in_the_future(parsed_time):
        errors.add("occurred_at", IN_THE_FUTURE, future_usage_message())
    key = read_text(idempotency_key, field="idempotency_key", errors=errors, max_length=MAX_KEY_LENGTH,
                    message=_("Give a unique key for this usage, e.g. your meter reading id."))
    errors.raise_if_any(_("The usage is not valid."))
    return UsageReading(line_id=line_id, quantity=parsed_quantity, occurred_at=parsed_time, idempotency_key=key)


@dataclass(frozen=True)
class UsageOutcome:
    record: UsageRecord
    replayed: bool  # True when the key had already been used: this is the first outcome again

    @property
    def accepted(self) -> bool:
        return self.record.status == UsageRecord.Status.ACCEPTED


class UsageRejected(Exception):  # noqa: N818 - a refusal the service stores, not an error
    """The post is refused for a reason that is stored with it (cap exceeded, order not active …)."""

    def __init__(self, reason: str, remaining: Decimal | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.remaining = remaining  # known already (saves a read when storing the rejection)
