"""An order's life: created from an award as a draft, activated by a second person, its cap
amended within the framework's limit, then completed or terminated. Term rules live here too."""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agreements.models import FrameworkAgreement
from agreements.selectors import organization_of
from catalog.models import ListingVersion
from common.errors import Conflict, Forbidden, ValidationFailed
from common.lifecycle import check_transition
from common.money import price_text, round_amount
from common.parsing import FieldErrors, read_amount, read_date_range, read_price, read_text
from marketplace.orders.models import CallOffOrder, CapAmendment, OrderLine
from marketplace.orders.services.access import audit_order, lock_order, require_buyer_approver
from marketplace.orders.services.thresholds import record_thresholds
from marketplace.selection.models import Award

Status = CallOffOrder.Status


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def highest_cap(order: CallOffOrder) -> Decimal | None:
    """The most the order's cap may become under its framework's rule, or None without a limit."""
    percent = order.framework.max_cap_increase_percent
    if percent is None:
        return None
    return round_amount(order.original_cap * (100 + percent) / 100)


# --------------------------------------------------------------------------- creation


def _validate_term(*, framework: FrameworkAgreement, start: date, end: date) -> None:
    """Within the framework's dates and no longer than its longest call-off (``read_date_range``
    has already refused an end before the start; an order may end on the day it starts)."""
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
    unit_price: Decimal | None = None
    cap: Decimal | None = None


def _agreed_price(*, version: ListingVersion, unit_price: Decimal | None) -> Decimal:
    """The agreed price, never above the listing version's price."""
    if unit_price is None:
        return version.unit_price
    price = read_price(unit_price, field="unit_price")
    if price > version.unit_price:
        raise ValidationFailed(
            _("The agreed unit price cannot exceed the listing version's price (%(price)s).")
            % {"price": price_text(version.unit_price)},
            fields={"unit_price": [_("Enter %(price)s or less.") % {"price": price_text(version.unit_price)}]},
            code="price_above_listing",
        )
    return price


def _lines_to_order(*, award: Award, listing_version: ListingVersion | None, unit_price: Decimal | None,
                    line_cap: Decimal | None, lines: list[OrderLineSpec] | None) -> list[OrderLineSpec]:
    """The given lines, or the one line of the award's (or the given) listing version; each of the
    awarded supplier under the award's framework."""
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
    return lines


def _framework_accepting_orders(*, actor: User | None, award: Award) -> FrameworkAgreement:
    """The award's live framework, once the actor is known to be the buyer and the award has no order."""
    if actor is not None and not getattr(actor, "is_superuser", False):
        organization = organization_of(actor)
        if organization is None or organization.pk != award.organization_id:
            raise Forbidden(_("Only the buying organization can place this order."))
    if CallOffOrder.objects.filter(award=award).exists():
        raise Conflict(_("This award already has an order."), code="order_exists")
    framework = FrameworkAgreement.objects.get(pk=award.framework_id)
    if framework.status != FrameworkAgreement.Status.LIVE:
        raise Conflict(_("Only a live framework accepts call-off orders."), code="framework_not_live")
    return framework


def _priced_lines(*, lines: list[OrderLineSpec], cap: Decimal) -> list[tuple[ListingVersion, Decimal, Decimal | None]]:
    prepared = []
    for spec in lines:
        price = _agreed_price(version=spec.listing_version, unit_price=spec.unit_price)
        spec_cap = None
        if spec.cap is not None:
            spec_cap = read_amount(spec.cap, field="line_cap")
            if spec_cap > cap:
                raise ValidationFailed(_("A line cap cannot exceed the order's cap."),
                                       fields={"line_cap": [_("Enter the order's cap or less.")]})
        prepared.append((spec.listing_version, price, spec_cap))
    return prepared


