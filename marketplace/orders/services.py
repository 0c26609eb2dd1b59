"""Every write about call-off orders: creation from an award, lifecycle, usage, statements.

Money rules (DESIGN §4 invariant 4):

* The cap check and the increment are one conditional UPDATE
  (``UPDATE order SET spent = spent + x WHERE status = 'active' AND spent <= cap - x``); the row
  count says whether it fitted. No read-add-save, so no interleaving can overspend. The
  database's CheckConstraint ``spent <= cap`` is the backstop.
* A usage record is stored once per (order, idempotency key): the unique constraint decides a
  race, the loser's transaction (and its increment) is rolled back and it returns the stored
  outcome.
* Each threshold (50/80/90/100 % of the cap) is recorded by a unique ``ThresholdCrossing`` row;
  only the transaction that inserted it notifies, so each is sent exactly once.
"""

from __future__ import annotations

import calendar
import csv
import io
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Sum
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from agreements.models import FrameworkAgreement, Membership, Organization
from agreements.selectors import organization_of, roles_of
from audit.services import audit_record
from catalog.models import ListingVersion
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from common.lifecycle import check_transition
from common.money import (
    MAX_AMOUNT,
    MAX_QUANTITY,
    PRICE_PLACES,
    QUANTITY_FIELD,
    QUANTITY_PLACES,
    ZERO,
    line_amount,
    price_text,
    round_amount,
    to_decimal,
)
from common.spreadsheet import safe_row
from common.uploads import read_csv_upload
from marketplace.notifications.services import (
    notify_organization,
    written_in_notification_language,
)
from marketplace.orders.models import (
    THRESHOLDS,
    CallOffOrder,
    CapAmendment,
    OrderLine,
    Statement,
    ThresholdCrossing,
    UsageRecord,
)
from marketplace.selection.models import Award

MAX_KEY_LENGTH = 200
# A meter's clock may run a little ahead of ours; usage further ahead has not happened yet.
CLOCK_SKEW = timedelta(minutes=5)
CSV_COLUMNS = ("line", "quantity", "occurred_at", "idempotency_key")

Status = CallOffOrder.Status


