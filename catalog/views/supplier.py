"""The supplier's pages: its listings, a new listing (lot first), editing a draft, the preview."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from agreements.models import Organization
from agreements.selectors import admissions_of, organization_of
from catalog import services
from catalog.forms import ListingForm
from catalog.search.query import as_id
from catalog.selectors import listings_of_supplier
from catalog.views.listing import listing_context
from common.errors import DomainError
from common.form_errors import service_errors_on


def require_supplier(request) -> Organization:
    """The signed-in supplier; anyone else is refused with the reason (the 403 page shows it)."""
    organization = organization_of(request.user)
    if organization is None or organization.kind != Organization.Kind.SUPPLIER:
        raise PermissionDenied(_("Only supplier users can manage listings."))
    return organization


@login_required
def my_listings(request):
    require_supplier(request)
    listings = listings_of_supplier(user=request.user).order_by("-updated_at")
    return render(request, "catalog/my_listings.html", {"listings": listings})


@login_required
def listing_create_page(request):
    supplier = require_supplier(request)
    lots = [a.lot for a in admissions_of(supplier=supplier).filter(status="admitted").order_by(
        "lot__framework__reference", "lot__number")]
    lot_id = as_id(request.GET.get("lot") or request.POST.get("lot") or "")
    lot = next((lot for lot in lots if lot.pk == lot_id), None)
    if lot is None:
        return render(request, "catalog/choose_lot.html", {"lots": lots})
    form = ListingForm(request.POST or None, lot=lot)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form) as outcome, form.service_field_names():
            listing = services.listing_create(actor=request.user, framework=lot.framework, lot=lot,
                                              data=form.service_data())
        if outcome.ok:
            messages.success(request, _("Draft saved. Preview it, then submit it for review."))
            return redirect("catalog:listing-preview", pk=listing.pk)
    return render(request, "catalog/listing_form.html", {"form": form, "lot": lot, "listing": None})


@login_required
def listing_edit_page(request, pk):
    require_supplier(request)
    listing = get_object_or_404(listings_of_supplier(user=request.user), pk=pk)
    try:
        services.listing_check_editable(listing=listing)
    except DomainError as error:
        # No form that could only be refused on save: back to the listing, saying why.
        messages.error(request, error.message)
        return redirect("catalog:listing-preview", pk=listing.pk)
    form = ListingForm(request.POST or None, lot=listing.lot, initial=ListingForm.initial_from(listing))
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form) as outcome, form.service_field_names():
            services.listing_update(actor=request.user, listing=listing, data=form.service_data())
        if outcome.ok:
            messages.success(request, _("Changes saved as a draft. Buyers still see the published version."))
            return redirect("catalog:listing-preview", pk=listing.pk)
    return render(request, "catalog/listing_form.html", {"form": form, "lot": listing.lot, "listing": listing})


@login_required
def listing_preview_page(request, pk):
    require_supplier(request)
    listing = get_object_or_404(listings_of_supplier(user=request.user), pk=pk)
    return render(request, "catalog/listing.html", listing_context(request, listing, preview=True))
