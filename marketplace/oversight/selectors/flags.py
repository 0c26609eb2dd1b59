"""The red flags an auditor reads: the list, filtered, and the count per buyer for the chart."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, QuerySet

from marketplace.oversight.models import RedFlag
from marketplace.oversight.selectors.access import require_oversight


def red_flags(*, user: User, kind: str = "", buyer: int | None = None, include_cleared: bool = False) -> QuerySet[RedFlag]:
    require_oversight(user)
    queryset = RedFlag.objects.select_related("buyer", "supplier", "award", "order", "competition")
    if not include_cleared:
        queryset = queryset.filter(cleared_at__isnull=True)
    if kind:
        queryset = queryset.filter(kind=kind)
    if buyer is not None:
        queryset = queryset.filter(buyer_id=buyer)
    return queryset.order_by("-raised_at", "-pk")


def red_flags_by_buyer(*, user: User) -> list[dict[str, Any]]:
    """Active flags counted per buyer, most first: ``[{"buyer_id", "buyer", "count", "by_kind"}]``."""
    rows: dict[int, dict[str, Any]] = {}
    for buyer_id, buyer_name, kind, count in (
        red_flags(user=user).values_list("buyer_id", "buyer__name", "kind").annotate(count=Count("pk"))
        .order_by("buyer__name", "kind")
    ):
        row = rows.setdefault(buyer_id, {"buyer_id": buyer_id, "buyer": buyer_name, "count": 0, "by_kind": {}})
        row["count"] += count
        row["by_kind"][kind] = count
    return sorted(rows.values(), key=lambda row: (-row["count"], row["buyer"]))
