"""Red flags: each rule reads the record and returns findings; the refresh upserts them.

Thresholds come from ``settings.MARKETPLACE_RED_FLAGS`` (any key left out takes the default in
``DEFAULT_THRESHOLDS``; docs/red-flags.md explains each). Every finding has a stable ``key``
(rule + object id), so ``red_flags_refresh`` is idempotent: running it twice creates nothing new,
and a finding that no longer holds is marked cleared rather than deleted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from audit.services import audit_record
from catalog.models import ListingVersion
from common.money import round_amount
from marketplace.competitions.models import Competition, Quote
from marketplace.orders.models import CallOffOrder, UsageRecord
from marketplace.oversight.explanations import Code, explanation_text
from marketplace.oversight.models import RedFlag
from marketplace.selection.models import Award

DEFAULT_THRESHOLDS: dict[str, Any] = {
    # Award not to the lowest: raised when the price difference is MORE than this amount.
    "NOT_LOWEST_MIN_DIFFERENCE": "0.00",
    # Repeated direct awards: raised when one buyer directly awards one supplier MORE than this
    # many times within the window (the award that goes over is flagged).
    "REPEATED_DIRECT_AWARDS_MAX": 3,
    "REPEATED_DIRECT_AWARDS_WINDOW_DAYS": 90,
    # Split purchases: orders of one buyer to one supplier, each with an original cap BELOW the
    # threshold, created within the window, whose caps together come to MORE than the threshold.
    "SPLIT_PURCHASE_THRESHOLD": "50000.00",
    "SPLIT_PURCHASE_WINDOW_DAYS": 30,
    # Cap raised: the highest cap ever set exceeds the original cap by MORE than this share.
    "CAP_RAISE_MAX_SHARE": "0.20",
    # Late usage: accepted usage posted on or after (order end − this many days).
    "LATE_USAGE_DAYS": 3,
    # Price raised before the award: a version of the awarded listing in force during this many
    # days before the award had a lower unit price than the version awarded.
    "PRICE_RAISE_WINDOW_DAYS": 30,
}

ACTIVE_ORDER_STATUSES = (CallOffOrder.Status.ACTIVE, CallOffOrder.Status.CAPPED, CallOffOrder.Status.COMPLETED,
                         CallOffOrder.Status.TERMINATED)


def thresholds() -> dict[str, Any]:
    """The defaults overlaid with ``settings.MARKETPLACE_RED_FLAGS``; amounts and shares as Decimal."""
    merged = {**DEFAULT_THRESHOLDS, **getattr(settings, "MARKETPLACE_RED_FLAGS", {})}
    for name in ("NOT_LOWEST_MIN_DIFFERENCE", "SPLIT_PURCHASE_THRESHOLD", "CAP_RAISE_MAX_SHARE"):
        merged[name] = Decimal(str(merged[name]))
    for name in ("REPEATED_DIRECT_AWARDS_MAX", "REPEATED_DIRECT_AWARDS_WINDOW_DAYS", "SPLIT_PURCHASE_WINDOW_DAYS",
                 "LATE_USAGE_DAYS", "PRICE_RAISE_WINDOW_DAYS"):
        merged[name] = int(merged[name])
    return merged


@dataclass
class Finding:
    """One finding of one rule. ``code`` and ``params`` (plain JSON values) are what is stored; the
    explanation is written from them in the language of whoever reads it."""

    key: str
    kind: str
    buyer_id: int
    code: str
    params: dict[str, Any]
    supplier_id: int | None = None
    award_id: int | None = None
    order_id: int | None = None
    competition_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def explanation(self) -> str:
        return explanation_text(self.code, self.params)


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- rules -------------------------------------------------------------------------------------


def find_not_lowest(limits: dict[str, Any]) -> list[Finding]:
    awards = Award.objects.filter(
        outcome=Award.Outcome.AWARDED, price_difference__gt=limits["NOT_LOWEST_MIN_DIFFERENCE"],
        estimated_total__isnull=False, lowest_estimated_total__isnull=False,
    ).select_related("framework").order_by("pk")
    findings = []
    for award in awards:
        findings.append(Finding(
            key=f"not_lowest:award:{award.pk}", kind=RedFlag.Kind.NOT_LOWEST, buyer_id=award.organization_id,
            supplier_id=award.supplier_id, award_id=award.pk,
            code=Code.NOT_LOWEST,
            params={"chosen": _amount(award.estimated_total), "lowest": _amount(award.lowest_estimated_total),
                    "difference": _amount(award.price_difference), "currency": award.framework.currency,
                    "reason": award.cheaper_option_reason},
            details={"estimated_total": str(award.estimated_total),
                     "lowest_estimated_total": str(award.lowest_estimated_total),
                     "price_difference": str(award.price_difference), "method": award.method},
        ))
    return findings


def find_single_quote(limits: dict[str, Any]) -> list[Finding]:  # noqa: ARG001 - same signature as every rule
    decided = (Competition.Status.CLOSED, Competition.Status.AWARDED, Competition.Status.NO_AWARD)
    competitions = (
        Competition.objects.filter(status__in=decided, closed_at__isnull=False)
        .annotate(quotes_count=Count("quotes", filter=Q(quotes__is_current=True)))
        .filter(quotes_count=1).order_by("pk")
    )
    findings = []
    for competition in competitions:
        quote = Quote.objects.filter(competition=competition, is_current=True).first()
        invited = competition.invitations.count()
        findings.append(Finding(
            key=f"single_quote:competition:{competition.pk}", kind=RedFlag.Kind.SINGLE_QUOTE,
            buyer_id=competition.organization_id, supplier_id=quote.supplier_id if quote else None,
            award_id=competition.award_id, competition_id=competition.pk,
            code=Code.SINGLE_QUOTE, params={"title": competition.title, "invited": invited},
            details={"invited": invited, "quotes": 1, "status": competition.status},
        ))
    return findings


def find_repeated_direct_awards(limits: dict[str, Any]) -> list[Finding]:
    """Sliding window per (buyer, supplier): the award that makes the count exceed the maximum,
    and every later one while it stays above, is flagged."""
    maximum, window = limits["REPEATED_DIRECT_AWARDS_MAX"], timedelta(days=limits["REPEATED_DIRECT_AWARDS_WINDOW_DAYS"])
    awards = Award.objects.filter(method=Award.Method.DIRECT, outcome=Award.Outcome.AWARDED,
                                  supplier__isnull=False).order_by("created_at", "pk")
    by_pair: dict[tuple[int, int], list[Award]] = defaultdict(list)
    for award in awards.only("pk", "organization_id", "supplier_id", "created_at"):
        by_pair[(award.organization_id, award.supplier_id)].append(award)
    findings = []
    for (buyer_id, supplier_id), pair_awards in by_pair.items():
        for index, award in enumerate(pair_awards):
            in_window = [other for other in pair_awards[: index + 1] if award.created_at - other.created_at <= window]
            if len(in_window) > maximum:
                findings.append(Finding(
                    key=f"repeated_direct_awards:award:{award.pk}", kind=RedFlag.Kind.REPEATED_DIRECT_AWARDS,
                    buyer_id=buyer_id, supplier_id=supplier_id, award_id=award.pk,
                    code=Code.REPEATED_DIRECT_AWARDS,
                    params={"count": len(in_window), "days": window.days, "maximum": maximum},
                    details={"awards": [other.pk for other in in_window], "count": len(in_window)},
                ))
    return findings


def find_split_purchases(limits: dict[str, Any]) -> list[Finding]:
    """Each order below the threshold whose window (itself and the earlier orders of the same
    buyer and supplier, also below it, created within the window before it) totals more than the
    threshold. Caps are the original caps: the amount the order was placed for."""
    threshold, window = limits["SPLIT_PURCHASE_THRESHOLD"], timedelta(days=limits["SPLIT_PURCHASE_WINDOW_DAYS"])
    orders = (
        CallOffOrder.objects.filter(status__in=ACTIVE_ORDER_STATUSES, original_cap__lt=threshold)
        .exclude(status=CallOffOrder.Status.TERMINATED, activated_at__isnull=True)
        .select_related("framework").order_by("created_at", "pk")
    )
    by_pair: dict[tuple[int, int], list[CallOffOrder]] = defaultdict(list)
    for order in orders:
        by_pair[(order.buyer_id, order.supplier_id)].append(order)
    findings = []
    for (buyer_id, supplier_id), pair_orders in by_pair.items():
        for index, order in enumerate(pair_orders):
            in_window = [other for other in pair_orders[: index + 1] if order.created_at - other.created_at <= window]
            total = sum((other.original_cap for other in in_window), Decimal("0.00"))
            if len(in_window) >= 2 and total > threshold:
                findings.append(Finding(
                    key=f"split_purchases:order:{order.pk}", kind=RedFlag.Kind.SPLIT_PURCHASES,
                    buyer_id=buyer_id, supplier_id=supplier_id, order_id=order.pk, award_id=order.award_id,
                    code=Code.SPLIT_PURCHASES,
                    params={"count": len(in_window), "days": window.days, "threshold": _amount(threshold),
                            "currency": order.framework.currency, "total": _amount(total),
                            "references": ", ".join(other.reference for other in in_window)},
                    details={"orders": [other.pk for other in in_window], "total": str(total),
                             "threshold": str(threshold)},
                ))
    return findings


def find_cap_raised(limits: dict[str, Any]) -> list[Finding]:
    share = limits["CAP_RAISE_MAX_SHARE"]
    orders = (
        CallOffOrder.objects.annotate(highest_amended=Max("cap_amendments__new_cap"))
        .select_related("framework").order_by("pk")
    )
    findings = []
    for order in orders:
        highest = round_amount(max(order.cap, order.highest_amended or order.cap))  # SQLite's MAX drops the scale
        if highest - order.original_cap > order.original_cap * share:
            raised = (highest - order.original_cap) * 100 / order.original_cap
            findings.append(Finding(
                key=f"cap_raised:order:{order.pk}", kind=RedFlag.Kind.CAP_RAISED, buyer_id=order.buyer_id,
                supplier_id=order.supplier_id, order_id=order.pk, award_id=order.award_id,
                code=Code.CAP_RAISED,
                params={"reference": order.reference, "original": _amount(order.original_cap),
                        "highest": _amount(highest), "currency": order.framework.currency,
                        "percent": f"{raised:.0f}", "limit": f"{share * 100:.0f}"},
                details={"original_cap": str(order.original_cap), "highest_cap": str(highest),
                         "amendments": order.cap_amendments.count()},
            ))
    return findings


def find_late_usage(limits: dict[str, Any]) -> list[Finding]:
    """Accepted usage posted (``created_at``, the time it reached us) on or after end − N days."""
    days = limits["LATE_USAGE_DAYS"]
    findings = []
    orders = CallOffOrder.objects.filter(usage_records__status=UsageRecord.Status.ACCEPTED).distinct().order_by("pk")
    for order in orders.select_related("framework"):
        from_day = order.end_date - timedelta(days=days)
        late = [
            record for record in order.usage_records.filter(status=UsageRecord.Status.ACCEPTED).order_by("created_at")
            if timezone.localdate(record.created_at) >= from_day
        ]
        if not late:
            continue
        after_end = sum(1 for record in late if timezone.localdate(record.created_at) > order.end_date)
        amount = sum((record.amount for record in late), Decimal("0.00"))
        findings.append(Finding(
            key=f"late_usage:order:{order.pk}", kind=RedFlag.Kind.LATE_USAGE, buyer_id=order.buyer_id,
            supplier_id=order.supplier_id, order_id=order.pk, award_id=order.award_id,
            code=Code.LATE_USAGE,
            params={"count": len(late), "amount": _amount(amount), "currency": order.framework.currency,
                    "days": days, "reference": order.reference, "end": order.end_date.isoformat(),
                    "after": after_end},
            details={"records": [record.pk for record in late], "amount": str(amount), "after_end": after_end,
                     "end_date": order.end_date.isoformat()},
        ))
    return findings


def find_price_raised_before_award(limits: dict[str, Any]) -> list[Finding]:
    """The prices in force during the window before the award: the version current at the window's
    start and every version published inside it up to the award. Any lower than the awarded
    version's price means the price went up shortly before the award."""
    window = timedelta(days=limits["PRICE_RAISE_WINDOW_DAYS"])
    awards = Award.objects.filter(outcome=Award.Outcome.AWARDED, listing_version__isnull=False).select_related(
        "listing_version", "framework").order_by("pk")
    findings = []
    for award in awards:
        awarded = award.listing_version
        window_start = award.created_at - window
        versions = ListingVersion.objects.filter(listing_id=awarded.listing_id, published_at__lte=award.created_at)
        in_force_at_start = versions.filter(published_at__lte=window_start).order_by("-published_at", "-number").first()
        candidates = list(versions.filter(published_at__gt=window_start).exclude(pk=awarded.pk))
        if in_force_at_start is not None and in_force_at_start.pk != awarded.pk:
            candidates.append(in_force_at_start)
        cheaper = [version for version in candidates if version.unit_price < awarded.unit_price
                   and version.published_at < awarded.published_at]
        if not cheaper:
            continue
        lowest = min(cheaper, key=lambda version: (version.unit_price, version.number))
        findings.append(Finding(
            key=f"price_raised_before_award:award:{award.pk}", kind=RedFlag.Kind.PRICE_RAISED_BEFORE_AWARD,
            buyer_id=award.organization_id, supplier_id=award.supplier_id, award_id=award.pk,
            code=Code.PRICE_RAISED_BEFORE_AWARD,
            params={"title": awarded.title, "before": str(lowest.unit_price), "after": str(awarded.unit_price),
                    "unit": awarded.unit, "old": lowest.number, "new": awarded.number, "days": window.days},
            details={"listing": awarded.listing_id, "awarded_version": awarded.pk, "earlier_version": lowest.pk,
                     "earlier_price": str(lowest.unit_price), "awarded_price": str(awarded.unit_price)},
        ))
    return findings


