"""One demo selection for user "buyer": a requirement, an ended search and a justified award.

Goes through the real services (search, freeze, comparison, award), so the demo audit trail is
the same as a buyer's. Idempotent: skipped when the demo requirement exists.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from agreements.models import FrameworkAgreement, Membership
from agreements.services import membership_add
from catalog.models import NeedCategory
from catalog.selectors import search_hits_all
from marketplace.demo.agreements import DEMO_PASSWORD, seed_actor
from marketplace.selection import services
from marketplace.selection.inputs import CriterionInput, DirectAwardInput, EstimateInput, RequirementInput
from marketplace.selection.models import Award, Requirement
from marketplace.selection.selectors import attribute_definitions_for, comparison_build

DEMO_TITLE = "Hosting for the patient records system"
NEED = "virtual-servers"
# The same year of use in each pricing unit the offers use, so every offer gets an estimated
# total: two vCPUs around the clock, or one instance for twelve months.
ESTIMATES = [("vCPU-hour", "17520"), ("instance-month", "12")]
# Filters added one at a time until the search is narrow enough to end.
NARROWING = [("data_location", "peru"), ("support_hours", "24x7"), ("certifications", "iso27001"),
             ("data_export", "true"), ("open_api", "true"), ("deployment_model", "private")]

CRITERIA = [
    CriterionInput(importance="essential", attribute_key="data_location", operator="includes", expected="peru",
                   text="Data is stored in Peru"),
    CriterionInput(importance="essential", operator="text", text="Support in Spanish"),
    CriterionInput(importance="desired", attribute_key="certifications", operator="includes", expected=["iso27001"],
                   text="ISO/IEC 27001 certified"),
    CriterionInput(importance="desired", attribute_key="open_api", operator="equals", expected=True, text="Open API"),
]


def seed_selection(out) -> None:
    buyer = get_user_model().objects.filter(username="buyer").first()
    framework = FrameworkAgreement.objects.filter(reference="FA-2026-CLOUD").first()
    if buyer is None or framework is None:
        out("  skipped: no demo buyer or cloud framework")
        return
    loaded = Requirement.objects.filter(title=DEMO_TITLE, created_by=buyer).first()
    if loaded is not None:
        out("  demo selection already loaded")
        award = Award.objects.filter(requirement=loaded).select_related("supplier").first()
        if award is not None and award.supplier_id is not None:
            contractor_login(award.supplier)  # databases seeded before this login existed get it too
        return
    lot = framework.lots.get(number=1)
    query = {"framework": str(framework.pk), "lot": str(lot.pk), "sort": "price"}
    need = NeedCategory.objects.filter(slug=NEED).first()
    if need is not None:  # the need in the buyer's words: virtual servers, not every hosting offer
        query["category"] = str(need.pk)
    for key, value in NARROWING:
        total, _hits = search_hits_all(query=query, limit=1)
        if 0 < total <= framework.max_frozen_results:
            break
        query[key] = value
    total, hits = search_hits_all(query=query, limit=framework.max_frozen_results)
    if not 0 < total <= framework.max_frozen_results:
        out(f"  skipped: the demo search finds {total} listings")
        return
    priced_units = set(lot.ceiling_prices.values_list("unit", flat=True))
    estimates = [EstimateInput(unit=unit, quantity=Decimal(quantity)) for unit, quantity in ESTIMATES
                 if unit in priced_units] or [EstimateInput(unit=hits[0].unit, quantity=Decimal("8760"))]
    known_keys = tuple(attribute_definitions_for(lot_id=lot.pk))
    start = max(timezone.localdate(), framework.start_date)
    end = min(start + timedelta(days=180), framework.end_date)
    requirement = services.requirement_create(
        actor=buyer, details=RequirementInput(
            title=DEMO_TITLE, framework_id=framework.pk, lot_id=lot.pk,
            description="Virtual machines and storage for the records system, hosted in Peru.",
            budget=Decimal("50000.00"), period_start=start, period_end=end),
        criteria=[item for item in CRITERIA if item.attribute_key in ("", *known_keys)],
        estimates=estimates,
    )
    search = services.search_save(actor=buyer, name="Peru hosting, 24x7", query=query, requirement_id=requirement.pk)
    search = services.search_freeze(actor=buyer, search_id=search.pk)
    comparison = comparison_build(search=search)
    chosen = next((row for row in comparison.rows if row.is_lowest), None) or next(
        (row for row in comparison.rows if row.essential_compliant), None)
    if chosen is None:
        services.award_none(actor=buyer, search_id=search.pk, reason="Nothing found meets every essential requirement.")
        out(f"  requirement, ended search ({search.result_count} results) and a no-award")
        return
    award, order = services.award_direct(actor=buyer, search_id=search.pk, award=DirectAwardInput(
        listing_version_id=chosen.entry.listing_version_id,
        justification="Lowest estimated total among the options that keep data in Peru.",
        cheaper_option_reason="" if not comparison.cheaper_option_needed(chosen) else "Only compliant option priced per unit.",
        cap=Decimal("20000.00"), start=start, end=end,
    ))
    out(f"  requirement, ended search ({search.result_count} results), award to {award.supplier.name}"
        + (f", draft order {order.pk}" if order is not None else ""))
    contractor_login(award.supplier)


CONTRACTOR = "contractor"


def contractor_login(supplier) -> None:
    """A demo login at whichever supplier won the demo award (the search decides who), so the
    order can be tried from both sides: the approver activates it, the contractor posts usage."""
    user, created = get_user_model().objects.get_or_create(
        username=CONTRACTOR, defaults={"email": f"{CONTRACTOR}@demo.example", "first_name": "Contractor"})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    membership_add(actor=seed_actor(), user=user, organization=supplier, role=Membership.Role.PUBLISHER)
