"""The supplier's CSV import: a template per framework, and the upload with its row-by-row report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from agreements.selectors import frameworks_admitting
from catalog import services
from catalog.forms import CsvImportForm
from catalog.models import NeedCategory
from catalog.search.query import as_id
from catalog.views.supplier import require_supplier
from common.form_errors import ErrorSummary, service_errors_on


@login_required
def import_page(request):
    supplier = require_supplier(request)
    frameworks = frameworks_admitting(supplier=supplier)
    form = CsvImportForm(request.POST or None, request.FILES or None, frameworks=frameworks)
    summary, rows = None, []
    if request.method == "POST" and form.is_valid():
        framework = get_object_or_404(frameworks, pk=form.cleaned_data["framework"])
        with service_errors_on(form) as outcome:
            created = services.listings_import_csv(actor=request.user, framework=framework,
                                                   file=form.cleaned_data["file"])
        if outcome.ok:
            messages.success(request, _("%(count)s draft listings imported.") % {"count": len(created)})
            return redirect("catalog:my-listings")
        # The refusal says what is wrong with the file; its hint is shown at the file field.
        summary = ErrorSummary.from_error(outcome.error, labels={"file": str(form["file"].label)})
        summary.anchors = {"file": form["file"].id_for_label}
        rows = outcome.error.extra.get("rows", [])
    return render(request, "catalog/import.html", {
        "form": form, "summary": summary, "rows": rows, "frameworks": frameworks,
        "needs": NeedCategory.objects.order_by("path"),
    }, status=400 if rows else 200)


@login_required
def import_template(request):
    """A CSV template for one of the supplier's frameworks: the columns and one example row."""
    supplier = require_supplier(request)
    frameworks = frameworks_admitting(supplier=supplier)
    framework_id = as_id(request.GET.get("framework") or "")
    if framework_id is None:
        raise Http404(_("Choose one of your frameworks."))
    framework = get_object_or_404(frameworks, pk=framework_id)
    response = HttpResponse(services.import_template_csv(framework=framework), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="listings-{framework.reference}.csv"'
    return response
