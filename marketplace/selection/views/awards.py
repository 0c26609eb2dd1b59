"""Pages of the outcome: award the requirement to one result of its ended search, or record no award."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.form_errors import service_errors_on
from marketplace.selection import selectors
from marketplace.selection.forms import AwardForm, NoAwardForm
from marketplace.selection.services.awards import award_direct, award_none
from marketplace.selection.views.pages import frozen_or_404, require_actor, requirement_or_404, search_or_404


def no_award_page(request, *, requirement, search=None):
    require_actor(request, requirement)
    if requirement.status != requirement.Status.OPEN:
        messages.error(request, _("This requirement already has an outcome."))
        return redirect("selection:requirement-detail", pk=requirement.pk)
    form = NoAwardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form) as outcome:
            award_none(actor=request.user, requirement_id=None if search else requirement.pk,
                       search_id=search.pk if search else None, reason=form.cleaned_data["reason"])
        if outcome.ok:
            messages.success(request, _("The requirement is closed without an award."))
            return redirect("selection:requirement-detail", pk=requirement.pk)
    return render(request, "selection/no_award_form.html",
                  {"requirement": requirement, "search": search, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def requirement_no_award(request, pk):
    return no_award_page(request, requirement=requirement_or_404(request, pk))



@login_required
@require_http_methods(["GET", "POST"])
def search_award(request, pk):
    search = frozen_or_404(search_or_404(request, pk))
    requirement = search.requirement
    require_actor(request, requirement)
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
        with service_errors_on(form) as outcome:
            _award, order = award_direct(actor=request.user, search_id=search.pk, award=form.award())
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
    search = frozen_or_404(search_or_404(request, pk))
    return no_award_page(request, requirement=search.requirement, search=search)
