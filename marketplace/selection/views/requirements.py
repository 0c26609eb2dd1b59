"""Pages of the requirement: list, describe, change, and its criteria and estimates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agreements.models import CeilingPrice, FrameworkAgreement
from agreements.selectors import frameworks_visible_to
from common.errors import DomainError
from common.form_errors import raise_as_http, service_errors_on
from marketplace.selection import selectors
from marketplace.selection.forms import CriterionForm, EstimateForm, RequirementForm
from marketplace.selection.models import RequirementCriterion
from marketplace.selection.services.access import requirement_check_editable
from marketplace.selection.services.criteria import (
    requirement_criterion_add,
    requirement_criterion_remove,
    requirement_estimate_remove,
    requirement_estimate_set,
)
from marketplace.selection.services.requirements import requirement_create as create_requirement
from marketplace.selection.services.requirements import requirement_update
from marketplace.selection.views.pages import editable, require_actor, requirement_or_404


@login_required
@require_safe
def requirement_list(request):
    requirements = selectors.requirements_visible_to(user=request.user).order_by("-created_at", "-pk")
    return render(request, "selection/requirement_list.html", {
        "requirements": requirements,
        "can_create": selectors.buyer_organization_of(request.user) is not None,
    })


def _live_frameworks(request):
    return frameworks_visible_to(user=request.user).filter(status=FrameworkAgreement.Status.LIVE).order_by("reference")


@login_required
@require_http_methods(["GET", "POST"])
def requirement_create(request):
    if selectors.buyer_organization_of(request.user) is None:
        raise PermissionDenied(_("Only buyer users can describe requirements."))
    form = RequirementForm(request.POST if request.method == "POST" else None, frameworks=_live_frameworks(request))
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form) as outcome:
            requirement = create_requirement(actor=request.user, details=form.details())
        if outcome.ok:
            messages.success(request, _("Requirement created. Now add what it must and should do."))
            return redirect("selection:requirement-detail", pk=requirement.pk)
    return render(request, "selection/requirement_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def requirement_edit(request, pk):
    """Change the requirement's details (the service refuses once a search for it has ended)."""
    requirement = requirement_or_404(request, pk)
    if not selectors.can_act_on(user=request.user, requirement=requirement):
        raise PermissionDenied(_("Oversight users can read selections but cannot change them."))
    try:
        requirement_check_editable(requirement)
    except DomainError as error:  # no form that could only be refused on save: back, saying why
        messages.error(request, error.message)
        return redirect("selection:requirement-detail", pk=requirement.pk)
    initial = {
        "title": requirement.title, "framework": requirement.framework_id, "lot": requirement.lot_id,
        "category": requirement.category_id, "description": requirement.description, "budget": requirement.budget,
        "period_start": requirement.period_start, "period_end": requirement.period_end,
    }
    form = RequirementForm(request.POST if request.method == "POST" else None, initial=initial,
                           frameworks=_live_frameworks(request))
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form) as outcome:
            requirement_update(actor=request.user, requirement_id=requirement.pk, details=form.details())
        if outcome.ok:
            messages.success(request, _("Requirement updated."))
            return redirect("selection:requirement-detail", pk=requirement.pk)
    return render(request, "selection/requirement_form.html", {"form": form, "requirement": requirement})


@login_required
@require_safe
def requirement_detail(request, pk):
    requirement = requirement_or_404(request, pk)
    criteria = selectors.criteria_in_words(requirement=requirement)
    return render(request, "selection/requirement_detail.html", {
        "requirement": requirement,
        "essential": [item for item in criteria if item.importance == RequirementCriterion.Importance.ESSENTIAL],
        "desired": [item for item in criteria if item.importance == RequirementCriterion.Importance.DESIRED],
        "estimates": requirement.estimates.order_by("unit"),
        "searches": selectors.searches_of(requirement=requirement),
        "awards": selectors.awards_of(requirement=requirement),
        "can_act": selectors.can_act_on(user=request.user, requirement=requirement),
        "editable": editable(request, requirement),
    })


@login_required
@require_http_methods(["GET", "POST"])
def criterion_add(request, pk, importance):
    requirement = requirement_or_404(request, pk)
    require_actor(request, requirement)
    if importance not in RequirementCriterion.Importance.values:
        raise Http404
    definitions = selectors.attribute_definitions_for(lot_id=requirement.lot_id)
    choices = [(key, definition.label) for key, definition in definitions.items()]
    form = CriterionForm(request.POST if request.method == "POST" else None, attribute_choices=choices)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form) as outcome:
            requirement_criterion_add(actor=request.user, requirement_id=requirement.pk,
                                      criterion=form.criterion(importance))
        if outcome.ok:
            messages.success(request, _("Requirement added."))
            return redirect("selection:requirement-detail", pk=requirement.pk)
    return render(request, "selection/criterion_form.html", {
        "requirement": requirement, "form": form, "importance": importance, "definitions": definitions.values(),
    })


@login_required
@require_POST
def criterion_remove(request, pk, criterion_id):
    requirement = requirement_or_404(request, pk)
    try:
        requirement_criterion_remove(actor=request.user, requirement_id=requirement.pk, criterion_id=criterion_id)
    except DomainError as error:
        raise_as_http(error)
        messages.error(request, error.message)
    return redirect("selection:requirement-detail", pk=requirement.pk)


@login_required
@require_http_methods(["GET", "POST"])
def estimate_add(request, pk):
    requirement = requirement_or_404(request, pk)
    require_actor(request, requirement)
    form = EstimateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form) as outcome:
            requirement_estimate_set(actor=request.user, requirement_id=requirement.pk, estimate=form.estimate())
        if outcome.ok:
            messages.success(request, _("Estimate saved."))
            return redirect("selection:requirement-detail", pk=requirement.pk)
    units = CeilingPrice.objects.filter(lot_id=requirement.lot_id).values_list("unit", flat=True) if requirement.lot_id else []
    return render(request, "selection/estimate_form.html",
                  {"requirement": requirement, "form": form, "units": list(units)})


@login_required
@require_POST
def estimate_remove(request, pk, estimate_id):
    requirement = requirement_or_404(request, pk)
    try:
        requirement_estimate_remove(actor=request.user, requirement_id=requirement.pk, estimate_id=estimate_id)
    except DomainError as error:
        raise_as_http(error)
        messages.error(request, error.message)
    return redirect("selection:requirement-detail", pk=requirement.pk)

