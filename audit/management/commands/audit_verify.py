import os
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import verify_from_checkpoints
from audit.verify import verify_chain


class Command(BaseCommand):
    help = (
        "Recompute the audit chain: print the number of events and the head hash; exit with status 1 "
        "naming the first broken event when a row was altered, removed or reordered. With "
        "--from-checkpoint, prove the chain still extends every checkpoint (from the published file "
        "when --checkpoint-file is given) and recompute only the events after the last one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=5000, help="Rows fetched per round trip.")
        parser.add_argument("--progress", action="store_true", help="Report progress on stderr.")
        parser.add_argument(
            "--workers", type=int, default=os.cpu_count() or 1,
            help="Processes that recompute ranges of the chain in parallel (PostgreSQL; default: one per CPU).",
        )
        parser.add_argument(
            "--from-checkpoint", action="store_true",
            help="Verify incrementally: every checkpoint still holds, then only the events after the last one.",
        )
        parser.add_argument(
            "--checkpoint-file", type=Path, default=None,
            help="A published checkpoint file (JSON lines) to check against instead of the database table.",
        )

    def handle(
        self, *args, chunk_size: int, progress: bool, from_checkpoint: bool, checkpoint_file, workers: int, **options
    ):
        started = time.perf_counter()

        def report(count: int) -> None:
            self.stderr.write(f"  verified {count} events…")

        if checkpoint_file is not None and not from_checkpoint:
            raise CommandError("--checkpoint-file needs --from-checkpoint.")
        if from_checkpoint:
            self._from_checkpoint(started, chunk_size, report if progress else None, checkpoint_file)
            return

        result = verify_chain(chunk_size=chunk_size, progress=report if progress else None, workers=max(1, workers))
        elapsed = time.perf_counter() - started
        self.stdout.write(f"events: {result.events}")
        self.stdout.write(f"head: {result.head or '-'}")
        self.stdout.write(f"time: {elapsed:.2f}s")
        if result.ok:
            self.stdout.write(self.style.SUCCESS("chain OK"))
            return
        broken = result.first_broken
        raise CommandError(
            f"chain BROKEN at event #{broken.sequence} (id {broken.event_id}): {broken.reason}: {broken.message}",
            returncode=1,
        )

    def _from_checkpoint(self, started, chunk_size, progress, checkpoint_file) -> None:
        if checkpoint_file is not None and not checkpoint_file.is_file():
            raise CommandError(f"checkpoint file not found: {checkpoint_file}", returncode=2)
        result = verify_from_checkpoints(checkpoint_file=checkpoint_file, chunk_size=chunk_size, progress=progress)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"checkpoints: {result.checkpoints} (from {result.source})")
        if result.checkpoint_sequence is None:
            self.stdout.write("last checkpoint: none (the whole chain was verified)")
        else:
            self.stdout.write(f"last checkpoint: #{result.checkpoint_sequence} {result.checkpoint_hash}")
        self.stdout.write(f"events verified after the checkpoint: {result.events_verified}")
        self.stdout.write(f"events: {result.events}")
        self.stdout.write(f"head: {result.head or '-'}")
        self.stdout.write(f"time: {elapsed:.2f}s")
        if result.ok:
            self.stdout.write(self.style.SUCCESS("chain OK: it extends every checkpoint"))
            return
        problem = result.problem
        where = f" at #{problem.sequence}" if problem.sequence is not None else ""
        raise CommandError(f"chain BROKEN{where}: {problem.reason}: {problem.message}", returncode=1)
