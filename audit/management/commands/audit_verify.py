import time

from django.core.management.base import BaseCommand, CommandError

from audit.verify import verify_chain


class Command(BaseCommand):
    help = (
        "Recompute the audit chain: print the number of events and the head hash; exit with status 1 "
        "naming the first broken event when a row was altered, removed or reordered."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=5000, help="Rows fetched per round trip.")
        parser.add_argument("--progress", action="store_true", help="Report progress on stderr.")

    def handle(self, *args, chunk_size: int, progress: bool, **options):
        started = time.perf_counter()

        def report(count: int) -> None:
            self.stderr.write(f"  verified {count} events…")

        result = verify_chain(chunk_size=chunk_size, progress=report if progress else None)
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
