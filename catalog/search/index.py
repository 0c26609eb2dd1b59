"""Writing the search read model: one ``SearchEntry`` per published listing.

Called by the catalog services inside their transactions (publish, suspend, withdraw, stock).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from catalog.models import Listing, ListingVersion, NeedCategory, SearchEntry, SearchFacetValue, SearchTerm
from catalog.search.query import normalize_attribute_value, words_of


def tie_hash_of(listing_id: int) -> int:
    """A stable pseudo-random rank for ties: the first 7 bytes of SHA-256 of the listing id."""
    return int.from_bytes(hashlib.sha256(f"listing:{listing_id}".encode()).digest()[:7], "big")


def category_path_ids(path: str) -> list[int]:
    return [int(part) for part in path.split("/") if part]


def categories_with_ancestors(category_ids: Iterable[int], paths: dict[int, str] | None = None) -> list[int]:
    """The given categories and all their ancestors, read from the materialized paths."""
    category_ids = list(category_ids)
    if paths is None:
        paths = dict(NeedCategory.objects.filter(pk__in=category_ids).values_list("pk", "path"))
    result: set[int] = set()
    for category_id in category_ids:
        path = paths.get(category_id)
        result.update(category_path_ids(path) if path else [category_id])
    return sorted(result)


def facet_pairs(*, lot_id: int, category_ids: Iterable[int], attributes: dict) -> list[tuple[str, str]]:
    pairs = [("lot", str(lot_id))] + [("category", str(c)) for c in category_ids]
    for key, value in sorted((attributes or {}).items()):
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is None or item == "":
                continue
            pair = (key, normalize_attribute_value(item))
            if pair not in pairs:
                pairs.append(pair)
    return pairs


def facet_value_map(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Ids of facet values, created when new (two queries whatever the number of pairs)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    SearchFacetValue.objects.bulk_create([SearchFacetValue(facet=f, value=v) for f, v in sorted(pairs)],
                                         ignore_conflicts=True)
    result = {}
    for facet, value, pk in SearchFacetValue.objects.filter(facet__in={f for f, _ in pairs}).values_list(
        "facet", "value", "pk"
    ):
        if (facet, value) in pairs:
            result[(facet, value)] = pk
    return result


def facet_value_ids(pairs: Iterable[tuple[str, str]]) -> list[int]:
    mapping = facet_value_map(pairs)
    return sorted(set(mapping.values()))


def facet_dictionary() -> dict[int, tuple[str, str]]:
    """id -> (facet, value) for every facet value; refreshed from the database each call."""
    rows = SearchFacetValue.objects.values_list("pk", "facet", "value")
    return {pk: (facet, value) for pk, facet, value in rows}


def _facet_ids(pairs: list[tuple[str, str]], facet_map: dict | None) -> list[int]:
    if facet_map is not None and all(pair in facet_map for pair in pairs):
        return sorted({facet_map[pair] for pair in pairs})
    return facet_value_ids(pairs)


def _text(values: Iterable[str]) -> str:
    return "\n".join(v for v in values if v)


def build_entry(*, listing: Listing, version: ListingVersion, supplier_name: str,
                category_names: dict[int, str], paths: dict[int, str] | None = None,
                facet_map: dict[tuple[str, str], int] | None = None) -> SearchEntry:
    """The search entry for a version (unsaved). ``category_names`` covers the version's categories."""
    expanded = categories_with_ancestors(version.category_ids, paths)
    body = _text([version.description, *version.features, *version.benefits])
    tags = _text([supplier_name, *(category_names.get(c, "") for c in expanded)])
    document = " ".join(words_of(_text([version.title, version.summary, body, tags])))
    return SearchEntry(
        listing_id=listing.pk, version=version, framework_id=version.framework_id, lot_id=version.lot_id,
        supplier_id=version.supplier_id, supplier_name=supplier_name, title=version.title,
        summary=version.summary, body=body, tags=tags, document=document, unit=version.unit,
        unit_price=version.unit_price, in_stock=listing.in_stock, attributes=version.attributes,
        category_ids=expanded,
        facet_ids=_facet_ids(facet_pairs(lot_id=version.lot_id, category_ids=expanded,
                                         attributes=version.attributes), facet_map),
        published_at=version.published_at, tie_hash=tie_hash_of(listing.pk),
    )


def vocabulary_add(documents: Iterable[str]) -> None:
    words: set[str] = set()
    for document in documents:
        words.update(w for w in document.split() if 3 <= len(w) <= 60 and not w.isdigit())
    if words:
        SearchTerm.objects.bulk_create([SearchTerm(word=w) for w in sorted(words)], ignore_conflicts=True,
                                       batch_size=2000)


def index_listing(*, listing: Listing) -> SearchEntry | None:
    """Write (or remove) the listing's entry so search shows exactly its current published version."""
    if listing.current_version_id is None or listing.status in (Listing.Status.SUSPENDED, Listing.Status.WITHDRAWN):
        SearchEntry.objects.filter(listing=listing).delete()
        return None
    version = listing.current_version
    paths = dict(NeedCategory.objects.values_list("pk", "path"))
    expanded = categories_with_ancestors(version.category_ids, paths)
    names = dict(NeedCategory.objects.filter(pk__in=expanded).values_list("pk", "name"))
    entry = build_entry(listing=listing, version=version, supplier_name=listing.supplier.name,
                        category_names=names, paths=paths)
    SearchEntry.objects.filter(listing=listing).delete()
    entry.save(force_insert=True)
    vocabulary_add([entry.document])
    return entry


def set_stock_flag(*, listing: Listing) -> None:
    SearchEntry.objects.filter(listing=listing).update(in_stock=listing.in_stock)
