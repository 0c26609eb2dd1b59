"""Creating a competition (a draft) from one of the buyer's open requirements."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Lot, Organization
from agreements.selectors import ceiling_price_for
from audit.services import audit_record
from common.errors import Conflict, ValidationFailed
from common.parsing import FieldErrors
from marketplace.competitions.inputs import CompetitionDraft
from marketplace.competitions.models import Competition, CompetitionLine, QualityCriterion
from marketplace.competitions.services.access import buyer_organization
from marketplace.competitions.services.rules import check_deadline, require_live
from marketplace.selection.models import Requirement


def _open_requirement(*, organization: Organization, requirement_id: int) -> Requirement:
    requirement = Requirement.objects.select_related("framework", "lot").filter(
        pk=requirement_id, organization=organization
    ).first()
    if requirement is None:
        message = _("Choose one of your organization's requirements.")
        raise ValidationFailed(message, fields={"requirement": [message]})
    if requirement.status != Requirement.Status.OPEN:
        raise Conflict(_("This requirement is already closed."), code="requirement_closed")
    return requirement


def _lot_of(draft: CompetitionDraft, requirement: Requirement, errors: FieldErrors) -> Lot | None:
    lot = Lot.objects.select_related("framework").filter(pk=draft.lot_id).first() if draft.lot_id else requirement.lot
    if lot is None:
        errors.add("lot", "lot_required", _("Choose the lot whose suppliers will be asked to quote."))
    elif requirement.framework_id and lot.framework_id != requirement.framework_id:
        errors.add("lot", "lot_outside_framework", _("Choose a lot of the requirement's framework."))
        return None
    return lot


def _check_lines(draft: CompetitionDraft, lot: Lot | None, errors: FieldErrors) -> None:
    if not draft.lines:
        errors.add("lines", "lines_required", _("Add at least one line: a unit and a quantity."))
    seen: set[str] = set()
    for index, line in enumerate(draft.lines):
        field = f"lines.{index}.unit"
        if line.unit in seen:
            errors.add(field, "unit_repeated", _("Each unit may appear on one line only."))
        elif lot is not None and ceiling_price_for(lot=lot, unit=line.unit) is None:
            errors.add(field, "unit_without_ceiling",
                       _("The lot has no ceiling price for %(unit)s: use one of its priced units.") % {"unit": line.unit})
        seen.add(line.unit)


def _price_weight(draft: CompetitionDraft, errors: FieldErrors) -> int:
    """The price's share of the score: 100 for lowest price; for weighted, with the criteria, 100 in all."""
    if draft.method != Competition.Method.WEIGHTED:
        if draft.criteria:
            errors.add("criteria", "criteria_not_allowed", _("Lowest price competitions have no quality criteria."))
        return 100
    if draft.price_weight is None:
        errors.add("price_weight", "required", _("Enter a whole number from %(low)s to %(high)s.") % {"low": 1, "high": 99})
        return 0
    if not draft.criteria:
        errors.add("criteria", "criteria_required", _("Add at least one quality criterion with its weight."))
        return draft.price_weight
    total = draft.price_weight + sum(criterion.weight for criterion in draft.criteria)
    if total != 100:
        errors.add("criteria", "weights_not_100",
                   _("The price weight and the criteria weights must add up to 100 (now %(total)s).") % {"total": total})
    return draft.price_weight


def _check_deadline_with_the_rest(draft: CompetitionDraft, lot: Lot | None, errors: FieldErrors) -> None:
    """So that a buyer learns of a too-early deadline with the other mistakes, not after fixing them."""
    if lot is None:
        return
    try:
        check_deadline(deadline=draft.deadline, framework=lot.framework, now=timezone.now())
    except ValidationFailed as error:
        if errors:
            for message in error.fields.get("deadline", []):
                errors.add("deadline", error.code or "deadline", message)
        else:
            raise


def _record(*, actor: User, organization: Organization, requirement: Requirement, lot: Lot,
            draft: CompetitionDraft, price_weight: int) -> Competition:
    competition = Competition.objects.create(
        organization=organization, requirement=requirement, framework=lot.framework, lot=lot,
        title=draft.title or requirement.title, description=draft.description,
        method=draft.method, price_weight=price_weight, deadline=draft.deadline,
        clarifications_allowed=draft.clarifications_allowed, created_by=actor,
    )
    CompetitionLine.objects.bulk_create([
        CompetitionLine(competition=competition, position=index, unit=line.unit, quantity=line.quantity,
                        description=line.description)
        for index, line in enumerate(draft.lines)
    ])
    QualityCriterion.objects.bulk_create([
        QualityCriterion(competition=competition, position=index, name=criterion.name,
                         description=criterion.description, weight=criterion.weight)
        for index, criterion in enumerate(draft.criteria)
    ])
    return competition


@transaction.atomic
def competition_create(*, actor: User, draft: CompetitionDraft) -> Competition:
    organization = buyer_organization(actor)
    requirement = _open_requirement(organization=organization, requirement_id=draft.requirement_id)
    errors = FieldErrors()
    lot = _lot_of(draft, requirement, errors)
    _check_lines(draft, lot, errors)
    price_weight = _price_weight(draft, errors)
    if errors:
        _check_deadline_with_the_rest(draft, lot, errors)
    errors.raise_if_any(_("The competition is not valid."))
    require_live(lot.framework)
    check_deadline(deadline=draft.deadline, framework=lot.framework, now=timezone.now())
    competition = _record(actor=actor, organization=organization, requirement=requirement, lot=lot, draft=draft,
                          price_weight=price_weight)
    audit_record(
        action="competition.created", actor=actor, organization=organization, target=competition,
        payload={
            "requirement": requirement.pk, "lot": lot.pk, "method": draft.method, "price_weight": price_weight,
            "deadline": draft.deadline.isoformat(), "clarifications_allowed": competition.clarifications_allowed,
            "lines": [{"unit": line.unit, "quantity": str(line.quantity)} for line in draft.lines],
            "criteria": [{"name": criterion.name, "weight": criterion.weight} for criterion in draft.criteria],
        },
    )
    return competition
