"""Benchmark: audit appends and chain verification against plain inserts, in one run.

Appends go through ``audit_record`` (each in its own transaction) from N threads, each thread
with its own database connection. The baseline inserts rows of the same shape, one per
transaction, from the same number of threads, into a scratch table with the same columns and
indexes but no chain (no lock, no head read, no hash); the table is created for the run and
dropped afterwards. The events appended to the real audit table stay there: audit events can
never be deleted, so run this against a scratch database.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress

from django.apps.registry import Apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, models, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from audit.verify import verify_chain

SCRATCH_TABLE = "audit_bench_plain_insert"


def _scratch_model():
    """A throw-away model with AuditEvent's columns and indexes, in its own app registry."""
    registry = Apps()
    meta = type(
        "Meta",
        (),
        {
            "app_label": "audit_bench",
            "db_table": SCRATCH_TABLE,
            "apps": registry,
            "indexes": [
                models.Index(fields=["target_type", "target_id"], name="audit_bench_target_idx"),
                models.Index(fields=["organization_id_snapshot", "sequence"], name="audit_bench_org_idx"),
            ],
        },
    )
    attributes = {
        "__module__": __name__,
        "Meta": meta,
        "sequence": models.PositiveBigIntegerField(unique=True),
        "occurred_at": models.DateTimeField(),
        "actor_id": models.BigIntegerField(null=True),
        "actor_name": models.CharField(max_length=150, blank=True),
        "organization_id_snapshot": models.BigIntegerField(null=True),
        "organization_name": models.CharField(max_length=255, blank=True),
        "action": models.CharField(max_length=100, db_index=True),
        "target_type": models.CharField(max_length=100, blank=True),
        "target_id": models.CharField(max_length=64, blank=True),
        "payload": models.JSONField(default=dict),
        "prev_hash": models.CharField(max_length=64),
        "hash": models.CharField(max_length=64, unique=True),
    }
    return type("PlainInsertRow", (models.Model,), attributes)


class _Organization:
    pk = 42
    name = "Benchmark Procurement Office"


