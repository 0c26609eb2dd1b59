"""Call-off decisions as OCDS processes related to their framework's: the tender (competitive or
direct), the award, the call-off order as the contract (value = cap, amendments without the
buyer's free text) and the final monthly statements as transactions."""

from __future__ import annotations

from calendar import monthrange
from typing import Any

from django.db.models import Prefetch

from agreements.models import FrameworkAgreement
from marketplace.competitions.models import Competition, Quote
from marketplace.ocds.encoding import (
    Parties,
    amount,
    as_datetime,
    call_off_ocid,
    category,
    day_end,
    day_start,
    finish,
    framework_ocid,
)
from marketplace.orders.models import CallOffOrder, Statement
from marketplace.selection.models import Award

ORDER_CONTRACT_STATUS = {
    CallOffOrder.Status.DRAFT: "pending",
    CallOffOrder.Status.ACTIVE: "active",
    CallOffOrder.Status.CAPPED: "active",
    CallOffOrder.Status.COMPLETED: "terminated",
    CallOffOrder.Status.TERMINATED: "terminated",
}




def awards_to_publish():
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
    parties = Parties()
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
        "mainProcurementCategory": category([lot] if lot is not None else []),
        "competitive": competitive,
        "techniques": {"hasFrameworkAgreement": True},
    }
    if competition is not None:
        changed.append(competition.decided_at)
        tender["awardCriteria"] = "priceOnly" if competition.method == Competition.Method.LOWEST_PRICE \
            else "ratedCriteria"
        if competition.published_at is not None:
            tender["tenderPeriod"] = {"startDate": as_datetime(competition.published_at),
                                      "endDate": as_datetime(competition.deadline)}
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
            "date": as_datetime(award.created_at),
            "suppliers": [supplier],
        }
        if award.estimated_total is not None:
            award_data["value"] = amount(award.estimated_total, currency)
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
    return finish(release, changed)


def _contract(order: CallOffOrder, award_id: str, currency: str, parties: Parties, changed: list) -> dict[str, Any]:
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
        "period": {"startDate": day_start(order.start_date), "endDate": day_end(order.end_date)},
        "value": amount(order.cap, currency),
    }
    if order.activated_at is not None:
        contract["dateSigned"] = as_datetime(order.activated_at)
    changed.extend([order.created_at, order.activated_at, order.closed_at])
    amendments = []
    for number, amendment in enumerate(order.cap_amendments.all(), start=1):
        # The buyer's written justification stays out: free text may name people (like award reasons).
        amendments.append({
            "id": f"{order.reference}-cap-{number}",
            "date": as_datetime(amendment.created_at),
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
            "date": day_end(month.replace(day=monthrange(month.year, month.month)[1])),
            "value": amount(statement.total, currency),
            "payer": buyer,
            "payee": supplier,
        })
        changed.append(statement.generated_at)
    if transactions:
        contract["implementation"] = {"transactions": transactions}
    return contract
