"""Pages that take one reason: a supplier declining, the buyer closing without award or cancelling."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.form_errors import ErrorSummary, raise_as_http
from marketplace.competitions import services
from marketplace.competitions.inputs import read_reason
from marketplace.competitions.views.helpers import field, visible_competition


def _reason_page(request, pk: int, *, action, title: str, label: str, hint: str, button: str, success: str,
                 warning: bool = False):
    competition = visible_competition(request, pk)
    errors = ErrorSummary()
    if request.method == "POST":
        try:
            action(read_reason(request.POST.get("reason")))
        except DomainError as error:
            raise_as_http(error)
            errors = ErrorSummary.from_error(error)
        else:
            messages.success(request, success)
            return redirect("competitions:detail", pk=pk)
    return render(request, "competitions/reason.html", {
        "competition": competition, "errors": errors, "title": title, "button": button, "warning": warning,
        "field": field("reason", label, request.POST.get("reason", ""), errors, hint=hint),
    }, status=errors.status)


@login_required
def quote_decline(request, pk: int):
    return _reason_page(
        request, pk, action=lambda reason: services.quote_decline(actor=request.user, competition_id=pk, reason=reason),
        title=_("Decline to quote"), label=_("Why are you declining?"),
        hint=_("The buyer sees your reason; it helps them plan future requests."), button=_("Decline"),
        success=_("You declined this request for quotation."), warning=True)


@login_required
def competition_no_award(request, pk: int):
    return _reason_page(
        request, pk, action=lambda reason: services.competition_no_award(actor=request.user, competition_id=pk, reason=reason),
        title=_("Close without award"), label=_("Why is no contract awarded?"),
        hint=_("Every supplier that quoted is told this reason."), button=_("Close without award"),
        success=_("Closed without award. The quoting suppliers have been told."), warning=True)


@login_required
def competition_cancel(request, pk: int):
    return _reason_page(
        request, pk, action=lambda reason: services.competition_cancel(actor=request.user, competition_id=pk, reason=reason),
        title=_("Cancel the competition"), label=_("Why is it cancelled?"),
        hint=_("Every invited supplier is told this reason."), button=_("Cancel the competition"),
        success=_("Competition cancelled."), warning=True)
