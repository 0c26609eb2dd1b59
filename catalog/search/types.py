from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class SearchHit:
    listing_id: int
    version_id: int
    version: int
    title: str
    summary: str
    highlighted_summary: str
    supplier_id: int
    supplier_name: str
    framework_id: int
    lot_id: int
    unit: str
    unit_price: Decimal
    categories: list[dict]
    in_stock: bool
    rank: float


@dataclass
class SearchResult:
    count: int
    results: list[SearchHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    # When a word was not found and a close one was used instead: the query actually run.
    suggestion: str | None = None
    # True when the results shown are those of ``suggestion``; False when it found nothing either.
    corrected: bool = False
    page: int = 1
    page_size: int = 20

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))


@dataclass
class BackendPage:
    """What a backend returns: the total, the page of entry ids with their ranks, the facet counts."""

    count: int
    entry_ranks: list[tuple[int, float]]
    facet_counts: dict[int, int] | None
