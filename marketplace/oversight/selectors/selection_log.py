"""The selection log: every award and no-award, filtered and sorted, as rows for the page, the API
and the CSV/JSON export."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from agreements.models import FrameworkAgreement, Lot, Organization
from marketplace.orders.models import CallOffOrder
from marketplace.oversight.models import RedFlag
from marketplace.oversight.selectors.access import require_oversight
from marketplace.oversight.selectors.log_filters import SORTS, LogFilters
from marketplace.selection.models import Award


def _filtered(queryset: QuerySet[Award], filters: LogFilters) -> QuerySet[Award]:
    exact = {"organization_id": filters.buyer, "supplier_id": filters.supplier, "framework_id": filters.framework,
             "lot_id": filters.lot, "value__gte": filters.value_min, "value__lte": filters.value_max,
             "method": filters.method or None, "outcome": filters.outcome or None}
    queryset = queryset.filter(**{lookup: value for lookup, value in exact.items() if value is not None})
    tz = timezone.get_current_timezone()
    if filters.date_from is not None:
        queryset = queryset.filter(created_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=tz))
    if filters.date_to is not None:
        queryset = queryset.filter(created_at__lte=datetime.combine(filters.date_to, time.max, tzinfo=tz))
    if filters.flag == "any":
        queryset = queryset.filter(flags_count__gt=0)
    elif filters.flag == "none":
        queryset = queryset.filter(flags_count=0)
    elif filters.flag:
        queryset = queryset.filter(pk__in=RedFlag.objects.filter(kind=filters.flag, cleared_at__isnull=True,
                                                                  award__isnull=False).values("award_id"))
    return queryset


def selection_log(*, user: User, filters: LogFilters | None = None) -> QuerySet[Award]:
    """Every award and no-award, direct or by competition, with what the log shows and filters on.

    ``value`` is the awarded value: the chosen option's estimated total (direct) or the winning
    quote's total (competition); ``order_cap`` the order's current cap; ``lot_id`` the lot of the
    competition, else of the awarded listing version, else of the requirement.
    """
    require_oversight(user)
    filters = filters or LogFilters()
    active_flags = Q(red_flags__cleared_at__isnull=True)
    queryset = (
        Award.objects.select_related("organization", "supplier", "framework", "requirement", "search",
                                     "listing_version", "order", "competition")
        .annotate(
            value=F("estimated_total"),
            lot_id=Coalesce("competition__lot_id", "listing_version__lot_id", "requirement__lot_id"),
            order_cap=F("order__cap"),
            flags_count=Count("red_flags", filter=active_flags, distinct=True),
        )
        .prefetch_related(Prefetch("red_flags", queryset=RedFlag.objects.filter(cleared_at__isnull=True)
                                   .order_by("kind", "pk"), to_attr="active_flags"))
    )
    return _filtered(queryset, filters).order_by(*SORTS[filters.sort])


def _order_of(award: Award) -> CallOffOrder | None:
    try:
        return award.order
    except CallOffOrder.DoesNotExist:
        return None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def log_row(award: Award) -> dict[str, Any]:
    """One log row as plain values (for the API's JSON and the CSV export). Decimals as strings."""
    order = _order_of(award)
    return {
        "id": award.pk,
        "date": award.created_at.isoformat(),
        "buyer": {"id": award.organization_id, "name": award.organization.name},
        "supplier": {"id": award.supplier_id, "name": award.supplier.name} if award.supplier_id else None,
        "framework": {"id": award.framework_id, "reference": award.framework.reference},
        "lot": award.lot_id,
        "requirement": {"id": award.requirement_id, "title": award.requirement.title},
        "method": award.method,
        "outcome": award.outcome,
        "currency": award.framework.currency,
        "estimated_total": _text(award.estimated_total),
        "lowest_estimated_total": _text(award.lowest_estimated_total),
        "price_difference": _text(award.price_difference),
        "order": {"id": order.pk, "reference": order.reference, "cap": _text(order.cap),
                  "original_cap": _text(order.original_cap), "status": order.status} if order else None,
        "flags": [flag.kind for flag in getattr(award, "active_flags", [])],
    }


CSV_COLUMNS = ["id", "date", "buyer", "supplier", "framework", "lot", "requirement", "method", "outcome", "currency",
               "estimated_total", "lowest_estimated_total", "price_difference", "order", "order_cap",
               "order_original_cap", "flags"]
# The same columns as the CSV header a person reads: the keys in English, translated (context "CSV column").
CSV_COLUMN_LABELS = [
    pgettext_lazy("CSV column", "id"), pgettext_lazy("CSV column", "date"), pgettext_lazy("CSV column", "buyer"),
    pgettext_lazy("CSV column", "supplier"), pgettext_lazy("CSV column", "framework"), pgettext_lazy("CSV column", "lot"),
    pgettext_lazy("CSV column", "requirement"), pgettext_lazy("CSV column", "method"),
    pgettext_lazy("CSV column", "outcome"), pgettext_lazy("CSV column", "currency"),
    pgettext_lazy("CSV column", "estimated_total"), pgettext_lazy("CSV column", "lowest_estimated_total"),
    pgettext_lazy("CSV column", "price_difference"), pgettext_lazy("CSV column", "order"),
    pgettext_lazy("CSV column", "order_cap"), pgettext_lazy("CSV column", "order_original_cap"),
    pgettext_lazy("CSV column", "flags"),
]


def csv_column_labels() -> list[str]:
    return [str(label) for label in CSV_COLUMN_LABELS]


def log_csv_row(award: Award) -> list[str]:
    row = log_row(award)
    order = row["order"] or {}
    return [
        str(row["id"]), row["date"], row["buyer"]["name"], row["supplier"]["name"] if row["supplier"] else "",
        row["framework"]["reference"], "" if row["lot"] is None else str(row["lot"]), row["requirement"]["title"],
        row["method"], row["outcome"], row["currency"], row["estimated_total"] or "",
        row["lowest_estimated_total"] or "", row["price_difference"] or "", order.get("reference", ""),
        order.get("cap", "") or "", order.get("original_cap", "") or "", " ".join(row["flags"]),
    ]


def log_choices() -> dict[str, list[tuple[int, str]]]:
    """Options for the log's filter form: the buyers, suppliers, frameworks and lots with awards."""
    awards = Award.objects.all()
    return {
        "buyers": list(Organization.objects.filter(pk__in=awards.values("organization_id"))
                       .order_by("name").values_list("pk", "name")),
        "suppliers": list(Organization.objects.filter(pk__in=awards.values("supplier_id"))
                          .order_by("name").values_list("pk", "name")),
        "frameworks": list(FrameworkAgreement.objects.order_by("reference").values_list("pk", "reference")),
        "lots": [(lot.pk, f"{lot.framework.reference} · {lot}") for lot in
                 Lot.objects.select_related("framework").order_by("framework__reference", "number")],
    }
