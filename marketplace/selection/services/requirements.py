"""The requirement: the buyer's need (title, framework and lot, budget, period) with its lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from agreements.models import FrameworkAgreement, Lot
from audit.services import audit_record
from catalog.models import NeedCategory
from common.errors import ValidationFailed
from common.parsing import MAX_SHORT_TEXT, FieldErrors, read_amount, read_date_range, read_text
from marketplace.selection.inputs import CriterionInput, EstimateInput, RequirementInput
from marketplace.selection.models import Requirement, RequirementCriterion, RequirementEstimate
from marketplace.selection.selectors import attribute_definitions_for
from marketplace.selection.services.access import acting_organization, lock_requirement, requirement_check_editable
from marketplace.selection.services.criteria import clean_criterion, clean_estimate


def _framework_and_lot(details: RequirementInput, fields: dict[str, list[str]]):
    framework = lot = None
    if details.framework_id is not None:
        framework = FrameworkAgreement.objects.filter(pk=details.framework_id).first()
        if framework is None:
            fields["framework"] = [_("Unknown framework.")]
    if details.lot_id is not None:
        lot = Lot.objects.filter(pk=details.lot_id).first()
        if lot is None:
            fields["lot"] = [_("Unknown lot.")]
        elif framework is not None and lot.framework_id != framework.pk:
            fields["lot"] = [_("This lot belongs to another framework.")]
        elif framework is None and "framework" not in fields:
            framework = lot.framework
    return framework, lot


def _requirement_fields(details: RequirementInput) -> dict[str, Any]:
    """The model's values for ``details``, or every refusal at once."""
    errors = FieldErrors()
    title = read_text(details.title, field="title", errors=errors, max_length=MAX_SHORT_TEXT,
                      message=_("Give the requirement a title."))
    read_date_range(details.period_start, details.period_end, errors=errors, start_field="period_start",
                    end_field="period_end", required=False)
    budget = read_amount(details.budget, field="budget", errors=errors, required=False)
    fields = errors.fields
    framework, lot = _framework_and_lot(details, fields)
    category = None
    if details.category_id is not None:
        category = NeedCategory.objects.filter(pk=details.category_id).first()
        if category is None:
            fields["category"] = [_("Unknown need category.")]
    if fields:
        raise ValidationFailed(_("The requirement is not valid."), fields=fields)
    return {"title": title, "framework": framework, "lot": lot, "category": category,
            "description": (details.description or "").strip(), "budget": budget,
            "period_start": details.period_start, "period_end": details.period_end}


def requirement_payload(requirement: Requirement) -> dict[str, Any]:
    return {
        "title": requirement.title,
        "framework": requirement.framework_id,
        "lot": requirement.lot_id,
        "category": requirement.category_id,
        "budget": requirement.budget,
        "period_start": requirement.period_start,
        "period_end": requirement.period_end,
        "criteria": [
            [item.importance, item.attribute_key, item.operator, item.expected, item.text]
            for item in requirement.criteria.order_by("importance", "position", "pk")
        ],
        "estimates": [[item.unit, item.quantity] for item in requirement.estimates.order_by("unit")],
    }


def _clean_lines(*, lot: Lot | None, criteria: Sequence[CriterionInput], estimates: Sequence[EstimateInput]):
    definitions = attribute_definitions_for(lot_id=lot.pk) if lot else None
    cleaned_criteria, cleaned_estimates, errors = [], [], {}
    for index, item in enumerate(criteria):
        try:
            cleaned_criteria.append(clean_criterion(item, definitions=definitions, prefix=f"criteria.{index}."))
        except ValidationFailed as error:
            errors.update(error.fields)
    seen_units = set()
    for index, item in enumerate(estimates):
        try:
            cleaned = clean_estimate(item, prefix=f"estimates.{index}.")
        except ValidationFailed as error:
            errors.update(error.fields)
            continue
        if cleaned["unit"] in seen_units:
            errors[f"estimates.{index}.unit"] = [_("Give each unit once.")]
        seen_units.add(cleaned["unit"])
        cleaned_estimates.append(cleaned)
    if errors:
        raise ValidationFailed(_("The requirement is not valid."), fields=errors)
    return cleaned_criteria, cleaned_estimates


@transaction.atomic
def requirement_create(*, actor: User, details: RequirementInput, criteria: Sequence[CriterionInput] = (),
                       estimates: Sequence[EstimateInput] = ()) -> Requirement:
    organization = acting_organization(actor)
    values = _requirement_fields(details)
    cleaned_criteria, cleaned_estimates = _clean_lines(lot=values["lot"], criteria=criteria, estimates=estimates)
    requirement = Requirement.objects.create(organization=organization, created_by=actor, **values)
    RequirementCriterion.objects.bulk_create(
        [RequirementCriterion(requirement=requirement, position=position, **item)
         for position, item in enumerate(cleaned_criteria)]
    )
    RequirementEstimate.objects.bulk_create(
        [RequirementEstimate(requirement=requirement, **item) for item in cleaned_estimates]
    )
    audit_record(action="requirement.created", actor=actor, organization=organization, target=requirement,
                 payload=requirement_payload(requirement))
    return requirement


def requirement_details(requirement: Requirement) -> RequirementInput:
    """The requirement's details as they stand, to change a few of them with ``dataclasses.replace``."""
    return RequirementInput(
        title=requirement.title, framework_id=requirement.framework_id, lot_id=requirement.lot_id,
        category_id=requirement.category_id, description=requirement.description, budget=requirement.budget,
        period_start=requirement.period_start, period_end=requirement.period_end,
    )


@transaction.atomic
def requirement_update(*, actor: User, requirement_id: int, details: RequirementInput,
                       changed: frozenset[str] | None = None) -> Requirement:
    """Change the requirement's details while it is open and no search for it has ended.

    ``changed`` names the fields of ``details`` to apply (None: all of them); the others keep the
    values read under the row lock, so a partial change never undoes a concurrent one.
    """
    requirement = lock_requirement(actor=actor, requirement_id=requirement_id)
    requirement_check_editable(requirement)
    if changed is not None:
        current = asdict(requirement_details(requirement))
        current.update({name: value for name, value in asdict(details).items() if name in changed})
        details = RequirementInput(**current)
    values = _requirement_fields(details)
    for key, value in values.items():
        setattr(requirement, key, value)
    requirement.save(update_fields=list(values))
    audit_record(action="requirement.updated", actor=actor, organization=requirement.organization,
                 target=requirement, payload=requirement_payload(requirement))
    return requirement
