"""Pages of the buyer's selection journey: requirement, saved search, end search, compare, award."""

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agreements.models import CeilingPrice, FrameworkAgreement
from agreements.selectors import frameworks_visible_to
from common.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from marketplace.selection import selectors, services
from marketplace.selection.api.views import listing_link
from marketplace.selection.export import comparison_file, snapshot_file
from marketplace.selection.forms import (
    AwardForm,
    CriterionForm,
    EstimateForm,
    FreezeForm,
    NoAwardForm,
    RequirementForm,
    SaveSearchForm,
    apply_domain_error,
)
from marketplace.selection.models import RequirementCriterion, SavedSearch


def _raise_for(error: DomainError) -> None:
    if isinstance(error, Forbidden):
        raise PermissionDenied(error.message)
    if isinstance(error, NotFound):
        raise Http404(error.message)



@contextmanager
def _errors_onto(form):
    """Run a write service for ``form``: its domain errors land on the form, a refusal that means
    403 or 404 is raised as such, and ``outcome.ok`` says whether the service succeeded."""
    outcome = SimpleNamespace(ok=False)
    try:
        yield outcome
    except ValidationFailed as error:
        apply_domain_error(form, error)
    except DomainError as error:
        _raise_for(error)
        form.add_error(None, error.message)
    else:
        outcome.ok = True


def _editable(request, requirement) -> bool:
    """Whether this user may change the requirement now (the service's rule, asked before offering forms)."""
    if not selectors.can_act_on(user=request.user, requirement=requirement):
        return False
    try:
        services.requirement_check_editable(requirement)
    except DomainError:
        return False
    return True


def _requirement(request, pk):
    try:
        return selectors.requirement_get(user=request.user, requirement_id=pk)
    except NotFound:
        raise Http404(_("No such requirement.")) from None


def _search(request, pk):
    try:
        return selectors.search_get(user=request.user, search_id=pk)
    except NotFound:
        raise Http404(_("No such saved search.")) from None


def _require_actor(request, requirement) -> None:
    if not selectors.can_act_on(user=request.user, requirement=requirement):
        raise PermissionDenied(_("Oversight users can read selections but cannot change them."))


def catalog_results_url(query: dict) -> str:
    pairs = []
    for key, value in query.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, item))
    for name in ("catalog:search", "catalog:listing-list", "catalog:listings"):
        try:
            return reverse(name) + "?" + urlencode(pairs)
        except NoReverseMatch:
            continue
    return "/catalog/?" + urlencode(pairs)


