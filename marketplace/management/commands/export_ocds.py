import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from marketplace.ocds.releases import parse_since, release_package, releases


class Command(BaseCommand):
    help = (
        "Write an OCDS 1.1 release package of every framework and call-off (frameworks as first-stage "
        "processes, call-offs with their award, contract and statements) to a file or standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=None, help="File to write (default: standard output).")
        parser.add_argument("--since", default="", help="Only releases dated at or after this ISO date or date-time.")
        parser.add_argument(
            "--uri", default="http://localhost:8000/api/v1/ocds/releases/",
            help="The package's uri: where this package is published.",
        )
        parser.add_argument("--indent", type=int, default=None, help="Pretty-print with this indent.")

    def handle(self, *args, output: Path | None, since: str, uri: str, indent: int | None, **options):
        try:
            since_moment = parse_since(since) if since else None
        except ValueError as error:
            raise CommandError(f"--since: give YYYY-MM-DD or an ISO 8601 date-time, not {since!r}.") from error
        started = time.perf_counter()
        found = releases(since=since_moment)
        if not found:
            # A release package holds one or more releases (OCDS schema): write none at all.
            self.stderr.write("0 releases: nothing written" + (f" (none dated at or after {since})" if since else ""))
            return
        package = release_package(uri=uri, releases=found)
        text = json.dumps(package, ensure_ascii=False, indent=indent) + "\n"
        if output is None:
            self.stdout.write(text, ending="")
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        elapsed = time.perf_counter() - started
        ocids = {release["ocid"] for release in found}
        self.stderr.write(
            f"{len(found)} releases ({len(ocids)} processes) in {elapsed:.2f}s"
            + (f" written to {output}" if output else "")
        )
