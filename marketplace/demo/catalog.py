"""The demo catalog: need taxonomy, filter questions per lot, 1,600 published listings, a review queue."""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model

from agreements.models import CeilingPrice, FrameworkAgreement, Lot, Organization
from catalog import services
from catalog.bulk import (
    bulk_publish,
    generate,
    leaves_by_lot,
    record_bulk_publication,
    seed_attributes,
    seed_taxonomy,
)
from catalog.models import Listing

DEMO_LISTINGS = 1600
LOT_KINDS = {("FA-2026-CLOUD", 1): "hosting", ("FA-2026-CLOUD", 2): "software", ("FA-2026-CLOUD", 3): "support",
             ("FA-2026-OFFICE", 1): "paper", ("FA-2026-OFFICE", 2): "computers", ("FA-2026-OFFICE", 3): "furniture"}


def seed_catalog(out, orgs: dict[str, Organization]) -> None:
    lots_by_kind: dict[str, list[Lot]] = {}
    for lot in Lot.objects.filter(framework__reference__in=["FA-2026-CLOUD", "FA-2026-OFFICE"]).select_related("framework"):
        kind = LOT_KINDS.get((lot.framework.reference, lot.number))
        if kind:
            lots_by_kind.setdefault(kind, []).append(lot)
            seed_attributes(lot=lot)
    categories = seed_taxonomy(actor=get_user_model().objects.get(username="authority"), lots_by_kind=lots_by_kind)
    out(f"  need categories: {len(categories)}")
    suppliers = [org for key, org in sorted(orgs.items()) if key.startswith("supplier")]
    User = get_user_model()
    authority_user = User.objects.get(username="authority")
    supplier_user = User.objects.get(username="supplier")
    if Listing.objects.filter(supplier__in=suppliers).exists():
        out(f"  listings already loaded: {Listing.objects.filter(supplier__in=suppliers).count()}")
        return
    rng = random.Random(2026)
    ceilings: dict[int, dict] = {}
    for ceiling in CeilingPrice.objects.all():
        ceilings.setdefault(ceiling.lot_id, {})[ceiling.unit] = ceiling.max_unit_price
    pairs = leaves_by_lot(lots_by_kind=lots_by_kind)
    items = []
    for index in range(DEMO_LISTINGS):
        leaf, lot = pairs[index % len(pairs)]
        data = generate(rng, leaf=leaf, lot=lot, ceilings=ceilings[lot.pk])
        # Prove each generated draft passes the same rules as the services (ceiling, attributes, goods).
        services.clean_draft(lot=lot, data={**data, "categories": [categories[leaf].pk]}, require_complete=True)
        items.append((rng.choice(suppliers), lot, leaf, data))

    def progress(done, total):
        out(f"  published {done}/{total} listings")

    bulk_publish(items=items, categories=categories, published_by=authority_user, created_by=supplier_user,
                 progress=progress, batch_size=400)
    ids = list(Listing.objects.filter(supplier__in=suppliers).values_list("pk", flat=True))
    record_bulk_publication(actor=authority_user, count=len(ids), label="seed_demo", listing_ids=ids)
    _seed_review_queue(out, supplier_user, authority_user, lots_by_kind, categories, ceilings, rng)


def _seed_review_queue(out, supplier_user, authority_user, lots_by_kind, categories, ceilings, rng) -> None:
    """A few listings through the real services: drafts, a submitted one, a rejected one."""
    lot = lots_by_kind["hosting"][0]
    framework = FrameworkAgreement.objects.get(pk=lot.framework_id)
    made = []
    for leaf in ("backup", "virtual-servers", "cdn", "relational-db"):
        data = generate(rng, leaf=leaf, lot=lot, ceilings=ceilings[lot.pk])
        data["title"] = f"{data['title']} (new offer)"
        made.append(services.listing_create(actor=supplier_user, framework=framework, lot=lot,
                                            data={**data, "categories": [categories[leaf].pk]}))
    services.listing_submit(actor=supplier_user, listing=made[0])
    services.listing_submit(actor=supplier_user, listing=made[1])
    services.listing_submit(actor=supplier_user, listing=made[2])
    services.listing_reject(actor=authority_user, listing=made[2],
                            reason="Say which data centres hold the copies and for how long.")
    out("  review queue: 2 submitted, 1 rejected, 1 draft for user 'supplier'")
