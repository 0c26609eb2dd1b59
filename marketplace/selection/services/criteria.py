"""A requirement's lines: essential and desired criteria (each tied to a catalog question or judged
by the buyer) and the estimated consumption per pricing unit that prices the comparison."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from catalog.models import AttributeDefinition
from common.errors import NotFound, ValidationFailed
from common.money import to_decimal
from common.parsing import FieldErrors, read_quantity, read_text
from marketplace.selection.inputs import CRITERION_TEXT, UNIT_TEXT, CriterionInput, EstimateInput
from marketplace.selection.models import Requirement, RequirementCriterion, RequirementEstimate
from marketplace.selection.selectors import attribute_definitions_for
from marketplace.selection.services.access import lock_requirement, requirement_check_editable

YES = {"true", "yes", "1", "sí", "si"}
NO = {"false", "no", "0"}


def clean_criterion(criterion: CriterionInput, *, definitions: dict[str, AttributeDefinition] | None,
                    prefix: str = "") -> dict[str, Any]:
    """``definitions``: the lot's questions by key (read once per request), or None without a lot."""
    fields: dict[str, list[str]] = {}
    importance, operator = criterion.importance, criterion.operator or RequirementCriterion.Operator.FREE_TEXT
    attribute_key, expected = (criterion.attribute_key or "").strip(), criterion.expected
    texts = FieldErrors()
    text = read_text(criterion.text, field=f"{prefix}text", errors=texts, max_length=CRITERION_TEXT,
                     message=_("Describe the requirement in words."))
    fields.update(texts.fields)
    if importance not in RequirementCriterion.Importance.values:
        fields[f"{prefix}importance"] = [_("Choose essential or desired.")]
    if operator not in RequirementCriterion.Operator.values:
        fields[f"{prefix}operator"] = [_("Choose how the requirement is checked.")]
    if operator == RequirementCriterion.Operator.FREE_TEXT:
        attribute_key, expected = "", None
    else:
        expected = _checked_expected(attribute_key=attribute_key, operator=operator, expected=expected,
                                     definitions=definitions, prefix=prefix, fields=fields)
    if fields:
        raise ValidationFailed(_("The requirement is not valid."), fields=fields)
    return {"importance": importance, "attribute_key": attribute_key, "operator": operator, "expected": expected,
            "text": text}


def _checked_expected(*, attribute_key: str, operator: str, expected: Any,
                      definitions: dict[str, AttributeDefinition] | None, prefix: str,
                      fields: dict[str, list[str]]) -> Any:
    if not attribute_key:
        fields[f"{prefix}attribute_key"] = [_("Choose the catalog question this requirement checks.")]
    elif definitions is not None:
        definition = definitions.get(attribute_key)
        if definition is None:
            fields[f"{prefix}attribute_key"] = [_("This lot has no such question.")]
        elif expected not in (None, "", []):
            expected = _fit_to_question(definition=definition, operator=operator, expected=expected,
                                        prefix=prefix, fields=fields)
    if expected in (None, "", []) and f"{prefix}expected" not in fields:
        fields[f"{prefix}expected"] = [_("Give the expected value.")]
    elif operator in (RequirementCriterion.Operator.AT_LEAST, RequirementCriterion.Operator.AT_MOST):
        try:
            expected = str(to_decimal(expected))
        except (TypeError, ValueError):
            fields[f"{prefix}expected"] = [_("Enter a number for a minimum or maximum.")]
    elif isinstance(expected, dict):
        fields[f"{prefix}expected"] = [_("Give a value or a list of values.")]
    return expected