@transaction.atomic
def order_create_from_award(
    *,
    actor: User | None,
    award: Award,
    cap: Decimal | str,
    start: date | str,
    end: date | str,
    unit_price: Decimal | None = None,
    line_cap: Decimal | None = None,
    listing_version: ListingVersion | None = None,
    lines: list[OrderLineSpec] | None = None,
) -> CallOffOrder:
    """A draft order for the award's buyer and supplier at the agreed prices.

    One line by default: ``listing_version`` (or the award's) at ``unit_price`` (None: the
    version's price) with ``line_cap``. A competition award passes ``lines``, one per quoted line
    with a listing behind it. Every price stays at or below its version's price. ``cap``, ``start``
    and ``end`` are read with ``common.parsing`` (text is accepted too, for the pages' and the
    API's values) and refused together.
    """
    if award.outcome != Award.Outcome.AWARDED or award.supplier_id is None:
        raise Conflict(_("Only an award that names a supplier can become an order."), code="award_not_awarded")
    lines = _lines_to_order(award=award, listing_version=listing_version, unit_price=unit_price,
                            line_cap=line_cap, lines=lines)
    framework = _framework_accepting_orders(actor=actor, award=award)
    errors = FieldErrors()
    cap = read_amount(cap, field="cap", errors=errors)
    start, end = read_date_range(start, end, errors=errors, start_field="start", end_field="end")
    errors.raise_if_any()
    _validate_term(framework=framework, start=start, end=end)
    prepared = _priced_lines(lines=lines, cap=cap)

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
    audit_order(action="order.created", actor=actor, order=order, payload={
        "award": award.pk, "method": award.method, "supplier": award.supplier_id, "cap": str(cap),
        "start": start.isoformat(), "end": end.isoformat(),
        "lines": [{"listing_version": version.pk, "unit": version.unit, "unit_price": str(price),
                   "cap": str(spec_cap) if spec_cap is not None else None}
                  for version, price, spec_cap in prepared],
    })
    return order


# --------------------------------------------------------------------------- lifecycle


@transaction.atomic
def order_activate(*, actor: User, order_id: int) -> CallOffOrder:
    """Draft → active by a buyer approver who did not draft the order (two-person rule)."""
    order = lock_order(order_id)
    require_buyer_approver(actor=actor, order=order)
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
    audit_order(action="order.activated", actor=actor, order=order,
                payload={"cap": str(order.cap), "drafted_by": order.created_by_id})
    return order


@transaction.atomic
def order_amend_cap(*, actor: User, order_id: int, cap: Decimal | str, justification: str) -> CapAmendment:
    """Raise or lower the cap (never below what is spent). A capped order with room becomes active."""
    order = lock_order(order_id)
    require_buyer_approver(actor=actor, order=order)
    errors = FieldErrors()
    justification = read_text(justification, field="justification", errors=errors,
                              message=_("Explain why the cap changes."))
    new_cap = read_amount(cap, field="cap", errors=errors)
    errors.raise_if_any()
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
    audit_order(action="order.cap_amended", actor=actor, order=order, payload={
        "previous_cap": str(previous_cap), "new_cap": str(new_cap), "spent": str(order.spent),
        "justification": justification, "status_before": previous_status, "status_after": order.status,
    })
    if order.status != Status.DRAFT:
        record_thresholds(order_id=order.pk, spent_before=order.spent, spent_after=order.spent, cap=new_cap,
                          include_reached=True)
    return amendment


def _close(*, actor: User, order_id: int, target: str, reason: str, action: str) -> CallOffOrder:
    order = lock_order(order_id)
    require_buyer_approver(actor=actor, order=order)
    reason = read_text(reason, field="reason", message=_("Give a reason."))
    check_transition(order, target)
    previous = order.status
    order.status = target
    order.closed_by = actor
    order.closed_at = timezone.now()
    order.closed_reason = reason
    order.save(update_fields=["status", "closed_by", "closed_at", "closed_reason"])
    audit_order(action=action, actor=actor, order=order,
                payload={"reason": reason, "status_before": previous, "spent": str(order.spent), "cap": str(order.cap)})
    return order


@transaction.atomic
def order_terminate(*, actor: User, order_id: int, reason: str) -> CallOffOrder:
    return _close(actor=actor, order_id=order_id, target=Status.TERMINATED, reason=reason, action="order.terminated")


@transaction.atomic
def order_complete(*, actor: User, order_id: int, reason: str) -> CallOffOrder:
    return _close(actor=actor, order_id=order_id, target=Status.COMPLETED, reason=reason, action="order.completed")
