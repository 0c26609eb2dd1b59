"""The listing page (published version or the owner's preview) and the lifecycle buttons on it and on the
supplier's and authority's lists."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agreements.models import Organization
from agreements.selectors import organization_of
from catalog import services
from catalog.models import AttributeDefinition, Listing, NeedCategory
from catalog.search.service import attribute_value_label
from catalog.selectors import can_see_drafts, is_listed, listing_get
from common.errors import DomainError
from common.form_errors import ErrorSummary, raise_as_http
from common.forms import read_typed_decimal
from common.http import safe_next

SHOWN_FIELDS = ("title", "summary", "description", "features", "benefits", "attributes", "unit", "unit_price",
                "exit_statement", "minimum_commitment", "lead_time_days")


def _shown_content(listing: Listing, *, preview: bool) -> tuple[dict, object]:
    """What the page shows (the draft on a preview, else the published version) and its ceiling price."""
    version = listing.current_version
    if preview or version is None:
        shown = {field: getattr(listing, field) for field in SHOWN_FIELDS}
        shown["category_ids"] = list(listing.categories.values_list("pk", flat=True))
        ceiling = listing.lot.ceiling_prices.filter(unit=listing.unit).values_list("max_unit_price", flat=True).first()
        return shown, ceiling
    shown = {field: getattr(version, field) for field in (*SHOWN_FIELDS, "category_ids")}
    return shown, version.ceiling_price


def _answers(listing: Listing, attributes: dict | None) -> list[dict]:
    """Each answered filter question, by its label, with its answer as the search names it."""
    definitions = {d.key: d for d in AttributeDefinition.objects.filter(lot=listing.lot)}
    answers = []
    for key, value in (attributes or {}).items():
        definition = definitions.get(key)
        values = value if isinstance(value, list) else [value]
        text = ", ".join(attribute_value_label(definition, "true" if v is True else "false" if v is False else str(v))
                         for v in values)
        answers.append({"label": definition.label if definition else key, "value": text})
    return answers


def listing_context(request, listing: Listing, *, preview: bool) -> dict:
    shown, ceiling = _shown_content(listing, preview=preview)
    return {"listing": listing, "shown": shown, "version": None if preview else listing.current_version,
            "ceiling": ceiling, "answers": _answers(listing, shown["attributes"]), "preview": preview,
            "owner_view": can_see_drafts(user=request.user, listing=listing),
            "categories": NeedCategory.objects.filter(pk__in=shown["category_ids"]).order_by("path"),
            "listed": is_listed(listing)}


def listing_page(request, pk):
    try:
        listing = listing_get(user=request.user, listing_id=pk)
    except DomainError:
        raise Http404 from None
    preview = listing.current_version_id is None or (request.GET.get("preview") == "1"
                                                      and can_see_drafts(user=request.user, listing=listing))
    return render(request, "catalog/listing.html", listing_context(request, listing, preview=preview))


# --- lifecycle buttons -------------------------------------------------------------------------------


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


def _run_action(request, listing: Listing, action: str) -> str:
    """Run one lifecycle move; the sentence that says it was done."""
    actor = request.user
    if action == "submit":
        services.listing_submit(actor=actor, listing=listing)
        return _("Submitted for review by the procurement authority.")
    if action == "withdraw":
        services.listing_withdraw(actor=actor, listing=listing)
        return _("Listing withdrawn.")
    if action == "publish":
        services.listing_publish(actor=actor, listing=listing)
        return _("Published: buyers can now find “%(title)s”.") % {"title": listing.title}
    if action == "reject":
        services.listing_reject(actor=actor, listing=listing, reason=request.POST.get("reason", ""))
        return _("Rejected; the supplier sees your reason.")
    if action == "stock":
        services.listing_set_stock(actor=actor, listing=listing, stock=_typed_whole(request.POST.get("stock")))
        return _("Stock updated.")
    raise Http404


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


@login_required
@require_POST
def listing_action(request, pk, action):
    """A button on a list: done or refused, the answer goes back to the list as a message (a refusal for
    the wrong person is a 403, a listing out of sight a 404, like every page)."""
    try:
        listing = listing_get(user=request.user, listing_id=pk)
        messages.success(request, _run_action(request, listing, action))
    except DomainError as error:
        raise_as_http(error)
        summary = ErrorSummary.from_error(error)
        # Each sentence once: a one-field error may say the same thing in its summary and for its field.
        sentences = dict.fromkeys([summary.headline, *(message for _a, _l, message in summary.entries)])
        messages.error(request, " ".join(sentences).strip())
    return redirect(safe_next(request) or _landing_for(request.user))
