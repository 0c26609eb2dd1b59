"""The outcome of a requirement: a direct award to one entry of its ended search (with a draft
call-off order), or no award, each with its written reasons and the snapshot's digest."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from agreements.models import Admission, FrameworkAgreement
from audit.services import audit_record
from common.errors import Conflict, ValidationFailed
from common.lifecycle import check_transition
from common.parsing import MAX_TEXT, FieldErrors, read_amount, read_date_range, read_text
from marketplace.orders.models import CallOffOrder
from marketplace.orders.services import order_create_from_award
from marketplace.selection.inputs import DirectAwardInput
from marketplace.selection.models import Award, Requirement, SavedSearch, SearchSnapshotEntry
from marketplace.selection.selectors import Comparison, ComparisonRow, comparison_build
from marketplace.selection.services.access import lock_requirement, lock_search, refuse_if_decided


def _required_text(value: str, *, field: str, message: str, code: str | None = None) -> str:
    errors = FieldErrors()
    text = read_text(value, field=field, errors=errors, max_length=MAX_TEXT, message=message)
    errors.raise_if_any(code=code)
    return text


def _entry_of(search: SavedSearch, listing_version_id: int) -> SearchSnapshotEntry:
    entry = search.entries.select_related("listing_version", "supplier").filter(
        listing_version_id=listing_version_id
    ).first()
    if entry is None:
        raise ValidationFailed(
            _("Choose one of the ended search's results."), code="not_in_snapshot",
            fields={"listing_version": [_("This listing version is not in the ended search.")]},
        )
    return entry


def _order_terms(award: DirectAwardInput) -> Decimal | None:
    """The order's cap and term, read by the project's one rule: the term may end on its start day."""
    errors = FieldErrors()
    cap = read_amount(award.cap, field="cap", errors=errors, required=False)
    read_date_range(award.start, award.end, errors=errors, required=False)
    errors.raise_if_any()
    return cap


def _check_compliant(comparison: Comparison, row: ComparisonRow, *, cheaper_option_reason: str) -> Decimal | None:
    """Refuse an option that fails an essential requirement, or that is not the cheapest compliant one
    without a reason; the price difference to the cheapest otherwise."""
    if not row.essential_compliant:
        failed = [item.criterion.text for item in row.essential if item.result == "not_met"]
        raise ValidationFailed(
            _("This option does not meet every essential requirement."), code="essential_not_met",
            fields={"listing_version": [_("Not met: %(list)s") % {"list": "; ".join(failed)}]},
        )
    lowest = comparison.lowest_estimated_total
    difference = (row.estimated_total - lowest) if (row.estimated_total is not None and lowest is not None) else None
    if comparison.cheaper_option_needed(row) and not cheaper_option_reason:
        message = _("Explain why the cheaper option was not chosen.")
        raise ValidationFailed(
            message, code="cheaper_option_reason_required", fields={"cheaper_option_reason": [message]},
            extra={key: None if value is None else str(value) for key, value in (
                ("estimated_total", row.estimated_total), ("lowest_estimated_total", lowest),
                ("price_difference", difference))},
        )
    return difference


def _check_can_call_off(framework: FrameworkAgreement, entry: SearchSnapshotEntry) -> None:
    if framework.status != FrameworkAgreement.Status.LIVE:
        raise Conflict(_("The framework agreement is not live, so no call-off can be made under it."),
                       code="framework_not_live", extra={"framework_status": framework.status})
    if not framework.direct_award_allowed:
        raise Conflict(_("This framework does not allow direct award; run a further competition."),
                       code="direct_award_not_allowed")
    if not Admission.objects.filter(supplier_id=entry.supplier_id, lot_id=entry.listing_version.lot_id,
                                    status=Admission.Status.ADMITTED).exists():
        raise Conflict(_("The supplier is no longer admitted to this lot."), code="supplier_not_admitted")


@transaction.atomic
def award_direct(*, actor: User, search_id: int, award: DirectAwardInput) -> tuple[Award, CallOffOrder]:
    """Award the requirement to one entry of its ended search; returns the award and the draft order.

    When the chosen entry is not the lowest estimated total among entries meeting every essential
    requirement, ``cheaper_option_reason`` is required and the price difference is recorded.
    The draft call-off order is created in the same transaction.
    """
    requirement, search = lock_search(actor=actor, search_id=search_id)
    if search.status != SavedSearch.Status.FROZEN:
        raise Conflict(_("End the search before awarding."), code="search_not_frozen")
    refuse_if_decided(requirement)
    entry = _entry_of(search, award.listing_version_id)
    justification = _required_text(award.justification, field="justification",
                                   message=_("Explain why this option was chosen."), code="justification_required")
    cheaper_option_reason = (award.cheaper_option_reason or "").strip()
    cap = _order_terms(award)

    comparison = comparison_build(search=search)
    row = comparison.row_for_version(entry.listing_version_id)
    difference = _check_compliant(comparison, row, cheaper_option_reason=cheaper_option_reason)
    lowest = comparison.lowest_estimated_total
    framework = FrameworkAgreement.objects.get(pk=search.framework_id)
    _check_can_call_off(framework, entry)

    check_transition(requirement, Requirement.Status.AWARDED)
    made = Award.objects.create(
        organization=requirement.organization, requirement=requirement, framework=framework,
        method=Award.Method.DIRECT, outcome=Award.Outcome.AWARDED, search=search, snapshot_entry=entry,
        listing_version=entry.listing_version, supplier=entry.supplier, justification=justification,
        cheaper_option_reason=cheaper_option_reason, estimated_total=row.estimated_total,
        lowest_estimated_total=lowest, price_difference=difference, entries_hash=search.entries_hash,
        created_by=actor,
    )
    requirement.status = Requirement.Status.AWARDED
    requirement.save(update_fields=["status"])
    order = order_create_from_award(actor=actor, award=made, cap=cap, start=award.start, end=award.end)
    audit_record(
        action="award.made", actor=actor, organization=requirement.organization, target=made,
        payload={
            "requirement": requirement.pk, "search": search.pk, "entries_hash": search.entries_hash,
            "rank": entry.rank, "listing_version": entry.listing_version_id, "supplier": entry.supplier_id,
            "unit": entry.unit, "unit_price": entry.unit_price, "estimated_total": row.estimated_total,
            "lowest_estimated_total": lowest, "price_difference": difference,
            "justification": justification, "cheaper_option_reason": cheaper_option_reason,
            "cap": cap, "start": award.start, "end": award.end, "order": order.pk,
        },
    )
    return made, order


def _framework_id_for_no_award(requirement: Requirement, search: SavedSearch | None) -> int:
    framework_id = (search.framework_id if search else None) or requirement.framework_id
    if framework_id is None:
        latest = requirement.searches.exclude(framework=None).order_by("-created_at").first()
        framework_id = latest.framework_id if latest else None
    if framework_id is None:
        raise ValidationFailed(_("Choose the framework of this requirement first."), code="framework_required",
                               fields={"framework": [_("The requirement has no framework agreement.")]})
    return framework_id


@transaction.atomic
def award_none(*, actor: User, requirement_id: int | None = None, search_id: int | None = None,
               reason: str) -> Award:
    """Close the requirement without an award, with a reason (work cancelled, nothing suitable...).

    From a search, the search must have ended; the event then carries its entries hash.
    """
    search = None
    if search_id is not None:
        requirement, search = lock_search(actor=actor, search_id=search_id)
        if search.status != SavedSearch.Status.FROZEN:
            raise Conflict(_("End the search before recording its outcome."), code="search_not_frozen")
    elif requirement_id is not None:
        requirement = lock_requirement(actor=actor, requirement_id=requirement_id)
    else:
        raise ValidationFailed(_("Say which requirement has no award."))
    reason = _required_text(reason, field="reason", message=_("Give the reason for not awarding."))
    refuse_if_decided(requirement)
    if search is None:
        search = requirement.searches.filter(status=SavedSearch.Status.FROZEN).order_by("-frozen_at").first()
    framework_id = _framework_id_for_no_award(requirement, search)
    check_transition(requirement, Requirement.Status.NO_AWARD)
    award = Award.objects.create(
        organization=requirement.organization, requirement=requirement, framework_id=framework_id,
        method=Award.Method.DIRECT, outcome=Award.Outcome.NO_AWARD, search=search, justification=reason,
        entries_hash=search.entries_hash if search else "", created_by=actor,
    )
    requirement.status = Requirement.Status.NO_AWARD
    requirement.save(update_fields=["status"])
    audit_record(
        action="award.no_award", actor=actor, organization=requirement.organization, target=award,
        payload={"requirement": requirement.pk, "search": search.pk if search else None,
                 "entries_hash": award.entries_hash, "reason": reason},
    )
    return award
