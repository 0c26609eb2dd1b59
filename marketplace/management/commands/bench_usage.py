"""Benchmark usage posting through the service layer.

    python manage.py bench_usage --posts 20000 --threads 8

Three runs in one go, each with ``--posts`` posts spread over ``--threads`` threads:

1. baseline: plain ``UsageRecord`` inserts in their own transactions, no cap check, no increment;
2. one hot order: every post goes to the same order row (the worst case for the conditional
   UPDATE, which serializes writers on that row);
3. ``--orders`` orders (default 8): posts spread round-robin over several orders;
4. one hot order whose line has its own cap, set below the order's: every post also checks and
   increments the line, so it takes the slower multi-statement path, and the line cap is the one hit.

The cap of each order is set below the total offered, so the cap is hit and overspend can be
checked (of the line too in run 4). The command creates its own fixtures, named ``BENCH-…``, and deletes its orders at the
end unless ``--keep``. Audit events written along the way (order creation, capping) stay: they
are append-only by design.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from agreements.models import FrameworkAgreement, Lot, Membership, Organization
from catalog.models import Listing, ListingVersion
from marketplace.notifications.models import Notification
from marketplace.orders.models import CallOffOrder, OrderLine, ThresholdCrossing, UsageRecord
from marketplace.orders.services import UsageReading, order_record_usage

UNIT_PRICE = Decimal("0.200000")
QUANTITY = Decimal("5")  # 1.00 per post


class Command(BaseCommand):
    help = "Benchmark usage posting against one hot order and against several orders, with a baseline."

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, default=20000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--orders", type=int, default=8)
        parser.add_argument("--cap-ratio", type=float, default=0.8,
                            help="Cap as a share of what is offered (below 1 so the cap is hit).")
        parser.add_argument("--keep", action="store_true", help="Keep the bench orders and records.")

    def handle(self, *args, **options):
        posts, threads = options["posts"], options["threads"]
        self.stdout.write(f"Database: {connection.vendor} ({connection.settings_dict['NAME']}); "
                          f"{posts} posts per run, {threads} threads")
        run_id = uuid.uuid4().hex[:8]
        fixtures = self._fixtures(run_id)
        offered = QUANTITY * UNIT_PRICE * posts
        cap_total = (offered * Decimal(str(options["cap_ratio"]))).quantize(Decimal("1"))
        created_orders = []
        try:
            baseline_order = self._order(fixtures, run_id, "baseline", cap=offered)
            created_orders.append(baseline_order)
            baseline = self._run("baseline (plain inserts, no cap check)", posts, threads,
                                 lambda i: self._plain_insert(baseline_order, i, run_id))

            hot = self._order(fixtures, run_id, "hot", cap=cap_total)
            created_orders.append(hot)
            hot_result = self._run("one hot order (service layer)", posts, threads,
                                   lambda i: self._post(fixtures, hot, i, run_id))

            count = options["orders"]
            spread_orders = [self._order(fixtures, run_id, f"spread{n}", cap=(cap_total / count).quantize(Decimal("1")))
                             for n in range(count)]
            created_orders.extend(spread_orders)
            spread = self._run(f"{count} orders (service layer)", posts, threads,
                               lambda i: self._post(fixtures, spread_orders[i % count], i, run_id))

            capped_line = self._order(fixtures, run_id, "linecap", cap=cap_total,
                                      line_cap=(cap_total * Decimal("0.9")).quantize(Decimal("1")))
            created_orders.append(capped_line)
            line_capped = self._run("one hot order, line with its own cap", posts, threads,
                                    lambda i: self._post(fixtures, capped_line, i, run_id))

            self.stdout.write("")
            self._report(baseline, None, "baseline")
            self._report(hot_result, [hot], "hot")
            self._report(spread, spread_orders, "spread")
            self._report(line_capped, [capped_line], "line cap")
        finally:
            if not options["keep"]:
                self._cleanup(created_orders)

    # ------------------------------------------------------------------ fixtures

    def _fixtures(self, run_id: str) -> dict:
        User = get_user_model()
        with transaction.atomic():
            authority, _ = Organization.objects.get_or_create(
                identifier_scheme="XX-BENCH", legal_identifier="BENCH-AUTHORITY",
                defaults={"kind": Organization.Kind.AUTHORITY, "name": "BENCH authority", "country": "PE"})
            buyer, _ = Organization.objects.get_or_create(
                identifier_scheme="XX-BENCH", legal_identifier="BENCH-BUYER",
                defaults={"kind": Organization.Kind.BUYER, "name": "BENCH buyer", "country": "PE"})
            supplier, _ = Organization.objects.get_or_create(
                identifier_scheme="XX-BENCH", legal_identifier="BENCH-SUPPLIER",
                defaults={"kind": Organization.Kind.SUPPLIER, "name": "BENCH supplier", "country": "PE"})
            user, _ = User.objects.get_or_create(username="bench-supplier")
            Membership.objects.get_or_create(user=user, organization=supplier, role=Membership.Role.PUBLISHER)
            today = timezone.localdate()
            framework, _ = FrameworkAgreement.objects.get_or_create(
                reference="BENCH-FA", defaults={
                    "title": "BENCH framework", "authority": authority, "currency": "PEN",
                    "status": FrameworkAgreement.Status.LIVE, "start_date": today - timedelta(days=365),
                    "end_date": today + timedelta(days=3 * 365)})
            lot, _ = Lot.objects.get_or_create(framework=framework, number=1, defaults={"title": "BENCH lot"})
            listing, _ = Listing.objects.get_or_create(
                supplier=supplier, framework=framework, lot=lot, title="BENCH compute",
                defaults={"summary": "bench", "unit": "vCPU-hour", "unit_price": UNIT_PRICE, "created_by": user,
                          "status": Listing.Status.PUBLISHED})
            version = ListingVersion.objects.filter(listing=listing).first() or ListingVersion.objects.create(
                listing=listing, number=1, supplier=supplier, framework=framework, lot=lot, title="BENCH compute",
                summary="bench", unit="vCPU-hour", unit_price=UNIT_PRICE, ceiling_price=UNIT_PRICE,
                content_hash="0" * 64, published_at=timezone.now())
        return {"buyer": buyer, "supplier": supplier, "user": user, "framework": framework, "version": version}

    def _order(self, fixtures: dict, run_id: str, name: str, *, cap: Decimal,
               line_cap: Decimal | None = None) -> CallOffOrder:
        today = timezone.localdate()
        order = CallOffOrder.objects.create(
            reference=f"BENCH-{run_id}-{name}", buyer=fixtures["buyer"], supplier=fixtures["supplier"],
            framework=fixtures["framework"], status=CallOffOrder.Status.ACTIVE, cap=cap, original_cap=cap,
            start_date=today - timedelta(days=30), end_date=today + timedelta(days=30), created_by=fixtures["user"])
        OrderLine.objects.create(order=order, listing_version=fixtures["version"], description="BENCH compute",
                                 unit="vCPU-hour", unit_price=UNIT_PRICE, cap=line_cap)
        order.bench_line_id = order.lines.get().pk
        return order

    # ------------------------------------------------------------------ work items

    def _post(self, fixtures: dict, order: CallOffOrder, index: int, run_id: str) -> bool:
        reading = UsageReading(line_id=order.bench_line_id, quantity=QUANTITY, occurred_at=timezone.now(),
                               idempotency_key=f"bench-{run_id}-{index}")
        outcome = order_record_usage(actor=fixtures["user"], order_id=order.pk, reading=reading, source="bench")
        return outcome.accepted

    def _plain_insert(self, order: CallOffOrder, index: int, run_id: str) -> bool:
        with transaction.atomic():
            UsageRecord.objects.create(
                order_id=order.pk, line_id=order.bench_line_id, quantity=QUANTITY, occurred_at=timezone.now(),
                idempotency_key=f"bench-{run_id}-{index}", status=UsageRecord.Status.ACCEPTED,
                amount=QUANTITY * UNIT_PRICE, remaining_after=Decimal("0.00"), source="bench",
            )
        return True

    # ------------------------------------------------------------------ runner

    def _run(self, label: str, posts: int, threads: int, work) -> dict:
        self.stdout.write(f"\n{label}: {posts} posts …")
        latencies: list[list[float]] = [[] for _ in range(threads)]
        accepted = [0] * threads
        done = [0]
        lock = threading.Lock()
        errors: list[BaseException] = []
        next_index = iter(range(posts))
        step = max(posts // 10, 1)

        def worker(slot: int):
            try:
                while True:
                    with lock:
                        index = next(next_index, None)
                    if index is None:
                        return
                    started = time.perf_counter()
                    ok = work(index)
                    latencies[slot].append(time.perf_counter() - started)
                    accepted[slot] += 1 if ok else 0
                    with lock:
                        done[0] += 1
                        if done[0] % step == 0:
                            self.stdout.write(f"  {done[0]}/{posts} ({100 * done[0] // posts}%)")
            except BaseException as error:  # noqa: BLE001 - reported after the run
                errors.append(error)
            finally:
                connection.close()

        started = time.perf_counter()
        pool = [threading.Thread(target=worker, args=(slot,)) for slot in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise errors[0]
        flat = sorted(latency for bucket in latencies for latency in bucket)
        return {"label": label, "elapsed": elapsed, "posts": len(flat), "accepted": sum(accepted), "latencies": flat}

    def _report(self, result: dict, orders: list[CallOffOrder] | None, kind: str) -> None:
        flat = result["latencies"]
        p50 = statistics.median(flat) * 1000
        p95 = flat[min(len(flat) - 1, int(len(flat) * 0.95))] * 1000
        line = (f"{result['label']:<42} posts/s {result['posts'] / result['elapsed']:8.0f}  "
                f"accepted records/s {result['accepted'] / result['elapsed']:8.0f}  "
                f"p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  ({result['posts']} posts in {result['elapsed']:.1f} s)")
        self.stdout.write(line)
        if orders is None:
            return
        ids = [order.pk for order in orders]
        cap = sum(CallOffOrder.objects.filter(pk__in=ids).values_list("cap", flat=True))
        spent = sum(CallOffOrder.objects.filter(pk__in=ids).values_list("spent", flat=True))
        accepted_sum = UsageRecord.objects.filter(order_id__in=ids, status="accepted").aggregate(
            total=Sum("amount"))["total"] or Decimal("0.00")
        overspend = sum(max(Decimal("0.00"), o.spent - o.cap) for o in CallOffOrder.objects.filter(pk__in=ids))
        mismatch = spent - accepted_sum
        self.stdout.write(
            f"{'':<42} accepted {result['accepted']} records, total accepted {accepted_sum} vs cap {cap}; "
            f"spent {spent}; overspend {overspend:.2f}; spent minus sum of records {mismatch:.2f}"
        )
        for line in OrderLine.objects.filter(order_id__in=ids, cap__isnull=False):
            line_sum = UsageRecord.objects.filter(line_id=line.pk, status="accepted").aggregate(
                total=Sum("amount"))["total"] or Decimal("0.00")
            self.stdout.write(
                f"{'':<42} line cap {line.cap}: line spent {line.spent}; "
                f"line overspend {max(Decimal('0.00'), line.spent - line.cap):.2f}; "
                f"line spent minus sum of its records {line.spent - line_sum:.2f}"
            )

    def _cleanup(self, orders: list[CallOffOrder]) -> None:
        ids = [order.pk for order in orders]
        with transaction.atomic():
            Notification.objects.filter(target_type="marketplace.callofforder", target_id__in=[str(i) for i in ids]).delete()
            ThresholdCrossing.objects.filter(order_id__in=ids).delete()
            UsageRecord.objects.filter(order_id__in=ids).delete()
            OrderLine.objects.filter(order_id__in=ids).delete()
            CallOffOrder.objects.filter(pk__in=ids).delete()
        self.stdout.write(f"\nRemoved {len(ids)} bench orders and their records (fixtures BENCH-* kept for reuse).")