class Command(BaseCommand):
    help = (
        "Append N audit events from several threads, then verify the chain; print events/s next to a "
        "baseline of plain inserts (same columns, no chain) measured in the same run. Appended events are "
        "permanent: use a scratch database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=100_000)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-baseline", action="store_true", help="Skip the plain-insert baseline.")

    def handle(self, *args, events: int, threads: int, no_baseline: bool, **options):
        if events < 1 or threads < 1:
            raise CommandError("--events and --threads must be at least 1.")
        settings_dict = connection.settings_dict
        self.stdout.write(
            f"database: {connection.vendor} {settings_dict['NAME']}; events: {events}; threads: {threads}"
        )
        if connection.vendor == "sqlite":
            self._sqlite_immediate(settings_dict)
        before = AuditEvent.objects.count()
        self.stdout.write(f"audit events already stored: {before} (the {events} appended here stay: append-only)")

        figures: dict[str, float] = {}
        if not no_baseline:
            figures["plain"] = self._baseline(events, threads)
        figures["append"] = self._appends(events, threads)

        self.stdout.write("verify: recomputing the whole chain…")
        started = time.perf_counter()
        result = verify_chain(progress=self._progress_printer("verify", AuditEvent.objects.count(), started),
                              workers=os.cpu_count() or 1)
        elapsed = time.perf_counter() - started
        figures["verify"] = result.events / elapsed if elapsed else 0.0
        self.stdout.write(
            f"verify: {result.events} events in {elapsed:.2f}s = {figures['verify']:,.0f} events/s; "
            f"ok={result.ok}; head={result.head}"
        )
        started = time.perf_counter()
        scanned = sum(1 for _row in AuditEvent.objects.order_by("sequence").values_list("sequence", "hash", "payload")
                      .iterator(chunk_size=5000))
        elapsed = time.perf_counter() - started
        figures["scan"] = scanned / elapsed if elapsed else 0.0

        self.stdout.write("")
        self.stdout.write("summary (events/s):")
        if "plain" in figures:
            self.stdout.write(
                f"  baseline plain inserts, one per transaction, {threads} threads: {figures['plain']:>12,.0f}"
            )
        self.stdout.write(f"  audit appends (audit_record), one per transaction, {threads} threads: {figures['append']:>12,.0f}")
        if "plain" in figures and figures["plain"]:
            self.stdout.write(f"  appends / plain inserts: {figures['append'] / figures['plain']:.0%} (goal >= 50%)")
        self.stdout.write(f"  verify (recompute every hash and link): {figures['verify']:>12,.0f} (goal >= 100,000)")
        self.stdout.write(f"  baseline read-only scan of the same rows, no hashing: {figures['scan']:>12,.0f}")
        if not result.ok:
            raise CommandError(f"the chain is broken: {result.as_dict()['first_broken']}")

    def _sqlite_immediate(self, settings_dict) -> None:
        """Appends on SQLite rely on BEGIN IMMEDIATE (see settings); a DATABASE_URL may lack it.

        Threads queue for SQLite's single writer lock by polling; on a busy machine one may wait
        longer than the usual timeout, so the run allows two minutes.
        """
        options = settings_dict.setdefault("OPTIONS", {})
        if options.get("transaction_mode") != "IMMEDIATE":
            options["transaction_mode"] = "IMMEDIATE"
            self.stdout.write("note: SQLite connection set to transaction_mode=IMMEDIATE for this run")
        options["timeout"] = max(options.get("timeout", 5), 120)
        connection.close()

    def _baseline(self, events: int, threads: int) -> float:
        model = _scratch_model()
        with connection.schema_editor() as editor:
            with suppress(Exception):
                editor.delete_model(model)
        with connection.schema_editor() as editor:
            editor.create_model(model)
        try:
            self.stdout.write(
                f"baseline: plain ORM inserts into scratch table {SCRATCH_TABLE} (same columns and indexes, "
                "no lock, no head read, no hash), each in its own transaction"
            )
            now = timezone.now()

            def insert(number: int) -> None:
                with transaction.atomic():
                    model.objects.create(
                        sequence=number,
                        occurred_at=now,
                        actor_name="system",
                        organization_id_snapshot=_Organization.pk,
                        organization_name=_Organization.name,
                        action="bench.append",
                        target_type="bench.item",
                        target_id=str(number),
                        payload={"n": number, "kind": "benchmark", "amount": "12.50"},
                        prev_hash=f"{number - 1:064x}",
                        hash=f"{number:064x}",
                    )

            return self._run_threads("baseline", events, threads, insert)
        finally:
            connection.close()
            with connection.schema_editor() as editor:
                editor.delete_model(model)
            self.stdout.write(f"baseline: scratch table {SCRATCH_TABLE} dropped")

    def _appends(self, events: int, threads: int) -> float:
        self.stdout.write("append: audit_record(...) each in its own transaction")
        organization = _Organization()

        def append(number: int) -> None:
            audit_record(
                action="bench.append",
                organization=organization,
                target_type="bench.item",
                target_id=number,
                payload={"n": number, "kind": "benchmark", "amount": "12.50"},
            )

        return self._run_threads("append", events, threads, append)

    def _run_threads(self, label: str, events: int, threads: int, work: Callable[[int], None]) -> float:
        done = [0] * threads
        errors: list[BaseException] = []

        def worker(index: int) -> None:
            try:
                for number in range(index + 1, events + 1, threads):
                    work(number)
                    done[index] += 1
            except BaseException as error:  # reported by the main thread
                errors.append(error)
            finally:
                connections.close_all()

        # Threads of one process share the GIL: a thread woken inside the chain lock must not wait
        # out the default 5 ms switch interval behind threads doing their own Python work.
        # (Real appenders are separate web and worker processes.) Applies to baseline and appends.
        previous_interval = sys.getswitchinterval()
        sys.setswitchinterval(0.0002)
        workers = [threading.Thread(target=worker, args=(index,), daemon=True) for index in range(threads)]
        started = time.perf_counter()
        for thread in workers:
            thread.start()
        report = self._progress_printer(label, events, started)
        last_report = started
        while any(thread.is_alive() for thread in workers):
            for thread in workers:
                thread.join(timeout=0.2)
            if time.perf_counter() - last_report >= 2:
                last_report = time.perf_counter()
                report(sum(done))
        elapsed = time.perf_counter() - started
        sys.setswitchinterval(previous_interval)
        if errors:
            raise CommandError(f"{label} failed: {errors[0]!r}")
        rate = events / elapsed
        self.stdout.write(f"{label}: {events} rows in {elapsed:.2f}s = {rate:,.0f} events/s")
        return rate

    def _progress_printer(self, label: str, total: int, started: float) -> Callable[[int], None]:
        def report(count: int) -> None:
            elapsed = time.perf_counter() - started
            rate = count / elapsed if elapsed else 0.0
            self.stdout.write(f"  {label}: {count}/{total} ({count / max(total, 1):.0%}, {rate:,.0f}/s)")

        return report