def _fit_to_question(*, definition: AttributeDefinition, operator: str, expected: Any, prefix: str,
                     fields: dict[str, list[str]]) -> Any:
    """The expected value in the form the question's answers are stored (a choice's value, a bool, a
    number as text), so that the comparison can check it; a value no answer could match, or an
    operator that cannot apply to the question, is refused here instead of failing every offer later.
    Choices may be named by their value or their label ("Peru" or "peru")."""
    Operator, Kind = RequirementCriterion.Operator, AttributeDefinition.Kind
    values = expected if isinstance(expected, list) else [expected]
    operator_field, expected_field = f"{prefix}operator", f"{prefix}expected"
    if definition.kind == Kind.BOOLEAN:
        if operator != Operator.EQUALS:
            fields[operator_field] = [_("A yes-or-no question is checked with “is”.")]
        answer = values[0] if len(values) == 1 else None
        if isinstance(answer, bool):
            return answer
        text = str(answer).strip().casefold() if answer is not None else ""
        if text in YES or text in NO:
            return text in YES
        fields[expected_field] = [_("Answer yes or no.")]
        return expected
    if definition.kind == Kind.NUMBER:
        if operator == Operator.INCLUDES or len(values) != 1:
            fields[operator_field] = [_("A number question is checked with “is”, “at least” or “at most”.")]
            return expected
        try:
            return str(to_decimal(values[0]))
        except (TypeError, ValueError):
            fields[expected_field] = [_("Enter a number.")]
            return expected
    if operator in (Operator.AT_LEAST, Operator.AT_MOST):
        fields[operator_field] = [_("“At least” and “at most” are for number questions.")]
        return expected
    if definition.kind == Kind.MULTI_CHOICE and operator == Operator.EQUALS:
        fields[operator_field] = [_("Several answers may apply to this question: use “includes”.")]
        return expected
    if operator == Operator.EQUALS and len(values) != 1:
        fields[expected_field] = [_("Give one answer for “is”.")]
        return expected
    by_name = {}
    for choice in definition.choices or []:
        by_name[str(choice.get("label", "")).strip().casefold()] = choice.get("value")
        by_name[str(choice.get("value", "")).strip().casefold()] = choice.get("value")
    matched = [by_name.get(str(value).strip().casefold()) for value in values]
    unknown = [str(value) for value, match in zip(values, matched, strict=True) if match is None]
    if unknown:
        fields[expected_field] = [_("%(values)s: not an answer to this question. Choose from: %(choices)s.") % {
            "values": ", ".join(unknown),
            "choices": ", ".join(str(choice.get("label", choice.get("value"))) for choice in definition.choices or []),
        }]
        return expected
    return matched if isinstance(expected, list) or operator == Operator.INCLUDES else matched[0]



def clean_estimate(estimate: EstimateInput, *, prefix: str = "") -> dict[str, Any]:
    errors = FieldErrors()
    unit = read_text(estimate.unit, field=f"{prefix}unit", errors=errors, max_length=UNIT_TEXT,
                     message=_("Give the pricing unit, like vCPU-hour."))
    quantity = read_quantity(estimate.quantity, field=f"{prefix}quantity", errors=errors)
    errors.raise_if_any(_("The estimate is not valid."))
    return {"unit": unit, "quantity": quantity}


@transaction.atomic
def requirement_criterion_add(*, actor: User, requirement_id: int, criterion: CriterionInput) -> RequirementCriterion:
    requirement = lock_requirement(actor=actor, requirement_id=requirement_id)
    requirement_check_editable(requirement)
    definitions = attribute_definitions_for(lot_id=requirement.lot_id) if requirement.lot_id else None
    cleaned = clean_criterion(criterion, definitions=definitions)
    position = requirement.criteria.count()
    line = RequirementCriterion.objects.create(requirement=requirement, position=position, **cleaned)
    audit_record(action="requirement.criterion_added", actor=actor, organization=requirement.organization,
                 target=requirement, payload={"criterion": line.pk, **cleaned})
    return line


@transaction.atomic
def requirement_criterion_remove(*, actor: User, requirement_id: int, criterion_id: int) -> Requirement:
    requirement = lock_requirement(actor=actor, requirement_id=requirement_id)
    requirement_check_editable(requirement)
    criterion = requirement.criteria.filter(pk=criterion_id).first()
    if criterion is None:
        raise NotFound(_("No such requirement line."))
    payload = {"criterion": criterion.pk, "text": criterion.text, "importance": criterion.importance}
    criterion.delete()
    audit_record(action="requirement.criterion_removed", actor=actor, organization=requirement.organization,
                 target=requirement, payload=payload)
    return requirement


@transaction.atomic
def requirement_estimate_set(*, actor: User, requirement_id: int, estimate: EstimateInput) -> RequirementEstimate:
    """Set the estimated consumption for one pricing unit (replacing an earlier estimate for it)."""
    requirement = lock_requirement(actor=actor, requirement_id=requirement_id)
    requirement_check_editable(requirement)
    cleaned = clean_estimate(estimate)
    saved, _created = RequirementEstimate.objects.update_or_create(
        requirement=requirement, unit=cleaned["unit"], defaults={"quantity": cleaned["quantity"]}
    )
    audit_record(action="requirement.estimate_set", actor=actor, organization=requirement.organization,
                 target=requirement, payload=cleaned)
    return saved


@transaction.atomic
def requirement_estimate_remove(*, actor: User, requirement_id: int, estimate_id: int) -> Requirement:
    requirement = lock_requirement(actor=actor, requirement_id=requirement_id)
    requirement_check_editable(requirement)
    estimate = requirement.estimates.filter(pk=estimate_id).first()
    if estimate is None:
        raise NotFound(_("No such estimate."))
    payload = {"unit": estimate.unit, "quantity": estimate.quantity}
    estimate.delete()
    audit_record(action="requirement.estimate_removed", actor=actor, organization=requirement.organization,
                 target=requirement, payload=payload)
    return requirement
