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

Reads only: models of agreements and marketplace, nothing is written.
"""

from __future__ import annotations

import hashlib
import json
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from agreements.models import Admission, FrameworkAgreement, Lot, Organization
from marketplace.competitions.models import Competition, Quote
from marketplace.orders.models import CallOffOrder, Statement
from marketplace.selection.models import Award

OCDS_VERSION = "1.1"
EXTENSIONS = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_techniques_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_competitive_extension/master/extension.json",
]
DEFAULT_PUBLISHER = "Framework-agreement e-catalog marketplace"

FRAMEWORK_TENDER_STATUS = {
    FrameworkAgreement.Status.DRAFT: "planning",
    FrameworkAgreement.Status.OPEN: "active",
    FrameworkAgreement.Status.LIVE: "complete",
    FrameworkAgreement.Status.EXPIRED: "complete",
    FrameworkAgreement.Status.TERMINATED: "cancelled",
}
ADMISSION_AWARD_STATUS = {
    Admission.Status.ADMITTED: "active",
    Admission.Status.SUSPENDED: "active",
    Admission.Status.EXCLUDED: "cancelled",
}
ORDER_CONTRACT_STATUS = {
    CallOffOrder.Status.DRAFT: "pending",
    CallOffOrder.Status.ACTIVE: "active",
    CallOffOrder.Status.CAPPED: "active",
    CallOffOrder.Status.COMPLETED: "terminated",
    CallOffOrder.Status.TERMINATED: "terminated",
}


def ocid_prefix() -> str:
    return settings.MARKETPLACE["OCID_PREFIX"]


def framework_ocid(framework: FrameworkAgreement | int) -> str:
    return f"{ocid_prefix()}-fa-{getattr(framework, 'pk', framework)}"


def call_off_ocid(award: Award | int) -> str:
    return f"{ocid_prefix()}-co-{getattr(award, 'pk', award)}"


# --- Small encoders -------------------------------------------------------------------------------


def _datetime(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _day_start(value: date) -> str:
    return f"{value.isoformat()}T00:00:00Z"


def _day_end(value: date) -> str:
    return f"{value.isoformat()}T23:59:59Z"


def _amount(value: Decimal, currency: str) -> dict[str, Any]:
    """OCDS amounts are JSON numbers: two-decimal amounts of at most 14 digits convert exactly."""
    return {"amount": float(value), "currency": currency}


def party_id(organization: Organization) -> str:
    return f"{organization.identifier_scheme}-{organization.legal_identifier}"


def _reference(organization: Organization) -> dict[str, str]:
    return {"id": party_id(organization), "name": organization.name}


def _category(lots: list[Lot]) -> str:
    return "goods" if lots and all(lot.is_goods for lot in lots) else "services"


class _Parties:
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
        return _reference(organization)

    def as_list(self) -> list[dict[str, Any]]:
        return list(self._parties.values())


def _finish(release: dict[str, Any], changed: list[datetime | None]) -> dict[str, Any]:
    """Set ``date`` (latest change) and the content-derived ``id``; keys in schema order."""
    release["date"] = _datetime(max(moment for moment in changed if moment is not None))
    digest = hashlib.sha256(json.dumps(release, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    ordered = {"ocid": release["ocid"], "id": f"{release['ocid']}-{digest[:16]}", "date": release["date"]}
    ordered.update((key, value) for key, value in release.items() if key not in ordered)
    return ordered


# --- Frameworks -------------------------------------------------------------------------------------


def _frameworks():
    admissions = Admission.objects.filter(status__in=list(ADMISSION_AWARD_STATUS)).select_related("supplier")
    return (
        FrameworkAgreement.objects.exclude(status=FrameworkAgreement.Status.DRAFT)
        .select_related("authority")
        .prefetch_related(Prefetch("lots", queryset=Lot.objects.order_by("number").prefetch_related(
            Prefetch("admissions", queryset=admissions.order_by("supplier__name", "pk")))))
        .order_by("pk")
    )


def framework_release(framework: FrameworkAgreement) -> dict[str, Any]:
    ocid = framework_ocid(framework)
    parties = _Parties()
    authority = parties.add(framework.authority, "buyer", "procuringEntity")
    lots = list(framework.lots.all())
    awards = []
    changed = [framework.created_at, framework.status_changed_at]
    for lot in lots:
        for admission in lot.admissions.all():
            supplier = parties.add(admission.supplier, "supplier")
            award = {
                "id": f"lot-{lot.number}-{party_id(admission.supplier)}",
                "title": f"Lot {lot.number}: {lot.title}",
                "status": ADMISSION_AWARD_STATUS[admission.status],
                "suppliers": [supplier],
            }
            if admission.decided_at is not None:
                award["date"] = _datetime(admission.decided_at)
            awards.append(award)
            changed.extend([admission.applied_at, admission.decided_at])
    tender: dict[str, Any] = {
        "id": framework.reference,
        "title": framework.title,
        "status": FRAMEWORK_TENDER_STATUS[framework.status],
        "procuringEntity": authority,
        "procurementMethod": "open",
        "mainProcurementCategory": _category(lots),
        "techniques": {
            "hasFrameworkAgreement": True,
            "frameworkAgreement": {
                "method": "withAndWithoutReopeningCompetition" if framework.direct_award_allowed
                else "withReopeningCompetition",
                "period": {"startDate": _day_start(framework.start_date), "endDate": _day_end(framework.end_date)},
            },
        },
    }
    if framework.description:
        tender["description"] = framework.description
    release = {
        "ocid": ocid,
        "tag": ["tender", "award"],
        "initiationType": "tender",
        "parties": parties.as_list(),
        "buyer": authority,
        "tender": tender,
        "awards": awards,
    }
    if not awards:
        release["tag"] = ["tender"]
        del release["awards"]
    return _finish(release, changed)


# --- Call-offs ----------------------------------------------------------------------------------------


def _awards():
    return (
        Award.objects.exclude(framework__status=FrameworkAgreement.Status.DRAFT)
        .select_related("organization", "supplier", "framework", "requirement", "listing_version__lot",
                        "order", "competition__lot")
        .prefetch_related(
            Prefetch("order__statements", queryset=Statement.objects.order_by("month")),
            "order__cap_amendments",
            Prefetch("competition__quotes", queryset=Quote.objects.filter(is_current=True)
                     .select_related("supplier").order_by("supplier__name", "pk")),
        )
        .order_by("pk")
    )


def _related(award: Award, name: str):
    try:
        return getattr(award, name)
    except (CallOffOrder.DoesNotExist, Competition.DoesNotExist):
        return None


def call_off_release(award: Award) -> dict[str, Any]:
    ocid = call_off_ocid(award)
    framework = award.framework
    currency = framework.currency
    competition = _related(award, "competition")
    order = _related(award, "order")
    parties = _Parties()
    buyer = parties.add(award.organization, "buyer", "procuringEntity")
    awarded = award.outcome == Award.Outcome.AWARDED
    lot = competition.lot if competition is not None else getattr(award.listing_version, "lot", None)
    competitive = award.method == Award.Method.COMPETITION
    changed = [award.created_at]

    tender: dict[str, Any] = {
        "id": f"{ocid}-tender",
        "title": competition.title if competition is not None else award.requirement.title,
        "status": "complete" if awarded else "unsuccessful",
        "procuringEntity": buyer,
        "procurementMethod": "selective" if competitive else "limited",
        "procurementMethodDetails": "Further competition among the framework's suppliers" if competitive
        else "Direct award from a frozen catalogue search",
        "mainProcurementCategory": _category([lot] if lot is not None else []),
        "competitive": competitive,
        "techniques": {"hasFrameworkAgreement": True},
    }
    if competition is not None:
        changed.append(competition.decided_at)
        tender["awardCriteria"] = "priceOnly" if competition.method == Competition.Method.LOWEST_PRICE \
            else "ratedCriteria"
        if competition.published_at is not None:
            tender["tenderPeriod"] = {"startDate": _datetime(competition.published_at),
                                      "endDate": _datetime(competition.deadline)}
        tenderers = [parties.add(quote.supplier, "tenderer") for quote in competition.quotes.all()]
        tender["numberOfTenderers"] = len(tenderers)
        if tenderers:
            tender["tenderers"] = tenderers

    release: dict[str, Any] = {
        "ocid": ocid,
        "tag": ["tender"],
        "initiationType": "tender",
        "parties": [],
        "buyer": buyer,
        "tender": tender,
        "relatedProcesses": [{
            "id": "framework",
            "relationship": ["framework"],
            "title": framework.title,
            "scheme": "ocid",
            "identifier": framework_ocid(framework),
        }],
    }
    if awarded:
        supplier = parties.add(award.supplier, "supplier")
        award_data: dict[str, Any] = {
            "id": f"{ocid}-award",
            "status": "active",
            "date": _datetime(award.created_at),
            "suppliers": [supplier],
        }
        if award.estimated_total is not None:
            award_data["value"] = _amount(award.estimated_total, currency)
        release["awards"] = [award_data]
        release["tag"] = ["tender", "award"]
        if order is not None:
            release["contracts"] = [_contract(order, award_data["id"], currency, parties, changed)]
            release["tag"].append("contract")
            if release["contracts"][0].get("amendments"):
                release["tag"].append("contractAmendment")
            if release["contracts"][0].get("implementation"):
                release["tag"].append("implementation")
    release["parties"] = parties.as_list()
    return _finish(release, changed)


def _contract(order: CallOffOrder, award_id: str, currency: str, parties: _Parties, changed: list) -> dict[str, Any]:
    buyer = parties.add(order.buyer, "payer")
    supplier = parties.add(order.supplier, "payee")
    status = ORDER_CONTRACT_STATUS[order.status]
    if order.status == CallOffOrder.Status.TERMINATED and order.activated_at is None:
        status = "cancelled"
    contract: dict[str, Any] = {
        "id": order.reference,
        "awardID": award_id,
        "title": f"Call-off order {order.reference}",
        "status": status,
        "period": {"startDate": _day_start(order.start_date), "endDate": _day_end(order.end_date)},
        "value": _amount(order.cap, currency),
    }
    if order.activated_at is not None:
        contract["dateSigned"] = _datetime(order.activated_at)
    changed.extend([order.created_at, order.activated_at, order.closed_at])
    amendments = []
    for number, amendment in enumerate(order.cap_amendments.all(), start=1):
        # The buyer's written justification stays out: free text may name people (like award reasons).
        amendments.append({
            "id": f"{order.reference}-cap-{number}",
            "date": _datetime(amendment.created_at),
            "description": (f"Cap {'raised' if amendment.new_cap > amendment.previous_cap else 'lowered'} from "
                            f"{amendment.previous_cap} to {amendment.new_cap} {currency}; "
                            f"spent when amended: {amendment.spent_at_amendment} {currency}."),
        })
        changed.append(amendment.created_at)
    if amendments:
        contract["amendments"] = amendments
    transactions = []
    for statement in order.statements.all():
        if not statement.is_final:
            continue  # a provisional statement is not yet what the buyer owes for the month
        month = statement.month
        transactions.append({
            "id": f"{order.reference}-{month:%Y-%m}",
            "date": _day_end(month.replace(day=monthrange(month.year, month.month)[1])),
            "value": _amount(statement.total, currency),
            "payer": buyer,
            "payee": supplier,
        })
        changed.append(statement.generated_at)
    if transactions:
        contract["implementation"] = {"transactions": transactions}
    return contract


# --- Packages -------------------------------------------------------------------------------------------


def releases(*, since: datetime | None = None) -> list[dict[str, Any]]:
    """Every published release, oldest change first (then by ocid); ``since`` keeps releases whose
    date is at or after it. Built in memory from a fixed number of queries."""
    built = [framework_release(framework) for framework in _frameworks()]
    built += [call_off_release(award) for award in _awards()]
    if since is not None:
        threshold = _datetime(since)
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
    published = max((release["date"] for release in releases), default=_datetime(timezone.now()))
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

