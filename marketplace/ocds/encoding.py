"""OCDS encoding shared by every release: identifiers (ocids, party ids), dates, amounts, the
parties of a release, and the release's date and content-derived id."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from agreements.models import FrameworkAgreement, Lot, Organization
from marketplace.selection.models import Award


def ocid_prefix() -> str:
    return settings.MARKETPLACE["OCID_PREFIX"]


def framework_ocid(framework: FrameworkAgreement | int) -> str:
    return f"{ocid_prefix()}-fa-{getattr(framework, 'pk', framework)}"


def call_off_ocid(award: Award | int) -> str:
    return f"{ocid_prefix()}-co-{getattr(award, 'pk', award)}"


def as_datetime(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def day_start(value: date) -> str:
    return f"{value.isoformat()}T00:00:00Z"


def day_end(value: date) -> str:
    return f"{value.isoformat()}T23:59:59Z"


def amount(value: Decimal, currency: str) -> dict[str, Any]:
    """OCDS amounts are JSON numbers: two-decimal amounts of at most 14 digits convert exactly."""
    return {"amount": float(value), "currency": currency}


def party_id(organization: Organization) -> str:
    return f"{organization.identifier_scheme}-{organization.legal_identifier}"


def reference(organization: Organization) -> dict[str, str]:
    return {"id": party_id(organization), "name": organization.name}


def category(lots: list[Lot]) -> str:
    return "goods" if lots and all(lot.is_goods for lot in lots) else "services"


class Parties:
    """Parties of one release, each organization once, roles merged in order of first use."""

    def __init__(self) -> None:
        self._parties: dict[str, dict[str, Any]] = {}

    def add(self, organization: Organization, *roles: str) -> dict[str, str]:
        key = party_id(organization)
        party = self._parties.setdefault(key, {
            "id": key,
            "name": organization.name,
            "identifier": {
                "scheme": organization.identifier_scheme,
                "id": organization.legal_identifier,
                "legalName": organization.name,
            },
            "roles": [],
        })
        party["roles"].extend(role for role in roles if role not in party["roles"])
        return reference(organization)

    def as_list(self) -> list[dict[str, Any]]:
        return list(self._parties.values())


def finish(release: dict[str, Any], changed: list[datetime | None]) -> dict[str, Any]:
    """Set ``date`` (latest change) and the content-derived ``id``; keys in schema order."""
    release["date"] = as_datetime(max(moment for moment in changed if moment is not None))
    digest = hashlib.sha256(json.dumps(release, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    ordered = {"ocid": release["ocid"], "id": f"{release['ocid']}-{digest[:16]}", "date": release["date"]}
    ordered.update((key, value) for key, value in release.items() if key not in ordered)
    return ordered
