"""Thresholds of an order's cap: each crossing recorded once, notified once, and capping at 100 %.

Each threshold (50/80/90/100 % of the cap) is recorded by a unique ``ThresholdCrossing`` row;
only the transaction that inserted it notifies, so each is sent exactly once.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats
from django.utils.translation import gettext as _

from audit.services import audit_record
from marketplace.notifications.services import notify_organization, written_in_notification_language
from marketplace.orders.models import THRESHOLDS, CallOffOrder, ThresholdCrossing

Status = CallOffOrder.Status


def thresholds_reached(*, spent_before: Decimal, spent_after: Decimal, cap: Decimal, include_reached: bool) -> list[int]:
    reached = []
    for threshold in THRESHOLDS:
        level = cap * threshold / 100
        if spent_after >= level and (include_reached or spent_before < level):
            reached.append(threshold)
    return reached


def record_thresholds(
    *, order_id: int, spent_before: Decimal, spent_after: Decimal, cap: Decimal, include_reached: bool = False
) -> None:
    """Insert a ThresholdCrossing for each threshold now reached; notify only for rows we inserted.

    Runs inside the usage transaction, so a crossing is recorded only if the spend that caused it
    commits. At 100 % the order moves to capped with a conditional update.
    """
    thresholds = thresholds_reached(spent_before=spent_before, spent_after=spent_after, cap=cap,
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
        notify_threshold(order=order, threshold=threshold, spent=spent_after, cap=cap)
    if spent_after >= cap:
        updated = CallOffOrder.objects.filter(pk=order_id, status=Status.ACTIVE, spent__gte=F("cap")).update(
            status=Status.CAPPED
        )
        if updated:
            order = order or CallOffOrder.objects.select_related("buyer").get(pk=order_id)
            audit_record(action="order.capped", actor=None, organization=order.buyer, target=order,
                         payload={"reference": order.reference, "spent": str(spent_after), "cap": str(cap)})


@written_in_notification_language
def notify_threshold(*, order: CallOffOrder, threshold: int, spent: Decimal, cap: Decimal) -> None:
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
