"""Open contracting data: the marketplace's record as OCDS 1.1 release packages.

Two kinds of contracting process are published (decisions in docs/ocds.md):

- each framework agreement past draft is a first-stage process, ``<prefix>-fa-<framework id>``:
  the tender (``techniques.hasFrameworkAgreement``), one award per supplier admission to a lot;
- each call-off decision (``Award``: direct, by competition, or no award) is its own process,
  ``<prefix>-co-<award id>``, related to its framework's process (``relationship: framework``),
  with ``tender.competitive``, the award, the call-off order as the contract (value = cap) and
  the monthly statements as ``contracts[].implementation.transactions``.

Every release is the current state of its process (a "compiled-style" snapshot, tagged with the
stages reached). Its ``date`` is the time of the latest change the release reflects; its ``id`` is
``<ocid>-<digest>``, a digest of the content, so it is stable while nothing changes and new when
anything does. Only organizations appear: no user names, no e-mail addresses, no free-text
justifications (which may name people); organizations' contact details are omitted.

Reads only: models of agreements and marketplace, nothing is written. This module assembles the
packages; ``frameworks`` and ``call_offs`` build each kind of release, ``encoding`` the shared parts.
The schemas they are validated against (in tests) are vendored in ``schema/`` (see its NOTICE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.conf import settings
from django.utils import timezone

from marketplace.ocds.call_offs import awards_to_publish, call_off_release
from marketplace.ocds.encoding import as_datetime, call_off_ocid, framework_ocid
from marketplace.ocds.frameworks import framework_release, frameworks_to_publish

__all__ = ["EXTENSIONS", "OCDS_VERSION", "ReleasePage", "call_off_ocid", "call_off_release", "framework_ocid",
           "framework_release", "parse_since", "release_package", "release_page", "releases"]

OCDS_VERSION = "1.1"
EXTENSIONS = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_techniques_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_competitive_extension/master/extension.json",
]
DEFAULT_PUBLISHER = "Framework-agreement e-catalog marketplace"


def releases(*, since: datetime | None = None) -> list[dict[str, Any]]:
    """Every published release, oldest change first (then by ocid); ``since`` keeps releases whose
    date is at or after it. Built in memory from a fixed number of queries."""
    built = [framework_release(framework) for framework in frameworks_to_publish()]
    built += [call_off_release(award) for award in awards_to_publish()]
    if since is not None:
        threshold = as_datetime(since)
        built = [release for release in built if release["date"] >= threshold]
    return sorted(built, key=lambda release: (release["date"], release["ocid"]))


@dataclass(frozen=True)
class ReleasePage:
    releases: list[dict[str, Any]]
    page: int
    has_next: bool
    count: int


def release_page(*, since: datetime | None = None, page: int = 1, page_size: int = 100) -> ReleasePage:
    everything = releases(since=since)
    start = (page - 1) * page_size
    return ReleasePage(releases=everything[start:start + page_size], page=page,
                       has_next=start + page_size < len(everything), count=len(everything))


def release_package(*, uri: str, releases: list[dict[str, Any]], links: dict[str, str] | None = None) -> dict[str, Any]:
    """A release package: ``publishedDate`` is the latest release date (the data is built on demand)."""
    published = max((release["date"] for release in releases), default=as_datetime(timezone.now()))
    package: dict[str, Any] = {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": EXTENSIONS,
        "publishedDate": published,
        "publisher": {"name": settings.MARKETPLACE.get("OCDS_PUBLISHER_NAME", DEFAULT_PUBLISHER)},
        "releases": releases,
    }
    if links:
        package["links"] = links
    return package


def parse_since(value: str) -> datetime:
    """An ISO date (midnight UTC) or date-time (naive means UTC). Raises ``ValueError``."""
    value = value.strip()
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as error:  # e.g. 0001-01-01T00:00+01:00 is before the first representable instant
        raise ValueError(str(error)) from error