RULES = (
    find_not_lowest,
    find_single_quote,
    find_repeated_direct_awards,
    find_split_purchases,
    find_cap_raised,
    find_late_usage,
    find_price_raised_before_award,
)


def red_flags_compute(*, limits: dict[str, Any] | None = None) -> list[Finding]:
    """Every finding of every rule, without storing anything."""
    limits = limits or thresholds()
    findings: list[Finding] = []
    for rule in RULES:
        findings.extend(rule(limits))
    return findings


@dataclass(frozen=True)
class RefreshResult:
    raised: int
    confirmed: int
    cleared: int


@transaction.atomic
def red_flags_refresh(*, now: datetime | None = None) -> RefreshResult:
    """Recompute every rule and store the findings, idempotently (one row per key).

    New findings are inserted; existing ones get their explanation and details updated and
    ``refreshed_at`` moved; active flags no longer found are marked cleared; a cleared flag found
    again is reopened. One audit event records the counts when anything was raised or cleared.
    """
    now = now or timezone.now()
    findings = {finding.key: finding for finding in red_flags_compute()}
    existing = {flag.key: flag for flag in RedFlag.objects.select_for_update().order_by("pk")}
    raised = confirmed = cleared = 0
    for key, finding in findings.items():
        values = {
            "kind": finding.kind, "buyer_id": finding.buyer_id, "supplier_id": finding.supplier_id,
            "award_id": finding.award_id, "order_id": finding.order_id, "competition_id": finding.competition_id,
            "explanation_code": finding.code, "explanation_params": finding.params, "explanation": "",
            "details": finding.details,
        }
        flag = existing.get(key)
        if flag is None:
            RedFlag.objects.create(key=key, refreshed_at=now, **values)
            raised += 1
            continue
        reopened = flag.cleared_at is not None
        for name, value in values.items():
            setattr(flag, name, value)
        flag.refreshed_at, flag.cleared_at = now, None
        flag.save(update_fields=[*values, "refreshed_at", "cleared_at"])
        raised += int(reopened)
        confirmed += int(not reopened)
    stale = [flag.pk for key, flag in existing.items() if key not in findings and flag.cleared_at is None]
    if stale:
        cleared = RedFlag.objects.filter(pk__in=stale).update(cleared_at=now)
    if raised or cleared:
        audit_record(action="red_flags.refreshed", actor=None, target_type="marketplace.redflag",
                     payload={"raised": raised, "cleared": cleared, "active": len(findings)})
    return RefreshResult(raised=raised, confirmed=confirmed, cleared=cleared)