# --------------------------------------------------------------------------- helpers


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _parse_amount(value, *, field: str) -> Decimal:
    try:
        amount = to_decimal(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Enter an amount such as 1500.00."), fields={field: [_("Enter a number.")]}) from None
    if amount <= 0:
        raise ValidationFailed(_("The amount must be more than zero."), fields={field: [_("Enter more than 0.")]})
    if amount > MAX_AMOUNT:  # before rounding: 1e30 cannot even be rounded to cents
        raise ValidationFailed(_("The amount is too large."), fields={field: [_("Enter a smaller amount.")]})
    if amount != round_amount(amount):
        raise ValidationFailed(_("Amounts have at most 2 decimal places."),
                               fields={field: [_("Use at most 2 decimal places.")]})
    return round_amount(amount)


def _parse_date(value, *, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(_("Enter a date as YYYY-MM-DD."), fields={field: [_("Enter a date as YYYY-MM-DD.")]}) from None


def _reason(value: str, *, field: str = "reason", label: str | None = None) -> str:
    text = (value or "").strip()
    if not text:
        message = label or _("Give a reason.")
        raise ValidationFailed(message, fields={field: [message]})
    return text


def _require_buyer_approver(*, actor, order: CallOffOrder) -> None:
    """Only an approver of the buying organization. Others who can see the order get 403."""
    organization = organization_of(actor)
    if organization is None or organization.pk != order.buyer_id:
        if organization is not None and (
            organization.pk == order.supplier_id or organization.kind == Organization.Kind.OVERSIGHT
        ):
            raise Forbidden(_("Only the buying organization's approver can do this."))
        raise NotFound(_("Order not found."))
    if Membership.Role.APPROVER not in roles_of(actor):
        raise Forbidden(_("Only a member with the approver role can do this."), code="approver_required")


def _lock_order(order_id) -> CallOffOrder:
    order = CallOffOrder.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Order not found."))
    return order


def highest_cap(order: CallOffOrder) -> Decimal | None:
    """The most the order's cap may become under its framework's rule, or None without a limit."""
    percent = order.framework.max_cap_increase_percent
    if percent is None:
        return None
    return round_amount(order.original_cap * (100 + percent) / 100)


def _audit(*, action: str, actor, order: CallOffOrder, payload: dict) -> None:
    audit_record(
        action=action, actor=actor, organization=organization_of(actor) if actor is not None else None,
        target=order, payload={"reference": order.reference, **payload},
    )


# --------------------------------------------------------------------------- creation


def _validate_term(*, framework: FrameworkAgreement, start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed(_("The end date must be on or after the start date."),
                               fields={"end": [_("Enter a date on or after the start date.")]})
    if start < framework.start_date or end > framework.end_date:
        message = _("The order must run within the framework's dates (%(start)s to %(end)s).") % {
            "start": framework.start_date.isoformat(), "end": framework.end_date.isoformat()}
        fields = {}
        if start < framework.start_date:
            fields["start"] = [message]
        if end > framework.end_date:
            fields["end"] = [message]
        raise ValidationFailed(message, fields=fields)
    longest_end = add_months(start, framework.max_call_off_months) - timedelta(days=1)
    if end > longest_end:
        message = _("A call-off under this framework may last at most %(months)s months (until %(end)s).") % {
            "months": framework.max_call_off_months, "end": longest_end.isoformat()}
        raise ValidationFailed(message, fields={"end": [message]}, code="term_too_long")


@dataclass(frozen=True)
class OrderLineSpec:
    """One line to order: a listing version, the agreed unit price (None: the version's) and a line cap."""

    listing_version: ListingVersion
    unit_price: object = None
    cap: object = None


def _agreed_price(*, version: ListingVersion, unit_price) -> Decimal:
    """The agreed price, never above the listing version's price (DESIGN §4.1)."""
    if unit_price is None:
        return version.unit_price
    try:
        price = to_decimal(unit_price)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Enter a unit price."), fields={"unit_price": [_("Enter a number.")]}) from None
    if price <= 0:
        raise ValidationFailed(_("The unit price must be more than zero."),
                               fields={"unit_price": [_("Enter more than 0.")]})
    if price > version.unit_price:
        raise ValidationFailed(
            _("The agreed unit price cannot exceed the listing version's price (%(price)s).")
            % {"price": price_text(version.unit_price)},
            fields={"unit_price": [_("Enter %(price)s or less.") % {"price": price_text(version.unit_price)}]},
            code="price_above_listing",
        )
    return price


@transaction.atomic
def order_create_from_award(
    *,
    actor,
    award: Award,
    cap,
    start,
    end,
    unit_price=None,
    line_cap=None,
    listing_version: ListingVersion | None = None,
    lines: list[OrderLineSpec] | None = None,
) -> CallOffOrder:
    """A draft order for the award's buyer and supplier at the agreed prices.

    One line by default: ``listing_version`` (or the award's) at ``unit_price`` (None: the
    version's price) with ``line_cap``. A competition award passes ``lines``, one per quoted line
    with a listing behind it. Every price stays at or below its version's price.
    """
    if award.outcome != Award.Outcome.AWARDED or award.supplier_id is None:
        raise Conflict(_("Only an award that names a supplier can become an order."), code="award_not_awarded")
    if lines is None:
        version = listing_version or award.listing_version
        if version is None:
            raise ValidationFailed(_("The award names no listing version to order."),
                                   fields={"listing_version": [_("Choose a listing version.")]})
        lines = [OrderLineSpec(listing_version=version, unit_price=unit_price, cap=line_cap)]
    if not lines:
        raise ValidationFailed(_("An order needs at least one line."),
                               fields={"listing_version": [_("Choose a listing version.")]})
    for spec in lines:
        version = spec.listing_version
        if version.supplier_id != award.supplier_id or version.framework_id != award.framework_id:
            raise ValidationFailed(_("The listing version does not belong to the awarded supplier and framework."),
                                   fields={"listing_version": [_("Choose a version of the awarded listing.")]})
    if actor is not None and not getattr(actor, "is_superuser", False):
        organization = organization_of(actor)
        if organization is None or organization.pk != award.organization_id:
            raise Forbidden(_("Only the buying organization can place this order."))
    if CallOffOrder.objects.filter(award=award).exists():
        raise Conflict(_("This award already has an order."), code="order_exists")
    framework = FrameworkAgreement.objects.get(pk=award.framework_id)
    if framework.status != FrameworkAgreement.Status.LIVE:
        raise Conflict(_("Only a live framework accepts call-off orders."), code="framework_not_live")

    cap = _parse_amount(cap, field="cap")
    start = _parse_date(start, field="start")
    end = _parse_date(end, field="end")
    _validate_term(framework=framework, start=start, end=end)

    prepared = []
    for spec in lines:
        price = _agreed_price(version=spec.listing_version, unit_price=spec.unit_price)
        spec_cap = None
        if spec.cap is not None:
            spec_cap = _parse_amount(spec.cap, field="line_cap")
            if spec_cap > cap:
                raise ValidationFailed(_("A line cap cannot exceed the order's cap."),
                                       fields={"line_cap": [_("Enter the order's cap or less.")]})
        prepared.append((spec.listing_version, price, spec_cap))

    order = CallOffOrder.objects.create(
        reference=f"tmp-{uuid.uuid4().hex}", award=award, buyer_id=award.organization_id,
        supplier_id=award.supplier_id, framework=framework, status=Status.DRAFT, cap=cap, original_cap=cap,
        start_date=start, end_date=end, created_by=actor if actor is not None else award.created_by,
    )
    order.reference = f"CO-{order.created_at:%Y}-{order.pk:06d}"
    order.save(update_fields=["reference"])
    OrderLine.objects.bulk_create([
        OrderLine(order=order, listing_version=version, description=version.title[:200], unit=version.unit,
                  unit_price=price, cap=spec_cap)
        for version, price, spec_cap in prepared
    ])
    _audit(action="order.created", actor=actor, order=order, payload={
        "award": award.pk, "method": award.method, "supplier": award.supplier_id, "cap": str(cap),
        "start": start.isoformat(), "end": end.isoformat(),
        "lines": [{"listing_version": version.pk, "unit": version.unit, "unit_price": str(price),
                   "cap": str(spec_cap) if spec_cap is not None else None}
                  for version, price, spec_cap in prepared],
    })
    return order


# --------------------------------------------------------------------------- lifecycle


@transaction.atomic
def order_activate(*, actor, order_id) -> CallOffOrder:
    """Draft → active by a buyer approver who did not draft the order (two-person rule)."""
    order = _lock_order(order_id)
    _require_buyer_approver(actor=actor, order=order)
    check_transition(order, Status.ACTIVE)
    if order.created_by_id == actor.pk:
        raise Forbidden(_("The person who drafted the order cannot also approve it."), code="two_person_rule")
    framework = FrameworkAgreement.objects.get(pk=order.framework_id)
    if framework.status != FrameworkAgreement.Status.LIVE:
        raise Conflict(_("Only a live framework accepts call-off orders."), code="framework_not_live")
    if order.end_date < timezone.localdate():
        raise Conflict(_("The order's end date has passed."), code="order_expired")
    order.status = Status.ACTIVE
    order.activated_by = actor
    order.activated_at = timezone.now()
    order.save(update_fields=["status", "activated_by", "activated_at"])
    _audit(action="order.activated", actor=actor, order=order,
           payload={"cap": str(order.cap), "drafted_by": order.created_by_id})
    return order


@transaction.atomic
def order_amend_cap(*, actor, order_id, cap, justification: str) -> CapAmendment:
    """Raise or lower the cap (never below what is spent). A capped order with room becomes active."""
    order = _lock_order(order_id)
    _require_buyer_approver(actor=actor, order=order)
    justification = _reason(justification, field="justification", label=_("Explain why the cap changes."))
    new_cap = _parse_amount(cap, field="cap")
    if order.status not in {Status.DRAFT, Status.ACTIVE, Status.CAPPED}:
        raise Conflict(_("The cap of a %(status)s order cannot change.") % {"status": order.get_status_display()},
                       code="order_closed")
    if new_cap < order.spent:
        raise ValidationFailed(
            _("The cap cannot be lower than what is already spent (%(spent)s).") % {"spent": order.spent},
            fields={"cap": [_("%(spent)s is already spent: enter that or more.") % {
                "spent": formats.number_format(order.spent, 2, use_l10n=True, force_grouping=True)}]},
            code="cap_below_spent",
        )
    if new_cap == order.cap:
        raise ValidationFailed(_("The new cap is the same as the current cap."),
                               fields={"cap": [_("Enter a different amount.")]})
    highest = highest_cap(order)
    if highest is not None and new_cap > highest and new_cap > order.cap:
        amount = formats.number_format(highest, 2, use_l10n=True, force_grouping=True)
        raise ValidationFailed(
            _("The framework lets a cap rise to at most %(percent)s%% above the original cap: %(amount)s. "
              "Anything more needs a new call-off.") % {"percent": order.framework.max_cap_increase_percent,
                                                         "amount": amount},
            fields={"cap": [_("Enter %(amount)s or less.") % {"amount": amount}]},
            code="cap_increase_limit", extra={"highest_cap": str(highest)},
        )
    previous_cap, previous_status = order.cap, order.status
    order.cap = new_cap
    fields = ["cap"]
    if order.status == Status.CAPPED and new_cap > order.spent:
        check_transition(order, Status.ACTIVE)
        order.status = Status.ACTIVE
        fields.append("status")
    elif order.status == Status.ACTIVE and new_cap == order.spent:
        check_transition(order, Status.CAPPED)
        order.status = Status.CAPPED
        fields.append("status")
    order.save(update_fields=fields)
    amendment = CapAmendment.objects.create(
        order=order, previous_cap=previous_cap, new_cap=new_cap, spent_at_amendment=order.spent,
        justification=justification, amended_by=actor,
    )
    _audit(action="order.cap_amended", actor=actor, order=order, payload={
        "previous_cap": str(previous_cap), "new_cap": str(new_cap), "spent": str(order.spent),
        "justification": justification, "status_before": previous_status, "status_after": order.status,
    })
    if order.status != Status.DRAFT:
        _record_thresholds(order_id=order.pk, spent_before=order.spent, spent_after=order.spent, cap=new_cap,
                           include_reached=True)
    return amendment


def _close(*, actor, order_id, target: str, reason: str, action: str) -> CallOffOrder:
    order = _lock_order(order_id)
    _require_buyer_approver(actor=actor, order=order)
    reason = _reason(reason)
    check_transition(order, target)
    previous = order.status
    order.status = target
    order.closed_by = actor
    order.closed_at = timezone.now()
    order.closed_reason = reason
    order.save(update_fields=["status", "closed_by", "closed_at", "closed_reason"])
    _audit(action=action, actor=actor, order=order,
           payload={"reason": reason, "status_before": previous, "spent": str(order.spent), "cap": str(order.cap)})
    return order


@transaction.atomic
def order_terminate(*, actor, order_id, reason: str) -> CallOffOrder:
    return _close(actor=actor, order_id=order_id, target=Status.TERMINATED, reason=reason, action="order.terminated")


@transaction.atomic
def order_complete(*, actor, order_id, reason: str) -> CallOffOrder:
    return _close(actor=actor, order_id=order_id, target=Status.COMPLETED, reason=reason, action="order.completed")


# --------------------------------------------------------------------------- usage


@dataclass(frozen=True)
class UsageOutcome:
    record: UsageRecord
    replayed: bool  # True when the key had already been used: this is the first outcome again

    @property
    def accepted(self) -> bool:
        return self.record.status == UsageRecord.Status.ACCEPTED


class _Rejected(Exception):
    def __init__(self, reason: str, remaining: Decimal | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.remaining = remaining  # known already (saves a read when storing the rejection)


def _parse_usage_input(*, quantity, occurred_at, idempotency_key) -> tuple[Decimal, datetime, str]:
    fields: dict[str, list[str]] = {}
    parsed_quantity = None
    try:
        parsed_quantity = to_decimal(quantity)
    except (TypeError, ValueError):
        fields["quantity"] = [_("Enter a number, e.g. 12.5.")]
    else:
        if parsed_quantity <= 0:
            fields["quantity"] = [_("The quantity must be more than zero.")]
        elif parsed_quantity >= MAX_QUANTITY or parsed_quantity.as_tuple().exponent < -QUANTITY_FIELD["decimal_places"]:
            fields["quantity"] = [_("Use at most 6 decimal places and a smaller number.")]
    parsed_time = occurred_at if isinstance(occurred_at, datetime) else None
    if parsed_time is None:
        try:
            parsed_time = parse_datetime(str(occurred_at).strip()) if occurred_at not in (None, "") else None
        except ValueError:
            parsed_time = None
        if parsed_time is None:
            fields["occurred_at"] = [_("Enter the time of use as an ISO 8601 date-time, e.g. 2026-03-01T10:00:00Z.")]
    if parsed_time is not None and timezone.is_naive(parsed_time):
        parsed_time = timezone.make_aware(parsed_time, timezone.get_default_timezone())
    if parsed_time is not None:
        try:
            parsed_time = parsed_time.astimezone(UTC)  # as the database gives it back, for identical replays
        except OverflowError:  # 0001-01-01T00:00+05:00 is before the first representable instant
            parsed_time = None
            fields["occurred_at"] = [_("Enter a time of use within the order's dates.")]
    if parsed_time is not None:
        if parsed_time > timezone.now() + CLOCK_SKEW:
            fields["occurred_at"] = [_("The time of use is in the future: post usage once it has happened.")]
    key = str(idempotency_key or "").strip()
    if not key:
        fields["idempotency_key"] = [_("Give a unique key for this usage, e.g. your meter reading id.")]
    elif len(key) > MAX_KEY_LENGTH:
        fields["idempotency_key"] = [_("Use at most %(n)s characters.") % {"n": MAX_KEY_LENGTH}]
    if fields:
        raise ValidationFailed(_("The usage is not valid."), fields=fields)
    return parsed_quantity.quantize(QUANTITY_PLACES), parsed_time, key


def _require_supplier(*, actor, order: CallOffOrder) -> None:
    organization = organization_of(actor)
    if organization is not None and organization.pk == order.supplier_id:
        return
    if organization is not None and (
        organization.pk == order.buyer_id or organization.kind == Organization.Kind.OVERSIGHT
    ):
        raise Forbidden(_("Only the order's supplier posts usage."))
    raise NotFound(_("Order not found."))


def order_record_usage(
    *,
    actor,
    order_id,
    line_id,
    quantity,
    occurred_at,
    idempotency_key: str,
    source: str = "api",
    check_permission: bool = True,
) -> UsageOutcome:
    """Record one usage: accepted (cap and line cap atomically incremented) or rejected (stored
    with its reason, no total changed). The same key again returns the stored first outcome.

    Invalid input (not a number, no key, quantity ≤ 0) raises ``ValidationFailed`` and stores nothing.
    """
    order, line = (
        _usage_target(order_id=int(order_id), line_id=int(line_id))
        if _is_row_id(line_id) and _is_row_id(order_id) else (None, None)
    )
    if order is None:
        order = CallOffOrder.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Order not found."))
    if check_permission:
        _require_supplier(actor=actor, order=order)
    quantity, occurred_at, key = _parse_usage_input(
        quantity=quantity, occurred_at=occurred_at, idempotency_key=idempotency_key
    )
    if line is None:
        raise ValidationFailed(_("The line is not part of this order."),
                               fields={"line": [_("Choose one of the order's lines.")]})
    amount = line_amount(quantity=quantity, unit_price=line.unit_price)
    if amount > MAX_AMOUNT:  # no cap is that large; the record could not even be stored
        raise ValidationFailed(_("The usage is not valid."), fields={"quantity": [
            _("At this line's price the amount would be more than %(max)s: check the quantity.")
            % {"max": formats.number_format(MAX_AMOUNT, 2, use_l10n=True, force_grouping=True)}]})
    posted_by = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    common = {"order_id": order.pk, "line_id": line.pk, "quantity": quantity, "occurred_at": occurred_at,
              "idempotency_key": key, "amount": amount, "posted_by": posted_by, "source": source}
    # No "does the key exist?" read first: the unique constraint answers that inside the write,
    # which keeps the happy path short. A used key fails the insert, the transaction (with its
    # increment) rolls back, and the stored first outcome is returned.
    try:
        _check_order_open(order=order, occurred_at=occurred_at)  # as read above; the writes re-check the status
        if connection.vendor == "postgresql":
            outcome = _accept_usage_in_one_statement(order=order, line=line, amount=amount, fields=common)
            if outcome is not None:
                return outcome
        return _accept_usage(order=order, line=line, amount=amount, fields=common)
    except _Rejected as rejection:
        outcome = _store_rejection(order_id=order.pk, reason=rejection.reason, fields=common,
                                   remaining=rejection.remaining)
    except IntegrityError:
        existing = UsageRecord.objects.filter(order_id=order.pk, idempotency_key=key).first()
        if existing is None:
            raise
        outcome = UsageOutcome(existing, replayed=True)
    if outcome.replayed:
        _require_same_usage(outcome.record, fields=common)
    return outcome


def _is_row_id(value) -> bool:
    """Digits that fit a database id (a bigint): anything else names no row."""
    text = str(value)
    return text.isdigit() and int(text) < 2**63


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


_TARGET_COLUMNS = (
    (OrderLine, ("id", "order_id", "cap", "unit_price")),
    (CallOffOrder, ("id", "buyer_id", "supplier_id", "status", "start_date", "end_date")),
)


def _usage_target(*, order_id: int, line_id: int) -> tuple[CallOffOrder | None, OrderLine | None]:
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


def _increment_order_spent(*, order_id: int, amount: Decimal) -> tuple[Decimal, Decimal] | None:
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


def _savepoint_in_a_callers_transaction():
    """A savepoint when called inside a caller's transaction, so that a failed write (a used key)
    does not break it; nothing otherwise: one statement is atomic on its own, and a BEGIN/COMMIT
    around it would add two round trips."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def _check_order_open(*, order: CallOffOrder, occurred_at: datetime) -> None:
    if order.status != Status.ACTIVE:
        raise _Rejected(UsageRecord.Reason.ORDER_NOT_ACTIVE)
    if not (order.start_date <= timezone.localtime(occurred_at).date() <= order.end_date):
        raise _Rejected(UsageRecord.Reason.OUTSIDE_ORDER_DATES)


def _threshold_crossed_sql(*, spent: str, amount: str, cap: str) -> str:
    """SQL that is true when ``spent`` → ``spent + amount`` crosses one of THRESHOLDS (the rule of
    ``_thresholds_reached``, written without division: ``spent < cap·t/100 ≤ spent + amount``)."""
    return " OR ".join(
        f"({spent} * 100 < {cap} * {int(t)} AND ({spent} + {amount}) * 100 >= {cap} * {int(t)})" for t in THRESHOLDS
    )


NOT_NULL_VIOLATION = "23502"  # SQLSTATE


def _accept_usage_in_one_statement(*, order: CallOffOrder, line: OrderLine, amount: Decimal,
                                   fields: dict) -> UsageOutcome | None:
    """PostgreSQL fast path for the common post: one statement, committed by the server on its own.

    The conditional UPDATE of the order (the same cap check as ``_increment_order_spent``), the
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
    in ``_accept_usage``), or the order or the line changed under us.
    """
    orders = connection.ops.quote_name(CallOffOrder._meta.db_table)
    lines = connection.ops.quote_name(OrderLine._meta.db_table)
    records = connection.ops.quote_name(UsageRecord._meta.db_table)
    crossing = _threshold_crossed_sql(spent="spent", amount="%(amount)s", cap="cap")
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
        with _savepoint_in_a_callers_transaction(), connection.cursor() as cursor:
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
        raise _Rejected(UsageRecord.Reason.ORDER_NOT_ACTIVE, remaining=cap_now - spent_now)
    if spent_now + amount > cap_now:
        raise _Rejected(UsageRecord.Reason.CAP_EXCEEDED, remaining=cap_now - spent_now)
    # A line's spent only grows and its cap is fixed, so a line over its cap as the statement saw
    # it stays over.
    if line_cap is not None and line_spent + amount > line_cap:
        raise _Rejected(UsageRecord.Reason.LINE_CAP_EXCEEDED, remaining=cap_now - spent_now)
    return None


@transaction.atomic
def _accept_usage(*, order: CallOffOrder, line: OrderLine, amount: Decimal, fields: dict) -> UsageOutcome:
    result = _increment_order_spent(order_id=order.pk, amount=amount)
    if result is None:
        current = CallOffOrder.objects.filter(pk=order.pk).values_list("status", flat=True).first()
        raise _Rejected(
            UsageRecord.Reason.ORDER_NOT_ACTIVE if current != Status.ACTIVE else UsageRecord.Reason.CAP_EXCEEDED
        )
    spent_after, cap = result
    if line.cap is not None:
        line_updated = OrderLine.objects.filter(pk=line.pk, spent__lte=F("cap") - amount).update(
            spent=F("spent") + amount
        )
        if line_updated != 1:
            raise _Rejected(UsageRecord.Reason.LINE_CAP_EXCEEDED)  # rolls back the order increment too
    else:
        OrderLine.objects.filter(pk=line.pk).update(spent=F("spent") + amount)
    record = UsageRecord.objects.create(
        status=UsageRecord.Status.ACCEPTED, reason="", remaining_after=round_amount(cap - spent_after), **fields
    )
    _record_thresholds(order_id=order.pk, spent_before=spent_after - amount, spent_after=spent_after, cap=cap)
    return UsageOutcome(record, replayed=False)


def _store_rejection(*, order_id: int, reason: str, fields: dict, remaining: Decimal | None = None) -> UsageOutcome:
    if remaining is None:
        spent, cap = CallOffOrder.objects.filter(pk=order_id).values_list("spent", "cap").get()
        remaining = cap - spent
    try:
        # One INSERT is atomic on its own.
        with _savepoint_in_a_callers_transaction():
            record = UsageRecord.objects.create(
                status=UsageRecord.Status.REJECTED, reason=reason, remaining_after=remaining, **fields
            )
    except IntegrityError:
        existing = UsageRecord.objects.filter(order_id=order_id, idempotency_key=fields["idempotency_key"]).first()
        if existing is None:
            raise
        return UsageOutcome(existing, replayed=True)
    return UsageOutcome(record, replayed=False)


def _thresholds_reached(*, spent_before: Decimal, spent_after: Decimal, cap: Decimal, include_reached: bool) -> list[int]:
    reached = []
    for threshold in THRESHOLDS:
        level = cap * threshold / 100
        if spent_after >= level and (include_reached or spent_before < level):
            reached.append(threshold)
    return reached


def _record_thresholds(
    *, order_id: int, spent_before: Decimal, spent_after: Decimal, cap: Decimal, include_reached: bool = False
) -> None:
    """Insert a ThresholdCrossing for each threshold now reached; notify only for rows we inserted.

    Runs inside the usage transaction, so a crossing is recorded only if the spend that caused it
    commits. At 100 % the order moves to capped with a conditional update.
    """
    thresholds = _thresholds_reached(spent_before=spent_before, spent_after=spent_after, cap=cap,
                                     include_reached=include_reached)
    if not thresholds:
        return
    existing = set(ThresholdCrossing.objects.filter(order_id=order_id, threshold__in=thresholds)
                   .values_list("threshold", flat=True))
    order = None
    for threshold in thresholds:
        if threshold in existing:
            continue
        try:
            with transaction.atomic():
                ThresholdCrossing.objects.create(order_id=order_id, threshold=threshold,
                                                 spent_at_crossing=spent_after, cap_at_crossing=cap)
        except IntegrityError:
            continue
        order = order or CallOffOrder.objects.select_related("buyer", "supplier", "framework").get(pk=order_id)
        _notify_threshold(order=order, threshold=threshold, spent=spent_after, cap=cap)
    if spent_after >= cap:
        updated = CallOffOrder.objects.filter(pk=order_id, status=Status.ACTIVE, spent__gte=F("cap")).update(
            status=Status.CAPPED
        )
        if updated:
            order = order or CallOffOrder.objects.select_related("buyer").get(pk=order_id)
            audit_record(action="order.capped", actor=None, organization=order.buyer, target=order,
                         payload={"reference": order.reference, "spent": str(spent_after), "cap": str(cap)})


@written_in_notification_language
def _notify_threshold(*, order: CallOffOrder, threshold: int, spent: Decimal, cap: Decimal) -> None:
    currency = order.framework.currency
    # Amounts written the way the reader's language writes them (1,234.50 / 1.234,50).
    values = {"reference": order.reference, "pct": threshold, "currency": currency,
              "spent": formats.number_format(spent, 2, use_l10n=True, force_grouping=True),
              "cap": formats.number_format(cap, 2, use_l10n=True, force_grouping=True)}
    if threshold >= 100:
        subject = _("Order %(reference)s has reached its cap") % values
        body = _("Spend on order %(reference)s reached %(spent)s %(currency)s, its cap of %(cap)s %(currency)s. "
                 "Further usage is refused until the buyer amends the cap.") % values
    else:
        subject = _("Order %(reference)s has used %(pct)s%% of its cap") % values
        body = _("Spend on order %(reference)s is %(spent)s %(currency)s of a cap of %(cap)s %(currency)s "
                 "(%(pct)s%% reached).") % values
    for organization in (order.buyer, order.supplier):
        notify_organization(
            organization=organization, kind="order.threshold", subject=subject, body=body,
            dedupe_key=f"order:{order.pk}:threshold:{threshold}", link=f"/orders/{order.pk}/", target=order,
        )


# --------------------------------------------------------------------------- CSV upload


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


def order_upload_usage_csv(*, actor, order_id, file, source: str = "csv") -> list[CsvRowOutcome]:
    """Each row goes through ``order_record_usage`` on its own: its own transaction and outcome.

    Metered usage is the one upload that is not all-or-nothing: every row is an independent
    record with an idempotency key, so a bad row is reported and the good ones stand; re-uploading
    the same file returns the stored outcomes. The file as a whole (size, encoding, columns, row
    count) is checked first by ``read_csv_upload``, and a refused file records nothing.
    """
    order = CallOffOrder.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Order not found."))
    _require_supplier(actor=actor, order=order)
    rows = [
        {(key or "").strip().lower(): (value or "").strip() for key, value in row.items()}
        for row in read_csv_upload(file, required_columns=CSV_COLUMNS)
    ]
    outcomes = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        key = row.get("idempotency_key", "")
        try:
            outcome = order_record_usage(
                actor=actor, order_id=order.pk, line_id=row.get("line", ""), quantity=row.get("quantity", ""),
                occurred_at=row.get("occurred_at", ""), idempotency_key=key, source=source, check_permission=False,
            )
        except (ValidationFailed, Conflict) as error:  # not valid, or a key reused for different usage
            outcomes.append(CsvRowOutcome(row=number, idempotency_key=key, status="invalid", code=error.code,
                                          message=error.message, fields=error.fields))
            continue
        record = outcome.record
        outcomes.append(CsvRowOutcome(
            row=number, idempotency_key=key, status=record.status, code=record.reason,
            message=str(record.get_reason_display()) if record.reason else "", amount=record.amount,
            remaining=record.remaining_after, replayed=outcome.replayed,
        ))
    return outcomes


# --------------------------------------------------------------------------- statements


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def parse_month(value) -> date:
    if isinstance(value, date):
        return value.replace(day=1)
    try:
        year, month = str(value).strip().split("-")[:2]
        return date(int(year), int(month), 1)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Enter a month as YYYY-MM."), fields={"month": [_("Enter a month as YYYY-MM.")]}) from None


@transaction.atomic
def statement_generate(*, order_id, month, actor=None) -> Statement:
    """(Re)build the statement of accepted usage in ``month`` by time of use. Safe to run twice:
    the (order, month) row is created once and then overwritten with the figures of the moment.
    Only months of the order's term that have begun; one produced before its month ends is
    provisional (``Statement.is_final``)."""
    first, last = month_bounds(parse_month(month))
    order = CallOffOrder.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Order not found."))
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
    statement, created = Statement.objects.get_or_create(
        order=order, month=first, defaults={"lines": lines, "total": total, "records": records}
    )
    if not created:
        Statement.objects.filter(pk=statement.pk).update(lines=lines, total=total, records=records,
                                                         generated_at=timezone.now())
        statement.refresh_from_db()
    return statement


def statements_generate_for_month(*, month) -> int:
    """Statements for every order running in ``month``; each in its own transaction."""
    from marketplace.orders.selectors import orders_for_statements

    first, last = month_bounds(parse_month(month))
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
                     pgettext("CSV column", "amount"), pgettext("CSV column", "records")])
    month = statement.month.strftime("%Y-%m")
    for line in statement.lines:
        writer.writerow(safe_row([statement.order.reference, month, line["line"], line["description"], line["unit"],
                                  line["unit_price"], line["quantity"], line["amount"], line["records"]]))
    writer.writerow([statement.order.reference, month, "", _("Total"), "", "", "", str(statement.total),
                     statement.records])
    if not statement.is_final:
        writer.writerow([statement.order.reference, month, "", _("Provisional: produced before the month ended"),
                         "", "", "", "", ""])
    return buffer.getvalue()