# --- requirements -------------------------------------------------------------------------------


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
        with _errors_onto(form) as outcome:
            requirement = services.requirement_create(actor=request.user, **form.requirement_values())
        if outcome.ok:
            messages.success(request, _("Requirement created. Now add what it must and should do."))
            return redirect("selection:requirement-detail", pk=requirement.pk)
    return render(request, "selection/requirement_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def requirement_edit(request, pk):
    """Change the requirement's details (the service refuses once a search for it has ended)."""
    requirement = _requirement(request, pk)
    if not selectors.can_act_on(user=request.user, requirement=requirement):
        raise PermissionDenied(_("Oversight users can read selections but cannot change them."))
    try:
        services.requirement_check_editable(requirement)
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
        with _errors_onto(form) as outcome:
            services.requirement_update(actor=request.user, requirement_id=requirement.pk, **form.requirement_values())
        if outcome.ok:
            messages.success(request, _("Requirement updated."))
            return redirect("selection:requirement-detail", pk=requirement.pk)
    return render(request, "selection/requirement_form.html", {"form": form, "requirement": requirement})


@login_required
@require_safe
def requirement_detail(request, pk):
    requirement = _requirement(request, pk)
    criteria = selectors.criteria_in_words(requirement=requirement)
    return render(request, "selection/requirement_detail.html", {
        "requirement": requirement,
        "essential": [item for item in criteria if item.importance == RequirementCriterion.Importance.ESSENTIAL],
        "desired": [item for item in criteria if item.importance == RequirementCriterion.Importance.DESIRED],
        "estimates": requirement.estimates.order_by("unit"),
        "searches": selectors.searches_of(requirement=requirement),
        "awards": selectors.awards_of(requirement=requirement),
        "can_act": selectors.can_act_on(user=request.user, requirement=requirement),
        "editable": _editable(request, requirement),
    })


@login_required
@require_http_methods(["GET", "POST"])
def criterion_add(request, pk, importance):
    requirement = _requirement(request, pk)
    _require_actor(request, requirement)
    if importance not in RequirementCriterion.Importance.values:
        raise Http404
    definitions = selectors.attribute_definitions_for(lot_id=requirement.lot_id)
    choices = [(key, definition.label) for key, definition in definitions.items()]
    form = CriterionForm(request.POST if request.method == "POST" else None, attribute_choices=choices)
    if request.method == "POST" and form.is_valid():
        with _errors_onto(form) as outcome:
            services.requirement_criterion_add(
                actor=request.user, requirement_id=requirement.pk, importance=importance,
                text=form.cleaned_data["text"], attribute_key=form.cleaned_data["attribute_key"],
                operator=form.cleaned_data["operator"], expected=form.expected_value(),
            )
        if outcome.ok:
            messages.success(request, _("Requirement added."))
            return redirect("selection:requirement-detail", pk=requirement.pk)
    return render(request, "selection/criterion_form.html", {
        "requirement": requirement, "form": form, "importance": importance, "definitions": definitions.values(),
    })


@login_required
@require_POST
def criterion_remove(request, pk, criterion_id):
    requirement = _requirement(request, pk)
    try:
        services.requirement_criterion_remove(actor=request.user, requirement_id=requirement.pk, criterion_id=criterion_id)
    except DomainError as error:
        _raise_for(error)
        messages.error(request, error.message)
    return redirect("selection:requirement-detail", pk=requirement.pk)


@login_required
@require_http_methods(["GET", "POST"])
def estimate_add(request, pk):
    requirement = _requirement(request, pk)
    _require_actor(request, requirement)
    form = EstimateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with _errors_onto(form) as outcome:
            services.requirement_estimate_set(actor=request.user, requirement_id=requirement.pk,
                                              unit=form.cleaned_data["unit"], quantity=form.cleaned_data["quantity"])
        if outcome.ok:
            messages.success(request, _("Estimate saved."))
            return redirect("selection:requirement-detail", pk=requirement.pk)
    units = CeilingPrice.objects.filter(lot_id=requirement.lot_id).values_list("unit", flat=True) if requirement.lot_id else []
    return render(request, "selection/estimate_form.html",
                  {"requirement": requirement, "form": form, "units": list(units)})


@login_required
@require_POST
def estimate_remove(request, pk, estimate_id):
    requirement = _requirement(request, pk)
    try:
        services.requirement_estimate_remove(actor=request.user, requirement_id=requirement.pk, estimate_id=estimate_id)
    except DomainError as error:
        _raise_for(error)
        messages.error(request, error.message)
    return redirect("selection:requirement-detail", pk=requirement.pk)


def _no_award_page(request, *, requirement, search=None):
    _require_actor(request, requirement)
    if requirement.status != requirement.Status.OPEN:
        messages.error(request, _("This requirement already has an outcome."))
        return redirect("selection:requirement-detail", pk=requirement.pk)
    form = NoAwardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with _errors_onto(form) as outcome:
            services.award_none(actor=request.user, requirement_id=None if search else requirement.pk,
                                search_id=search.pk if search else None, reason=form.cleaned_data["reason"])
        if outcome.ok:
            messages.success(request, _("The requirement is closed without an award."))
            return redirect("selection:requirement-detail", pk=requirement.pk)
    return render(request, "selection/no_award_form.html",
                  {"requirement": requirement, "search": search, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def requirement_no_award(request, pk):
    return _no_award_page(request, requirement=_requirement(request, pk))


# --- saved searches -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def search_save(request):
    """Save the catalog query given in the query string (GET) into a requirement."""
    if selectors.buyer_organization_of(request.user) is None:
        raise PermissionDenied(_("Only buyer users can save searches."))
    if request.method == "POST":
        query_string = request.POST.get("query_string", "")
    else:
        query_string = request.GET.urlencode()
    query = services.normalize_query(QueryDict(query_string))
    requirements = selectors.requirements_open_for(user=request.user).order_by("-created_at")
    try:
        summary = services.query_summary(query)
    except DomainError as error:
        summary, query_error = "", error.message
    else:
        query_error = ""
    initial = {"query_string": query_string, "name": summary[:200] if summary else ""}
    if request.method == "GET" and request.GET.get("requirement"):
        initial["requirement"] = request.GET["requirement"]
    form = SaveSearchForm(request.POST if request.method == "POST" else None, initial=initial, requirements=requirements)
    if request.method == "POST" and form.is_valid():
        choice = form.cleaned_data["requirement"]
        with _errors_onto(form) as outcome:
            search = services.search_save(
                actor=request.user, name=form.cleaned_data["name"], query=query,
                requirement_id=None if choice == SaveSearchForm.NEW else int(choice),
            )
        if outcome.ok:
            messages.success(request, _("Search saved."))
            return redirect("selection:search-detail", pk=search.pk)
    return render(request, "selection/search_save.html", {
        "form": form, "query": query, "summary": summary, "query_error": query_error,
        "results_url": catalog_results_url(query),
    })


def _current_count(search: SavedSearch) -> tuple[int | None, str]:
    from catalog.selectors import search_hits_all

    try:
        total, _hits = search_hits_all(query=dict(search.query), limit=1)
    except DomainError as error:
        return None, error.message
    return total, ""


@login_required
@require_safe
def search_detail(request, pk):
    search = _search(request, pk)
    requirement = search.requirement
    context = {
        "search": search, "requirement": requirement,
        "can_act": selectors.can_act_on(user=request.user, requirement=requirement),
        "results_url": catalog_results_url(search.query),
        "awards": selectors.awards_of(requirement=requirement).filter(search=search),
    }
    if search.status == SavedSearch.Status.FROZEN:
        context["entries"] = selectors.snapshot_entries(search=search)
    else:
        framework = search.framework
        context["limit"] = framework.max_frozen_results if framework else services.DEFAULT_FROZEN_LIMIT
        context["current_count"], context["count_error"] = _current_count(search)
    return render(request, "selection/search_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def search_freeze(request, pk):
    search = _search(request, pk)
    _require_actor(request, search.requirement)
    form = FreezeForm(request.POST if request.method == "POST" else None)
    framework = search.framework
    limit = framework.max_frozen_results if framework else services.DEFAULT_FROZEN_LIMIT
    current_count, count_error = (None, "") if search.status == SavedSearch.Status.FROZEN else _current_count(search)
    problem = None
    if request.method == "POST" and form.is_valid():
        try:
            services.search_freeze(actor=request.user, search_id=search.pk)
        except ValidationFailed as error:
            problem = error.message
        except Conflict as error:
            problem = error.message
        except DomainError as error:
            _raise_for(error)
            problem = error.message
        else:
            messages.success(request, _("The search has ended. Its results are fixed."))
            return redirect("selection:search-detail", pk=search.pk)
        if problem:
            form.add_error(None, problem)
    return render(request, "selection/search_freeze.html", {
        "search": search, "form": form, "limit": limit, "current_count": current_count, "count_error": count_error,
        "results_url": catalog_results_url(search.query),
    })


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _frozen_or_404(search: SavedSearch) -> SavedSearch:
    if search.status != SavedSearch.Status.FROZEN:
        raise Http404(_("Only an ended search has fixed results."))
    return search


@login_required
@require_safe
def search_export(request, pk):
    search = _frozen_or_404(_search(request, pk))
    export_format = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    content, content_type, filename = snapshot_file(
        search, export_format=export_format, link_for=lambda listing_id: listing_link(request, listing_id)
    )
    services.search_export_record(actor=request.user, search=search, export_format=export_format)
    return _download(content, content_type, filename)


@login_required
@require_safe
def search_comparison(request, pk):
    search = _frozen_or_404(_search(request, pk))
    comparison = selectors.comparison_build(search=search)
    return render(request, "selection/comparison.html", {
        "search": search, "comparison": comparison, "requirement": comparison.requirement,
        "can_act": selectors.can_act_on(user=request.user, requirement=comparison.requirement)
        and comparison.requirement.status == comparison.requirement.Status.OPEN,
    })


@login_required
@require_safe
def search_comparison_download(request, pk):
    search = _frozen_or_404(_search(request, pk))
    export_format = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    content, content_type, filename = comparison_file(selectors.comparison_build(search=search),
                                                      export_format=export_format)
    services.search_export_record(actor=request.user, search=search, export_format=f"comparison-{export_format}")
    return _download(content, content_type, filename)


@login_required
@require_http_methods(["GET", "POST"])
def search_award(request, pk):
    search = _frozen_or_404(_search(request, pk))
    requirement = search.requirement
    _require_actor(request, requirement)
    if requirement.status != requirement.Status.OPEN:
        messages.error(request, _("This requirement already has an outcome."))
        return redirect("selection:requirement-detail", pk=requirement.pk)
    comparison = selectors.comparison_build(search=search)
    compliant = [row for row in comparison.rows if row.essential_compliant]
    versions = [(row.entry.listing_version_id, f"{row.entry.rank}. {row.version.title} – {row.entry.supplier.name}")
                for row in compliant]
    initial = {}
    chosen_id = request.POST.get("listing_version") or request.GET.get("listing_version")
    chosen = comparison.row_for_version(int(chosen_id)) if chosen_id and str(chosen_id).isdigit() else None
    if chosen is not None:
        initial["listing_version"] = chosen.entry.listing_version_id
    form = AwardForm(request.POST if request.method == "POST" else None, initial=initial, versions=versions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with _errors_onto(form) as outcome:
            award, order = services.award_direct(
                actor=request.user, search_id=search.pk, listing_version_id=data["listing_version"],
                justification=data["justification"], cheaper_option_reason=data["cheaper_option_reason"],
                cap=data["cap"], start=data["start"], end=data["end"],
            )
        if outcome.ok:
            if order is not None:
                messages.success(request, _("Awarded. A draft call-off order (number %(order)s) was created.")
                                 % {"order": order.pk})
            else:
                messages.success(request, _("Awarded."))
            return redirect("selection:requirement-detail", pk=requirement.pk)
    return render(request, "selection/award_form.html", {
        "search": search, "requirement": requirement, "comparison": comparison, "form": form,
        "chosen": chosen, "needs_reason": chosen is not None and comparison.cheaper_option_needed(chosen),
        "rows": compliant, "currency": search.framework.currency if search.framework else "",
    })


@login_required
@require_http_methods(["GET", "POST"])
def search_no_award(request, pk):
    search = _frozen_or_404(_search(request, pk))
    return _no_award_page(request, requirement=search.requirement, search=search)
