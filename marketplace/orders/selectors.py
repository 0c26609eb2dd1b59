"""Reads about call-off orders, always scoped by who asks.

A buyer's members see the orders their organization placed; a supplier's members see the
orders they received; oversight sees every order; anyone else sees none (404, not 403).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Membership, Organization
from agreements.selectors import organization_of, roles_of
from common.errors import NotFound
from common.money import ZERO, round_amount
from marketplace.notifications.models import Notification
from marketplace.orders.models import CallOffOrder, Statement, UsageRecord


def orders_visible_to(*, user) -> QuerySet[CallOffOrder]:
    queryset = CallOffOrder.objects.select_related("buyer", "supplier", "framework", "created_by", "activated_by")
    organization = organization_of(user)
    if organization is None:
        return queryset.none()
    if organization.kind == Organization.Kind.OVERSIGHT:
        return queryset
    if organization.kind == Organization.Kind.BUYER:
        return queryset.filter(buyer=organization)
    if organization.kind == Organization.Kind.SUPPLIER:
        return queryset.filter(supplier=organization)
    return queryset.none()


def order_get_for(*, user, order_id) -> CallOffOrder:
    """The order if the user may see it; ``NotFound`` otherwise (never reveal that it exists)."""
    try:
        order_id = int(order_id)
    except (TypeError, ValueError):
        raise NotFound(_("Order not found.")) from None
    order = orders_visible_to(user=user).prefetch_related("lines").filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Order not found."))
    return order


def side_of(*, user, order: CallOffOrder) -> str | None:
    """``buyer``, ``supplier``, ``oversight`` or None: the user's relation to the order."""
    organization = organization_of(user)
    if organization is None:
        return None
    if organization.pk == order.buyer_id:
        return "buyer"
    if organization.pk == order.supplier_id:
        return "supplier"
    if organization.kind == Organization.Kind.OVERSIGHT:
        return "oversight"
    return None


def can_approve(*, user, order: CallOffOrder) -> bool:
    return side_of(user=user, order=order) == "buyer" and Membership.Role.APPROVER in roles_of(user)


def usage_records_of(*, order: CallOffOrder, status: str | None = None) -> QuerySet[UsageRecord]:
    queryset = UsageRecord.objects.filter(order=order).select_related("line", "posted_by")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-pk")


def usage_totals(*, order: CallOffOrder) -> dict:
    totals = UsageRecord.objects.filter(order=order).aggregate(
        accepted=Count("pk", filter=Q(status=UsageRecord.Status.ACCEPTED)),
        rejected=Count("pk", filter=Q(status=UsageRecord.Status.REJECTED)),
        accepted_amount=Sum("amount", filter=Q(status=UsageRecord.Status.ACCEPTED)),
    )
    totals["accepted_amount"] = totals["accepted_amount"] or ZERO
    return totals


def statements_of(*, order: CallOffOrder) -> QuerySet[Statement]:
    return Statement.objects.filter(order=order).order_by("-month")


def statement_get(*, order: CallOffOrder, month: date) -> Statement:
    statement = Statement.objects.filter(order=order, month=month).first()
    if statement is None:
        raise NotFound(_("No statement for that month."))
    return statement


def notifications_about(*, user, order: CallOffOrder) -> QuerySet[Notification]:
    return Notification.objects.filter(
        recipient=user, target_type="marketplace.callofforder", target_id=str(order.pk)
    ).order_by("-created_at")


def daily_spend(*, order: CallOffOrder) -> list[tuple[date, Decimal]]:
    """Cumulative accepted spend at the end of each day with usage, by time of use."""
    rows = (
        UsageRecord.objects.filter(order=order, status=UsageRecord.Status.ACCEPTED)
        .annotate(day=TruncDate("occurred_at"))
        .values("day")
        .annotate(total=Sum("amount"))
        .order_by("day")
    )
    cumulative = ZERO
    series = []
    for row in rows:
        cumulative += row["total"]
        series.append((row["day"], cumulative))
    return series


def burn_rate(*, order: CallOffOrder, today: date | None = None, window_days: int = 30) -> dict:
    """Average daily spend over the last ``window_days`` of the order (by time of use) and the
    date at which the remaining cap would be used up at that pace (None when nothing is spent).
    """
    today = today or timezone.localdate()
    end = min(today, order.end_date)
    start = max(order.start_date, end - timedelta(days=window_days - 1))
    if end < start:  # the order has not started yet: no window to average over
        return {"per_day": ZERO, "projected_cap_date": None, "projected_within_term": False,
                "window_start": None, "window_end": None}
    window_total = UsageRecord.objects.filter(
        order=order, status=UsageRecord.Status.ACCEPTED,
        occurred_at__gte=timezone.make_aware(datetime.combine(start, time.min)),
        occurred_at__lt=timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
    ).aggregate(total=Sum("amount"))["total"] or ZERO
    days = (end - start).days + 1
    per_day = round_amount(window_total / days)
    projected = None
    remaining = order.cap - order.spent
    if remaining <= 0:
        projected = end
    elif per_day > 0:
        days_left = int((remaining / per_day).to_integral_value(rounding="ROUND_CEILING"))
        projected = end + timedelta(days=days_left)
    return {
        "per_day": per_day,
        "projected_cap_date": projected,
        "projected_within_term": projected is not None and projected <= order.end_date,
        "window_start": start,
        "window_end": end,
    }


def orders_for_statements(*, month_start: date, month_end: date) -> QuerySet[CallOffOrder]:
    """Orders that were running at some point in the month (not drafts)."""
    return CallOffOrder.objects.exclude(status=CallOffOrder.Status.DRAFT).filter(
        start_date__lte=month_end, end_date__gte=month_start
    )
