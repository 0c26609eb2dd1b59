"""The procurement authority's review queue: publish or reject what suppliers submitted."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from agreements.models import Organization
from agreements.selectors import organization_of
from catalog.forms import RejectForm
from catalog.selectors import review_queue


@login_required
def review_page(request):
    organization = organization_of(request.user)
    if organization is None or organization.kind != Organization.Kind.AUTHORITY:
        raise PermissionDenied(_("Only procurement authority users can review listings."))
    return render(request, "catalog/review.html", {"listings": review_queue(user=request.user), "form": RejectForm()})
