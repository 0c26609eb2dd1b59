"""Bulk loading of published listings for the demo and the benchmark.

The result is what the services produce one by one — drafts that pass ``clean_draft``, versions
built by ``build_version`` (within the ceiling), search entries built by ``build_entry`` — but
written with ``bulk_create`` and summarized by one audit event per load.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from agreements.models import CeilingPrice, Lot
from audit.services import audit_record
from catalog.content import (
    BRANDS,
    CLOUD_ATTRIBUTES,
    EXIT_STATEMENTS,
    GOODS_ATTRIBUTES,
    GOODS_EXIT,
    REGIONS,
    SIZES,
    TAXONOMY,
    TIERS,
    T,
)
from catalog.models import AttributeDefinition, Listing, ListingVersion, NeedCategory, SearchEntry
from catalog.search.index import build_entry, categories_with_ancestors, facet_pairs, facet_value_map, vocabulary_add
from catalog.services.categories import category_create
from catalog.services.listings import build_version


def seed_taxonomy(*, actor: User, lots_by_kind: dict[str, list[Lot]], slug_prefix: str = "") -> dict[str, NeedCategory]:
    """The need taxonomy (idempotent by slug), created by ``actor`` (an authority administrator or a superuser). ``lots_by_kind`` maps hosting/software/support/paper/... to lots."""
    categories = {}
    for position, (slug, name, description, kinds, children) in enumerate(TAXONOMY):
        lots = [lot for kind in kinds for lot in lots_by_kind.get(kind, [])]
        parent = NeedCategory.objects.filter(slug=slug_prefix + slug).first() or category_create(
            actor=actor, name=name, slug=slug_prefix + slug, description=description, lots=lots, position=position)
        categories[slug] = parent
        for child_position, (child_slug, child_name, child_description) in enumerate(children):
            categories[child_slug] = NeedCategory.objects.filter(slug=slug_prefix + child_slug).first() or category_create(
                actor=actor, name=child_name, slug=slug_prefix + child_slug, description=child_description, parent=parent,
                lots=lots, position=child_position)
    return categories


def seed_attributes(*, lot: Lot) -> None:
    specs = GOODS_ATTRIBUTES if lot.is_goods else CLOUD_ATTRIBUTES
    for position, (key, label, kind, unit, choices) in enumerate(specs):
        AttributeDefinition.objects.get_or_create(lot=lot, key=key, defaults={
            "label": label, "kind": kind, "unit": unit, "position": position,
            "choices": [{"value": v, "label": text} for v, text in choices],
        })


def _price(rng: random.Random, ceiling: Decimal) -> Decimal:
    value = ceiling * Decimal(rng.randint(20, 100)) / Decimal(100)
    places = Decimal("0.0001") if ceiling < 10 else Decimal("0.01")
    value = value.quantize(places)
    return max(min(value, ceiling), places)


def _attributes(rng: random.Random, lot: Lot) -> dict:
    if lot.is_goods:
        zones = ["lima", "north", "south", "centre", "amazon"]
        return {"delivery_zone": sorted(rng.sample(zones, rng.randint(1, 5)), key=zones.index),
                "warranty_months": rng.choice([12, 12, 24, 24, 36, 60]),
                "recycled_content": rng.choice(["none", "none", "30", "50", "100"])}
    locations = ["peru", "latam", "usa", "eu"]
    certs = ["iso27001", "iso22301", "soc2", "pci_dss"]
    return {
        "deployment_model": rng.choice(["public", "public", "private", "hybrid", "community"]),
        "data_location": sorted(rng.sample(locations, rng.choice([1, 1, 2])), key=locations.index),
        "support_hours": rng.choice(["office", "extended", "24x7"]),
        "certifications": sorted(rng.sample(certs, rng.randint(0, 3)), key=certs.index),
        "free_trial": rng.random() < 0.4, "open_api": rng.random() < 0.7, "data_export": rng.random() < 0.85,
        "accessibility": rng.choice(["wcag22_aa", "wcag21_aa", "wcag21_aa", "wcag21_a", "none"]),
    }


def generate(rng: random.Random, *, leaf: str, lot: Lot, ceilings: dict[str, Decimal]) -> dict:
    """One listing's draft, written from the leaf need's templates."""
    titles, summaries, units, features, benefits = T[leaf]
    fill = {"brand": rng.choice(BRANDS), "tier": rng.choice(TIERS), "region": rng.choice(REGIONS),
            "size": rng.choice(SIZES)}
    unit = rng.choice([u for u in units if u in ceilings] or sorted(ceilings))
    summary = rng.choice(summaries).format(**fill)
    chosen_features = rng.sample(features, min(len(features), rng.randint(3, 5)))
    chosen_benefits = rng.sample(benefits, min(len(benefits), rng.randint(2, 3)))
    description = (f"{summary} " + f"Included: {', '.join(f.lower() for f in chosen_features)}. "
                   + f"Available to public bodies across Peru, with service from {fill['region']}.")
    data = {
        "title": rng.choice(titles).format(**fill)[:200], "summary": summary, "description": description,
        "features": chosen_features, "benefits": chosen_benefits, "attributes": _attributes(rng, lot),
        "unit": unit, "unit_price": _price(rng, ceilings[unit]), "minimum_commitment": Decimal("0"),
        "exit_statement": GOODS_EXIT if lot.is_goods else rng.choice(EXIT_STATEMENTS),
        "lead_time_days": None, "stock": None,
    }
    if lot.is_goods:
        data["lead_time_days"] = rng.randint(1, lot.max_delivery_days or 10)
        data["stock"] = 0 if rng.random() < 0.06 else rng.randint(5, 800)
    return data


def leaves_by_lot(*, lots_by_kind: dict[str, list[Lot]]) -> list[tuple[str, Lot]]:
    pairs = []
    for _slug, _name, _description, kinds, children in TAXONOMY:
        for kind in kinds:
            for lot in lots_by_kind.get(kind, []):
                pairs += [(child_slug, lot) for child_slug, _n, _d in children]
    return pairs


def bulk_publish(*, items: list[tuple], categories: dict[str, NeedCategory], published_by, created_by,
                 progress=None, batch_size: int = 2000, days_back: int = 365, seed: int = 7) -> int:
    """Write published listings. ``items``: (supplier, lot, leaf slug, draft dict)."""
    rng = random.Random(seed)
    paths = dict(NeedCategory.objects.values_list("pk", "path"))
    names = dict(NeedCategory.objects.values_list("pk", "name"))
    ceilings = {(c.lot_id, c.unit): c.max_unit_price for c in CeilingPrice.objects.all()}
    now = timezone.now()
    total = 0
    for start in range(0, len(items), batch_size):
        chunk = items[start:start + batch_size]
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Per-row bitmap upkeep would rewrite every bitmap per listing: rebuilt once below.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL catalog.bulk = 'on'")
            listings = []
            for supplier, lot, _leaf, data in chunk:
                listing = Listing(supplier=supplier, framework_id=lot.framework_id, lot=lot,
                                  status=Listing.Status.PUBLISHED, has_unpublished_changes=False, created_by=created_by,
                                  **{k: v for k, v in data.items()})
                listings.append(listing)
            Listing.objects.bulk_create(listings, batch_size=batch_size)
            through = Listing.categories.through
            through.objects.bulk_create([through(listing_id=listing.pk, needcategory_id=categories[item[2]].pk)
                                         for listing, item in zip(listings, chunk, strict=True)], batch_size=batch_size)
            versions = []
            for listing, item in zip(listings, chunk, strict=True):
                ceiling = ceilings[(listing.lot_id, listing.unit)]
                assert listing.unit_price <= ceiling, "generated price above the ceiling"
                published_at = now - timedelta(minutes=rng.randint(0, days_back * 24 * 60))
                versions.append(build_version(listing=listing, number=1, category_ids=[categories[item[2]].pk],
                                              ceiling_price=ceiling, published_by=published_by,
                                              published_at=published_at))
            ListingVersion.objects.bulk_create(versions, batch_size=batch_size)
            for listing, version in zip(listings, versions, strict=True):
                listing.current_version = version
            Listing.objects.bulk_update(listings, ["current_version"], batch_size=batch_size)
            pairs = set()
            for listing, version in zip(listings, versions, strict=True):
                expanded = categories_with_ancestors(version.category_ids, paths)
                pairs.update(facet_pairs(lot_id=listing.lot_id, category_ids=expanded, attributes=version.attributes))
            facet_map = facet_value_map(pairs)
            entries = [build_entry(listing=listing, version=version, supplier_name=item[0].name,
                                   category_names=names, paths=paths, facet_map=facet_map)
                       for listing, version, item in zip(listings, versions, chunk, strict=True)]
            SearchEntry.objects.bulk_create(entries, batch_size=batch_size)
            vocabulary_add(entry.document for entry in entries)
        total += len(chunk)
        if progress:
            progress(total, len(items))
    rebuild_facet_bitmaps()
    analyze_search_tables()
    return total


# The tables a search reads, whose planner statistics must follow a bulk load.
SEARCH_TABLES = ("catalog_searchentry", "catalog_searchterm", "catalog_searchfacetvalue",
                 "catalog_searchfacets", "catalog_facetbitmap")


def analyze_search_tables() -> None:
    """PostgreSQL: fresh planner statistics after a bulk load. Without them (autovacuum off, or
    not yet caught up) the planner guessed ~3,000 rows for a framework of 100,000 listings and
    chose plans that doubled the search p95 in ``bench_search``."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in SEARCH_TABLES:
                cursor.execute(f"ANALYZE {table}")


def rebuild_facet_bitmaps() -> None:
    """PostgreSQL: recompute every facet bitmap from the search entries (after a bulk load)."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT catalog_rebuild_facet_bitmaps()")


def record_bulk_publication(*, actor, count: int, label: str, listing_ids: list[int]) -> None:
    audit_record(action="listing.published_bulk", actor=actor, target_type="catalog.listing",
                 target_id=f"{min(listing_ids, default=0)}-{max(listing_ids, default=0)}",
                 payload={"count": count, "load": label, "first": min(listing_ids, default=None),
                          "last": max(listing_ids, default=None)})
