"""Catalog pages: search results, listing page, supplier pages, authority review queue."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agreements.models import FrameworkAgreement, Lot, Organization
from agreements.selectors import admissions_of, frameworks_admitting, frameworks_visible_to, organization_of
from catalog import services
from catalog.forms import CsvImportForm, ListingForm, RejectForm
from catalog.models import AttributeDefinition, NeedCategory
from catalog.search.query import RESERVED_KEYS
from catalog.search.service import attribute_value_label
from catalog.selectors import (
    can_see_drafts,
    describe_query,
    is_listed,
    listing_get,
    listings_of_supplier,
    review_queue,
    search_filters_known,
    search_listings,
)
from common.errors import DomainError, ValidationFailed
from common.forms import read_typed_decimal
from common.http import safe_next
from common.money import price_text

FACET_ORDER = ["lot", "category"]


def _query_from(request) -> dict:
    return {key: [v for v in values if v != ""] for key, values in request.GET.lists()
            if key not in ("page",) and any(v != "" for v in values)}


def _url(query: dict) -> str:
    pairs = [(key, value) for key, values in query.items() for value in (values if isinstance(values, list) else [values])]
    return "?" + urlencode(pairs) if pairs else "?"


def _facet_groups(result, query: dict) -> tuple[list, list]:
    lots = {str(lot.pk): lot for lot in Lot.objects.select_related("framework")}
    categories = {str(c.pk): c for c in NeedCategory.objects.all()}
    definitions = {}
    for definition in AttributeDefinition.objects.order_by("position", "pk"):
        definitions.setdefault(definition.key, definition)

    def label(key, value):
        if key == "lot":
            lot = lots.get(value)
            return f"{lot.framework.reference} · {lot}" if lot else value
        if key == "category":
            category = categories.get(value)
            return category.name if category else value
        return attribute_value_label(definitions.get(key), value)

    keys = FACET_ORDER + sorted((k for k in result.facets if k not in FACET_ORDER),
                                key=lambda k: (definitions[k].position if k in definitions else 99, k))
    groups = []
    for key in keys:
        counts = result.facets.get(key, {})
        selected = query.get(key, [])
        values = list(counts) + [v for v in selected if v not in counts]
        if key == "category":
            values.sort(key=lambda v: categories[v].path if v in categories else v)
        elif key in definitions and definitions[key].choices:
            order = [str(c["value"]) for c in definitions[key].choices]
            values.sort(key=lambda v: order.index(v) if v in order else 99)
        else:
            values.sort()
        options = [{"value": v, "label": label(key, v), "count": counts.get(v, 0), "checked": v in selected,
                    "child": key == "category" and v in categories and categories[v].parent_id is not None}
                   for v in values]
        if options:
            title = {"lot": _("Lot"), "category": _("Need")}.get(key) or (definitions[key].label if key in definitions else key)
            groups.append({"key": key, "label": title, "options": options})
    active = []
    for key, values in query.items():
        if key in ("sort",):
            continue
        for value in values:
            rest = {k: [v for v in vs if not (k == key and v == value)] for k, vs in query.items()}
            rest = {k: vs for k, vs in rest.items() if vs}
            if key == "q":
                text = _("Keywords: %(q)s") % {"q": value}
            elif key in ("lot", "category") or key not in RESERVED_KEYS:
                group = {"lot": _("Lot"), "category": _("Need")}.get(key) or (
                    definitions[key].label if key in definitions else key)
                text = f"{group}: {label(key, value)}"
            elif key == "price_max":
                text = _("Max price per unit: %(price)s") % {"price": price_text(value)}
            elif key == "in_stock":
                text = _("In stock only")
            elif key == "framework":
                framework = FrameworkAgreement.objects.filter(pk=value).first()
                text = _("Framework: %(f)s") % {"f": framework.reference if framework else value}
            elif key == "supplier":
                supplier = Organization.objects.filter(pk=value).first()
                text = _("Supplier: %(name)s") % {"name": supplier.name if supplier else value}
            else:
                text = f"{key}: {value}"
            active.append({"label": text, "url": _url(rest)})
    return groups, active


IGNORED_FILTER_NOTICES = {
    "framework": gettext_lazy("Ignored a filter that names no known framework: %(value)s."),
    "lot": gettext_lazy("Ignored a filter that names no known lot: %(value)s."),
    "category": gettext_lazy("Ignored a filter that names no known need category: %(value)s."),
    "supplier": gettext_lazy("Ignored a filter that names no known supplier: %(value)s."),
}


def _ignored_notices(ignored: list[tuple[str, str]]) -> list[str]:
    notices = []
    for key, value in ignored:
        if key in IGNORED_FILTER_NOTICES:
            notices.append(IGNORED_FILTER_NOTICES[key] % {"value": value})
        else:
            notices.append(_("Ignored a filter that names no known question or answer: %(value)s.")
                           % {"value": f"{key}={value}"})
    return notices


def _typed_price_max(query: dict) -> str:
    """The maximum price as the user typed it (shown back in the box); the query gets its canonical form
    (``0.2``), so that the search, the filter chips and a saved search read it the same in every language.
    Text that cannot be read stays as it is, and the search says what is wrong with it."""
    typed = (query.get("price_max") or [""])[0]
    if typed.strip():
        try:
            query["price_max"] = [str(read_typed_decimal(typed, example="0.20"))]
        except DjangoValidationError:
            pass
    return typed


SEARCH_FIELD_LABELS = {
    "q": gettext_lazy("Keywords"), "price_max": gettext_lazy("Max price per unit"), "category": gettext_lazy("Need"),
    "lot": gettext_lazy("Lot"), "framework": gettext_lazy("Framework"), "supplier": gettext_lazy("Supplier"),
    "sort": gettext_lazy("Sort by"), "in_stock": gettext_lazy("In stock only"),
}


def _error_lines(error: ValidationFailed | None) -> list[str]:
    """Each problem of a refused search, named by what the page calls its box (or its question)."""
    if error is None:
        return []
    questions = {definition.key: definition.label for definition in AttributeDefinition.objects.filter(
        key__in=list(error.fields)).only("key", "label")}
    return [f"{SEARCH_FIELD_LABELS.get(key) or questions.get(key) or key}: {message}"
            for key, messages_ in error.fields.items() for message in messages_]


def search_page(request):
    query, ignored = search_filters_known(user=request.user, query=_query_from(request))
    typed_price_max = _typed_price_max(query)
    notices = _ignored_notices(ignored)
    try:
        page = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        page = 1
    error = None
    try:
        result = search_listings(user=request.user, query=query, page=page)
        if page > result.pages:
            # Like Paginator.get_page: a page past the end shows the last one (the API answers it empty).
            notices.append(_("There is no page %(page)s; showing the last page.") % {"page": page})
            page = result.pages
            result = search_listings(user=request.user, query=query, page=page)
        description = describe_query(query)
    except ValidationFailed as exc:
        error, result, description = exc, None, ""
    groups, active = _facet_groups(result, query) if result else ([], [])
    lots = {lot.pk: lot for lot in Lot.objects.select_related("framework")}
    pages = []
    if result and result.pages > 1:
        for number in sorted({1, max(1, page - 2), page - 1, page, page + 1, min(result.pages, page + 2), result.pages}):
            if 1 <= number <= result.pages:
                pages.append({"number": number, "url": _url({**query, "page": [str(number)]}), "current": number == page})
    context = {
        "query": query, "q": " ".join(query.get("q", [])), "sort": (query.get("sort") or ["relevance"])[0],
        "result": result, "error": error, "error_lines": _error_lines(error), "notices": notices,
        "query_url": _url(query), "groups": groups,
        "active": active, "description": description,
        "lots": lots, "pages": pages, "price_max": typed_price_max,
        "in_stock": bool(query.get("in_stock")), "hidden": [(k, v) for k, vs in query.items() if k in ("framework", "supplier") for v in vs],
        "frameworks": [{"pk": f.pk, "label": f"{f.reference} {f.title}", "checked": str(f.pk) in query.get("framework", [])}
                       for f in frameworks_visible_to(user=request.user).order_by("reference")],
        "previous_url": _url({**query, "page": [str(page - 1)]}) if result and page > 1 else None,
        "next_url": _url({**query, "page": [str(page + 1)]}) if result and page < result.pages else None,
        "sorts": [("relevance", _("Best match")), ("price", _("Lowest price")), ("-price", _("Highest price")),
                  ("newest", _("Newest"))],
    }
    return render(request, "catalog/search.html", context, status=400 if error else 200)


def _listing_context(request, listing, *, preview: bool) -> dict:
    version = listing.current_version
    if preview or version is None:
        shown = {"title": listing.title, "summary": listing.summary, "description": listing.description,
                 "features": listing.features, "benefits": listing.benefits, "attributes": listing.attributes,
                 "unit": listing.unit, "unit_price": listing.unit_price, "exit_statement": listing.exit_statement,
                 "minimum_commitment": listing.minimum_commitment, "lead_time_days": listing.lead_time_days,
                 "category_ids": list(listing.categories.values_list("pk", flat=True))}
        ceiling = listing.lot.ceiling_prices.filter(unit=listing.unit).values_list("max_unit_price", flat=True).first()
    else:
        shown = {field: getattr(version, field) for field in (
            "title", "summary", "description", "features", "benefits", "attributes", "unit", "unit_price",
            "exit_statement", "minimum_commitment", "lead_time_days", "category_ids")}
        ceiling = version.ceiling_price
    definitions = {d.key: d for d in AttributeDefinition.objects.filter(lot=listing.lot)}
    answers = []
    for key, value in (shown["attributes"] or {}).items():
        definition = definitions.get(key)
        values = value if isinstance(value, list) else [value]
        text = ", ".join(attribute_value_label(definition, "true" if v is True else "false" if v is False else str(v))
                         for v in values)
        answers.append({"label": definition.label if definition else key, "value": text})
    return {"listing": listing, "shown": shown, "version": None if preview else version, "ceiling": ceiling,
            "answers": answers, "preview": preview, "owner_view": can_see_drafts(user=request.user, listing=listing),
            "categories": NeedCategory.objects.filter(pk__in=shown["category_ids"]).order_by("path"),
            "listed": is_listed(listing)}


def listing_page(request, pk):
    try:
        listing = listing_get(user=request.user, listing_id=pk)
    except DomainError:
        raise Http404 from None
    preview = listing.current_version_id is None or (request.GET.get("preview") == "1"
                                                      and can_see_drafts(user=request.user, listing=listing))
    return render(request, "catalog/listing.html", _listing_context(request, listing, preview=preview))


# --- supplier pages ------------------------------------------------------------------------------

def _require_supplier(request):
    """The signed-in supplier; anyone else is refused with the reason (the 403 page shows it)."""
    organization = organization_of(request.user)
    if organization is None or organization.kind != Organization.Kind.SUPPLIER:
        raise PermissionDenied(_("Only supplier users can manage listings."))
    return organization


@login_required
def my_listings(request):
    _require_supplier(request)
    listings = listings_of_supplier(user=request.user).order_by("-updated_at")
    return render(request, "catalog/my_listings.html", {"listings": listings})


@login_required
def listing_create_page(request):
    supplier = _require_supplier(request)
    lots = [a.lot for a in admissions_of(supplier=supplier).filter(status="admitted").order_by(
        "lot__framework__reference", "lot__number")]
    lot_id = request.GET.get("lot") or request.POST.get("lot")
    lot = next((lot for lot in lots if str(lot.pk) == str(lot_id)), None)
    if lot is None:
        return render(request, "catalog/choose_lot.html", {"lots": lots})
    form = ListingForm(request.POST or None, lot=lot)
    if request.method == "POST" and form.is_valid():
        try:
            listing = services.listing_create(actor=request.user, framework=lot.framework, lot=lot,
                                              data=form.service_data())
        except DomainError as error:
            form.add_service_errors(error.fields or {"__all__": [error.message]})
        else:
            messages.success(request, _("Draft saved. Preview it, then submit it for review."))
            return redirect("catalog:listing-preview", pk=listing.pk)
    return render(request, "catalog/listing_form.html", {"form": form, "lot": lot, "listing": None})


@login_required
def listing_edit_page(request, pk):
    _require_supplier(request)
    listing = get_object_or_404(listings_of_supplier(user=request.user), pk=pk)
    try:
        services.listing_check_editable(listing=listing)
    except DomainError as error:
        # No form that could only be refused on save: back to the listing, saying why.
        messages.error(request, error.message)
        return redirect("catalog:listing-preview", pk=listing.pk)
    form = ListingForm(request.POST or None, lot=listing.lot, initial=ListingForm.initial_from(listing))
    if request.method == "POST" and form.is_valid():
        try:
            services.listing_update(actor=request.user, listing=listing, data=form.service_data())
        except DomainError as error:
            form.add_service_errors(error.fields or {"__all__": [error.message]})
        else:
            messages.success(request, _("Changes saved as a draft. Buyers still see the published version."))
            return redirect("catalog:listing-preview", pk=listing.pk)
    return render(request, "catalog/listing_form.html", {"form": form, "lot": listing.lot, "listing": listing})


@login_required
def listing_preview_page(request, pk):
    _require_supplier(request)
    listing = get_object_or_404(listings_of_supplier(user=request.user), pk=pk)
    return render(request, "catalog/listing.html", _listing_context(request, listing, preview=True))


@login_required
@require_POST
def listing_action(request, pk, action):
    listing = listing_get(user=request.user, listing_id=pk)
    try:
        if action == "submit":
            services.listing_submit(actor=request.user, listing=listing)
            messages.success(request, _("Submitted for review by the procurement authority."))
        elif action == "withdraw":
            services.listing_withdraw(actor=request.user, listing=listing)
            messages.success(request, _("Listing withdrawn."))
        elif action == "publish":
            services.listing_publish(actor=request.user, listing=listing)
            messages.success(request, _("Published: buyers can now find “%(title)s”.") % {"title": listing.title})
        elif action == "reject":
            services.listing_reject(actor=request.user, listing=listing, reason=request.POST.get("reason", ""))
            messages.success(request, _("Rejected; the supplier sees your reason."))
        elif action == "stock":
            services.listing_set_stock(actor=request.user, listing=listing, stock=_typed_whole(request.POST.get("stock")))
            messages.success(request, _("Stock updated."))
        else:
            raise Http404
    except DomainError as error:
        # Each sentence once: a one-field error may say the same thing in its summary and for its field.
        sentences = dict.fromkeys([error.message, *(m for ms in error.fields.values() for m in ms)])
        messages.error(request, " ".join(sentences).strip())
    return redirect(safe_next(request) or _landing_for(request.user))


def _landing_for(user) -> str:
    """Where an action goes back to when no safe ``next`` was posted: a page this user may open
    (the authority's review queue, the supplier's own listings, otherwise the home page)."""
    organization = organization_of(user)
    kind = organization.kind if organization else None
    if kind == Organization.Kind.AUTHORITY:
        return "catalog:review"
    if kind == Organization.Kind.SUPPLIER:
        return "catalog:my-listings"
    return "home"


def _typed_whole(value: str | None) -> str | None:
    """A whole number typed in the active language ("1.500" in Spanish), canonical ("1500"); anything else
    as it was typed, for the service to refuse with its own message."""
    if not (value or "").strip():
        return None
    try:
        number = read_typed_decimal(value)
    except DjangoValidationError:
        return value
    return str(int(number)) if number == number.to_integral_value() else value


@login_required
def import_page(request):
    supplier = _require_supplier(request)
    frameworks = frameworks_admitting(supplier=supplier)
    form = CsvImportForm(request.POST or None, request.FILES or None, frameworks=frameworks)
    report = None
    if request.method == "POST" and form.is_valid():
        framework = get_object_or_404(frameworks, pk=form.cleaned_data["framework"])
        try:
            created = services.listings_import_csv(
                actor=request.user, framework=framework, file=form.cleaned_data["file"]
            )
        except DomainError as error:
            report = {"message": error.message, "rows": error.extra.get("rows", [])}
            if not report["rows"]:
                form.add_error("file", error.message)
                report = None
        else:
            messages.success(request, _("%(count)s draft listings imported.") % {"count": len(created)})
            return redirect("catalog:my-listings")
    return render(request, "catalog/import.html", {
        "form": form, "report": report, "frameworks": frameworks, "needs": NeedCategory.objects.order_by("path"),
    }, status=400 if report else 200)


@login_required
def import_template(request):
    """A CSV template for one of the supplier's frameworks: the columns and one example row."""
    supplier = _require_supplier(request)
    frameworks = frameworks_admitting(supplier=supplier)
    framework = get_object_or_404(frameworks, pk=request.GET.get("framework") or 0) \
        if str(request.GET.get("framework", "")).isdigit() else None
    if framework is None:
        raise Http404(_("Choose one of your frameworks."))
    response = HttpResponse(services.import_template_csv(framework=framework), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="listings-{framework.reference}.csv"'
    return response


# --- authority pages -------------------------------------------------------------------------------

@login_required
def review_page(request):
    organization = organization_of(request.user)
    if organization is None or organization.kind != Organization.Kind.AUTHORITY:
        raise PermissionDenied(_("Only procurement authority users can review listings."))
    return render(request, "catalog/review.html", {"listings": review_queue(user=request.user), "form": RejectForm()})
