"""Framework agreements as first-stage OCDS processes: the tender with its framework technique and
one award per supplier admission to a lot."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from agreements.models import Admission, FrameworkAgreement, Lot
from marketplace.ocds.encoding import (
    Parties,
    as_datetime,
    category,
    day_end,
    day_start,
    finish,
    framework_ocid,
    party_id,
)

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




def frameworks_to_publish():
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
    parties = Parties()
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
                award["date"] = as_datetime(admission.decided_at)
            awards.append(award)
            changed.extend([admission.applied_at, admission.decided_at])
    tender: dict[str, Any] = {
        "id": framework.reference,
        "title": framework.title,
        "status": FRAMEWORK_TENDER_STATUS[framework.status],
        "procuringEntity": authority,
        "procurementMethod": "open",
        "mainProcurementCategory": category(lots),
        "techniques": {
            "hasFrameworkAgreement": True,
            "frameworkAgreement": {
                "method": "withAndWithoutReopeningCompetition" if framework.direct_award_allowed
                else "withReopeningCompetition",
                "period": {"startDate": day_start(framework.start_date), "endDate": day_end(framework.end_date)},
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
    return finish(release, changed)
