"""Benchmark: full chain verification against verification from the last checkpoint.

Generates a long chain quickly (hashes computed in Python exactly as ``audit_record`` would, rows
loaded with COPY on PostgreSQL, bulk inserts elsewhere), records a checkpoint and writes a scratch
copy of the checkpoint file (the published one is the checkpoint worker's), appends a few thousand
more events the same way, then times ``verify_chain`` (every event) and ``verify_from_checkpoints``
against that copy (every checkpoint still holds, then only the events after the last one). Generated events are permanent (append-only): run this against a
scratch database, e.g. ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from audit import chain
from audit.checkpoints import CHECKPOINT_FILE_NAME, checkpoint_publish, checkpoint_record, verify_from_checkpoints
from audit.models import AuditEvent
from audit.verify import verify_chain

COLUMNS = (
    "sequence", "occurred_at", "actor_id", "actor_name", "organization_id_snapshot", "organization_name",
    "action", "target_type", "target_id", "payload", "prev_hash", "hash",
)
ORGANIZATION = (42, "Benchmark Procurement Office")


class Command(BaseCommand):
    help = (
        "Generate N audit events in bulk (hash chain computed in Python), checkpoint, add M more, then time "
        "a full verification and a verification from the last checkpoint. Generated events are permanent: "
        "use a scratch database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=1_000_000, help="Events to generate before the checkpoint.")
        parser.add_argument("--after", type=int, default=5_000, help="Events to generate after the checkpoint.")
        parser.add_argument("--batch", type=int, default=50_000, help="Rows per COPY / bulk insert.")

    def handle(self, *args, events: int, after: int, batch: int, **options):
        if events < 0 or after < 0 or batch < 1:
            raise CommandError("--events and --after must be at least 0, --batch at least 1.")
        self.stdout.write(
            f"database: {connection.vendor} {connection.settings_dict['NAME']}; "
            f"already stored: {AuditEvent.objects.count()} events"
        )
        self._generate(events, batch, "generate")
        with tempfile.TemporaryDirectory(prefix="bench-verify-") as scratch:
            self._checkpoint_and_verify(after, batch, Path(scratch) / CHECKPOINT_FILE_NAME)

    def _checkpoint_and_verify(self, after: int, batch: int, copy: Path) -> None:
        """The published file is written only by the checkpoint worker (``audit.checkpoints.recording``),
        perhaps later or elsewhere: the benchmark verifies against its own scratch copy."""
        started = time.perf_counter()
        checkpoint, created = checkpoint_record()
        elapsed = time.perf_counter() - started
        if checkpoint is None:
            raise CommandError("the chain is empty: nothing to checkpoint (use --events).")
        self.stdout.write(
            f"checkpoint: #{checkpoint.sequence} {'recorded' if created else 'unchanged'} in {elapsed:.2f}s "
            f"(verifies the events since the previous checkpoint first); scratch copy {copy}"
        )
        checkpoint_publish(path=copy)
        self._generate(after, batch, "after checkpoint")
        total = AuditEvent.objects.count()

        self.stdout.write(f"full verify: recomputing all {total} events…")
        started = time.perf_counter()
        full = verify_chain(workers=os.cpu_count() or 1)
        full_time = time.perf_counter() - started
        self.stdout.write(
            f"full verify: {full.events} events in {full_time:.2f}s = {full.events / full_time:,.0f} events/s; ok={full.ok}"
        )

        started = time.perf_counter()
        incremental = verify_from_checkpoints(checkpoint_file=copy)
        incremental_time = time.perf_counter() - started
        self.stdout.write(
            f"from checkpoint: {incremental.checkpoints} checkpoint(s) checked, {incremental.events_verified} events "
            f"recomputed after #{incremental.checkpoint_sequence} in {incremental_time:.3f}s; ok={incremental.ok}"
        )
        self.stdout.write("")
        self.stdout.write(f"summary ({total} events, {incremental.events_verified} after the last checkpoint):")
        self.stdout.write(f"  audit_verify (full):              {full_time:10.3f}s")
        self.stdout.write(f"  audit_verify --from-checkpoint:   {incremental_time:10.3f}s")
        if incremental_time:
            self.stdout.write(f"  speed-up: {full_time / incremental_time:,.0f}x")
        if not (full.ok and incremental.ok):
            raise CommandError(f"verification failed: full={full.as_dict()} incremental={incremental.as_dict()}")

    def _generate(self, count: int, batch: int, label: str) -> None:
        if count == 0:
            return
        head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
        sequence, previous_hash = head if head else (0, chain.GENESIS_HASH)
        start = timezone.now()
        started = time.perf_counter()
        written = 0
        while written < count:
            rows = []
            for _ in range(min(batch, count - written)):
                sequence += 1
                written += 1
                occurred_at = start + timedelta(microseconds=written)
                payload = {"n": sequence, "kind": "benchmark", "amount": "12.50"}
                row = (
                    sequence, chain.timestamp_text(occurred_at), None, "system", ORGANIZATION[0], ORGANIZATION[1],
                    "bench.append", "bench.item", str(sequence), chain.payload_text(payload), previous_hash,
                )
                previous_hash = chain.hash_of_texts(*row)
                rows.append((*row, previous_hash))
            self._insert(rows)
            elapsed = time.perf_counter() - started
            self.stdout.write(f"  {label}: {written}/{count} ({written / elapsed:,.0f} events/s)")

    def _insert(self, rows: list[tuple]) -> None:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                buffer = io.StringIO()
                csv.writer(buffer).writerows(rows)
                buffer.seek(0)
                table = connection.ops.quote_name(AuditEvent._meta.db_table)
                with connection.cursor() as cursor:
                    cursor.cursor.copy_expert(
                        f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)", buffer
                    )
                return
            AuditEvent.objects.bulk_create(
                [
                    AuditEvent(
                        sequence=row[0], occurred_at=datetime.fromisoformat(row[1]), actor_id=None, actor_name=row[3],
                        organization_id_snapshot=row[4], organization_name=row[5], action=row[6],
                        target_type=row[7], target_id=row[8], payload=json.loads(row[9]), prev_hash=row[10], hash=row[11],
                    )
                    for row in rows
                ],
                batch_size=1000,
            )
