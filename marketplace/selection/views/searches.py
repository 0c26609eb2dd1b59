"""Pages of the saved search: save a catalog query, follow it, end it, export and compare its results."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from common.errors import DomainError
from common.form_errors import service_errors_on
from marketplace.selection import selectors
from marketplace.selection.export import comparison_file, listing_link, snapshot_file
from marketplace.selection.forms import FreezeForm, SaveSearchForm
from marketplace.selection.inputs import read_query
from marketplace.selection.models import SavedSearch
from marketplace.selection.services.searches import (
    DEFAULT_FROZEN_LIMIT,
    query_summary,
    search_export_record,
)
from marketplace.selection.services.searches import search_freeze as end_search
from marketplace.selection.services.searches import search_save as save_search
from marketplace.selection.views.pages import (
    catalog_results_url,
    current_count,
    download,
    frozen_or_404,
    require_actor,
    search_or_404,
)


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
    query = read_query(QueryDict(query_string))
    requirements = selectors.requirements_open_for(user=request.user).order_by("-created_at")
    try:
        summary = query_summary(query)
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
        with service_errors_on(form) as outcome:
            search = save_search(actor=request.user, name=form.cleaned_data["name"], query=query,
                                 requirement_id=None if choice == SaveSearchForm.NEW else int(choice))
        if outcome.ok:
            messages.success(request, _("Search saved."))
            return redirect("selection:search-detail", pk=search.pk)
    return render(request, "selection/search_save.html", {
        "form": form, "query": query, "summary": summary, "query_error": query_error,
        "results_url": catalog_results_url(query),
    })


@login_required
@require_safe
def search_detail(request, pk):
    search = search_or_404(request, pk)
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
        context["limit"] = framework.max_frozen_results if framework else DEFAULT_FROZEN_LIMIT
        context["current_count"], context["count_error"] = current_count(search)
    return render(request, "selection/search_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def search_freeze(request, pk):
    search = search_or_404(request, pk)
    require_actor(request, search.requirement)
    form = FreezeForm(request.POST if request.method == "POST" else None)
    framework = search.framework
    limit = framework.max_frozen_results if framework else DEFAULT_FROZEN_LIMIT
    count, count_error = (None, "") if search.status == SavedSearch.Status.FROZEN else current_count(search)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form) as outcome:
            end_search(actor=request.user, search_id=search.pk)
        if outcome.ok:
            messages.success(request, _("The search has ended. Its results are fixed."))
            return redirect("selection:search-detail", pk=search.pk)
    return render(request, "selection/search_freeze.html", {
        "search": search, "form": form, "limit": limit, "current_count": count, "count_error": count_error,
        "results_url": catalog_results_url(search.query),
    })



@login_required
@require_safe
def search_export(request, pk):
    search = frozen_or_404(search_or_404(request, pk))
    export_format = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    content, content_type, filename = snapshot_file(
        search, export_format=export_format, link_for=lambda listing_id: listing_link(request, listing_id)
    )
    search_export_record(reader=request.user, search=search, export_format=export_format)
    return download(content, content_type, filename)


@login_required
@require_safe
def search_comparison(request, pk):
    search = frozen_or_404(search_or_404(request, pk))
    comparison = selectors.comparison_build(search=search)
    return render(request, "selection/comparison.html", {
        "search": search, "comparison": comparison, "requirement": comparison.requirement,
        "can_act": selectors.can_act_on(user=request.user, requirement=comparison.requirement)
        and comparison.requirement.status == comparison.requirement.Status.OPEN,
    })


@login_required
@require_safe
def search_comparison_download(request, pk):
    search = frozen_or_404(search_or_404(request, pk))
    export_format = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    content, content_type, filename = comparison_file(selectors.comparison_build(search=search),
                                                      export_format=export_format)
    search_export_record(reader=request.user, search=search, export_format=f"comparison-{export_format}")
    return download(content, content_type, filename)

