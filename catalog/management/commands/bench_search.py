"""Benchmark the catalog search service against a naive baseline on the configured database.

    python manage.py bench_search --listings 100000

Loads synthetic (template-written) listings in bulk under a framework of its own (FA-BENCH),
then runs a fixed mix of queries — keyword only, keyword + category, keyword + two filters,
filters only, a rare word, a word with no match, a misspelling — all with facets, through the
search service and through a naive baseline (case-insensitive contains, one COUNT per facet
value), and prints p50/p95/p99 for both.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import Q

from agreements.models import Admission, CeilingPrice, FrameworkAgreement, Lot, Organization
from catalog.bulk import SEARCH_TABLES, bulk_publish, generate, leaves_by_lot, seed_attributes, seed_taxonomy
from catalog.models import Listing, NeedCategory, SearchEntry, SearchFacetValue
from catalog.search.query import parse_query
from catalog.search.service import attribute_keys, search_listings

REFERENCE = "FA-BENCH"
LOTS = [(1, "Cloud hosting", False, None, "hosting", [("vCPU-hour", "0.25"), ("GB-month", "0.12"), ("instance-month", "450")]),
        (2, "Cloud software", False, None, "software", [("user-month", "60"), ("licence-year", "900")]),
        (3, "Cloud support", False, None, "support", [("support-day", "1800"), ("support-hour", "260")]),
        (4, "Paper and consumables", True, 5, "paper", [("ream", "25"), ("box", "120"), ("cartridge", "380")]),
        (5, "Computers and peripherals", True, 15, "computers", [("unit", "6500")]),
        (6, "Office furniture", True, 20, "furniture", [("unit", "2500"), ("set", "8000")])]
KINDS = ["keyword", "keyword+category", "keyword+2 filters", "filters only", "rare word", "no match", "misspelling"]
KEYWORDS = ["backup", "website hosting", "encrypted", "video meetings", "desk", "toner", "kubernetes", "email",
            "migration", "laptop", "archive", "dashboards", "paper", "chair", "security", "booking"]
MISSPELT = ["bakup", "webiste", "kubernets", "encripted", "dashbords", "migartion", "labtop", "secuirty", "tonner"]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


class Command(BaseCommand):
    help = "Load synthetic listings and time the search service (with facets) against a naive baseline."

    def add_arguments(self, parser):
        parser.add_argument("--listings", type=int, default=100_000)
        parser.add_argument("--queries", type=int, default=210, help="Queries through the service (>= 200).")
        parser.add_argument("--baseline-queries", type=int, default=21,
                            help="Queries through the naive baseline (the same mix, fewer: it is slow).")
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args, **options):
        self.out = self.stdout.write
        started = time.perf_counter()
        framework, categories = self._setup()
        self._load(framework, categories, options["listings"], options["batch"])
        self.out(f"setup and load: {time.perf_counter() - started:.1f} s on {connection.vendor}; "
                 f"search entries in the database: {SearchEntry.objects.count()}")
        queries = self._queries(framework, categories, options["queries"])
        self.out(f"running {len(queries)} queries through the search service (facets on)…")
        service = self._time(queries, lambda q: search_listings(user=None, query=q, page_size=20))
        step = max(1, len(queries) // max(1, options["baseline_queries"]))
        baseline_mix = queries[::step][: options["baseline_queries"]]
        self.out(f"running {len(baseline_mix)} of the same queries through the naive baseline…")
        baseline = self._time(baseline_mix, self._baseline)
        self.out("")
        self.out(f"{'':22}{'queries':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
        for name, timings in (("search service", service), ("naive baseline", baseline)):
            all_times = [t for _kind, t in timings]
            self.out(f"{name:22}{len(all_times):>8}{percentile(all_times, 50):>10.1f}{percentile(all_times, 95):>10.1f}"
                     f"{percentile(all_times, 99):>10.1f}{statistics.mean(all_times):>10.1f}")
        self.out("")
        self.out("service p95 by kind of query:")
        for kind in KINDS:
            times = [t for k, t in service if k == kind]
            if times:
                self.out(f"  {kind:20} n={len(times):<4} p50 {percentile(times, 50):7.1f}  p95 {percentile(times, 95):7.1f}")
        base_times = [t for _k, t in baseline]
        comparable = [t for q, (_k, t) in zip(queries, service, strict=False) if q in baseline_mix]
        self.out(f"speed-up on the queries both ran (p50): {percentile(base_times, 50) / max(0.001, percentile(comparable, 50)):.0f}x")

    # --- data -------------------------------------------------------------------------------------
    def _setup(self):
        authority, _ = Organization.objects.get_or_create(
            identifier_scheme="XX-BENCH", legal_identifier="BENCH-AUTHORITY",
            defaults={"kind": Organization.Kind.AUTHORITY, "name": "Benchmark Procurement Authority", "country": "PE"})
        framework, created = FrameworkAgreement.objects.get_or_create(reference=REFERENCE, defaults={
            "title": "Benchmark framework", "authority": authority, "currency": "PEN",
            "status": FrameworkAgreement.Status.LIVE, "start_date": date(2026, 1, 1), "end_date": date(2028, 12, 31)})
        suppliers = []
        for index in range(40):
            supplier, _ = Organization.objects.get_or_create(
                identifier_scheme="XX-BENCH", legal_identifier=f"BENCH-SUPPLIER-{index:03d}",
                defaults={"kind": Organization.Kind.SUPPLIER, "name": f"Bench Supplier {index:03d} S.A.C.",
                          "country": "PE"})
            suppliers.append(supplier)
        lots_by_kind = {}
        for number, title, is_goods, days, kind, ceilings in LOTS:
            lot, _ = Lot.objects.get_or_create(framework=framework, number=number, defaults={
                "title": title, "is_goods": is_goods, "max_delivery_days": days})
            for unit, price in ceilings:
                CeilingPrice.objects.get_or_create(lot=lot, unit=unit, defaults={"max_unit_price": Decimal(price)})
            Admission.objects.bulk_create([Admission(supplier=s, lot=lot, status=Admission.Status.ADMITTED)
                                           for s in suppliers], ignore_conflicts=True)
            seed_attributes(lot=lot)
            lots_by_kind[kind] = [lot]
        administrator, _ = get_user_model().objects.get_or_create(
            username="bench-admin", defaults={"is_superuser": True, "is_active": False})
        categories = seed_taxonomy(actor=administrator, lots_by_kind=lots_by_kind, slug_prefix="bench-")
        self.suppliers = suppliers
        self.lots_by_kind = lots_by_kind
        return framework, categories

    def _load(self, framework, categories, wanted: int, batch: int):
        have = Listing.objects.filter(framework=framework).count()
        if have >= wanted:
            self.out(f"{have} benchmark listings already loaded; reusing them")
            self._analyze()
            return
        missing = wanted - have
        self.out(f"loading {missing} synthetic listings in batches of {batch}…")
        user, _ = get_user_model().objects.get_or_create(username="bench-loader")
        rng = random.Random(have + 1)
        ceilings = {}
        for ceiling in CeilingPrice.objects.filter(lot__framework=framework):
            ceilings.setdefault(ceiling.lot_id, {})[ceiling.unit] = ceiling.max_unit_price
        pairs = leaves_by_lot(lots_by_kind=self.lots_by_kind)
        started = time.perf_counter()
        done = 0
        while done < missing:
            size = min(batch * 4, missing - done)
            items = []
            for _index in range(size):
                leaf, lot = pairs[rng.randrange(len(pairs))]
                data = generate(rng, leaf=leaf, lot=lot, ceilings=ceilings[lot.pk])
                # A sprinkle of rare words so "rare word" queries find a handful of listings.
                if rng.random() < 0.0005:
                    data["description"] += " Includes quechua-language onboarding by the altiplanic team."
                items.append((self.suppliers[rng.randrange(len(self.suppliers))], lot, leaf, data))

            def progress(count, total, base=done):
                elapsed = time.perf_counter() - started
                self.out(f"  {base + count}/{missing} listings ({elapsed:.0f} s)")

            bulk_publish(items=items, categories=categories, published_by=user, created_by=user, progress=progress,
                         batch_size=batch, seed=rng.randrange(10**6))
            done += size
        self._analyze()

    def _analyze(self):
        """Planner statistics and visibility maps for every table a search reads (autovacuum may be off
        or not have caught up after a bulk load): the narrow copy and the bitmaps are what is queried."""
        if connection.vendor != "postgresql":
            return
        self.out("VACUUM ANALYZE…")
        with connection.cursor() as cursor:
            for table in SEARCH_TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")

    def _queries(self, framework, categories, count: int) -> list[dict]:
        rng = random.Random(42)
        lots = list(Lot.objects.filter(framework=framework).order_by("number"))
        roots = [c for c in categories.values() if c.parent_id is None]
        filters = [("data_location", ["peru", "latam", "eu"]), ("support_hours", ["24x7", "extended"]),
                   ("free_trial", ["true"]), ("certifications", ["iso27001", "soc2"]),
                   ("deployment_model", ["public", "private"]), ("delivery_zone", ["lima", "south"])]
        queries = []
        for index in range(count):
            kind = KINDS[index % len(KINDS)]
            query = {"framework": str(framework.pk)}
            if kind == "keyword":
                query["q"] = rng.choice(KEYWORDS)
            elif kind == "keyword+category":
                query["q"] = rng.choice(KEYWORDS)
                query["category"] = str(rng.choice(roots).pk)
            elif kind == "keyword+2 filters":
                query["q"] = rng.choice(KEYWORDS)
                for key, values in rng.sample(filters, 2):
                    query[key] = rng.choice(values)
            elif kind == "filters only":
                query["lot"] = str(rng.choice(lots[:3]).pk)
                key, values = rng.choice(filters[:5])
                query[key] = rng.sample(values, min(2, len(values)))
                if rng.random() < 0.5:
                    query["price_max"] = "0.20"
            elif kind == "rare word":
                query["q"] = rng.choice(["quechua", "altiplanic", "quechua onboarding"])
            elif kind == "no match":
                query["q"] = rng.choice(["zeppelin", "submarine", "xylophone"])
            else:
                query["q"] = rng.choice(MISSPELT)
            query["_kind"] = kind
            queries.append(query)
        return queries

    def _time(self, queries, run):
        timings = []
        for index, query in enumerate(queries, start=1):
            clean = {k: v for k, v in query.items() if k != "_kind"}
            started = time.perf_counter()
            run(clean)
            timings.append((query["_kind"], (time.perf_counter() - started) * 1000))
            if index % 50 == 0 or index == len(queries):
                self.out(f"  {index}/{len(queries)}")
        return timings

    # --- the naive baseline ---------------------------------------------------------------------
    def _baseline(self, query: dict):
        """icontains over the text fields, filters through the ORM, and one COUNT per facet value."""
        parsed = parse_query(query, attribute_keys=attribute_keys())
        base = SearchEntry.objects.all()
        if parsed.frameworks:
            base = base.filter(framework_id__in=parsed.frameworks)
        if parsed.price_max is not None:
            base = base.filter(unit_price__lte=parsed.price_max)
        for word in parsed.text.positive_words():
            base = base.filter(Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
                               | Q(tags__icontains=word))

        def condition(key, values):
            if key == "lot":
                return Q(lot_id__in=[int(v) for v in values])
            if key == "category":
                q = Q()
                for value in values:
                    path = NeedCategory.objects.filter(pk=int(value)).values_list("path", flat=True).first() or "-"
                    q |= Q(listing__categories__path__startswith=path)
                return q
            q = Q()
            for value in values:
                q |= Q(**{f"attributes__{key}__icontains": value})
            return q

        filters = {key: condition(key, values) for key, values in parsed.facet_filters.items()}
        results = base
        for q in filters.values():
            results = results.filter(q)
        count = results.distinct().count()
        list(results.distinct().order_by("tie_hash")[:20].values_list("pk", flat=True))
        facets = {}
        for facet, value in SearchFacetValue.objects.values_list("facet", "value"):
            others = base
            for key, q in filters.items():
                if key != facet:
                    others = others.filter(q)
            facets[(facet, value)] = others.filter(condition(facet, [value])).distinct().count()
        return count, facets
