"""The page that drafts a competition from one of the buyer's open requirements."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Organization
from agreements.selectors import kind_of
from common.errors import DomainError
from common.form_errors import ErrorSummary, raise_as_http
from common.forms import TypedNumbers
from marketplace.competitions import selectors, services
from marketplace.competitions.inputs import read_competition_draft
from marketplace.competitions.models import Competition
from marketplace.competitions.views.helpers import field, in_row

LINE_ROWS = 3
CRITERION_ROWS = 3


def _filled_rows(data, prefix: str, names: tuple[str, ...], count: int) -> list[dict[str, str]]:
    rows = [{name: data.get(f"{prefix}.{index}.{name}", "") for name in names} for index in range(count)]
    return [row for row in rows if any(value.strip() for value in row.values())]


def _submitted(data) -> dict:
    """The page's fields as the draft reader takes them: filled rows only, quantities read as typed in
    the reader's language."""
    numbers = TypedNumbers()
    lines = [{"unit": data.get(f"lines.{i}.unit", ""),
              "quantity": numbers.read(f"lines.{i}.quantity", data.get(f"lines.{i}.quantity", ""), example="8760")}
             for i in range(LINE_ROWS)
             if data.get(f"lines.{i}.unit", "").strip() or data.get(f"lines.{i}.quantity", "").strip()]
    numbers.raise_errors()
    weighted = data.get("method") == Competition.Method.WEIGHTED
    return {
        "requirement": data.get("requirement"), "lot": data.get("lot"), "title": data.get("title", ""),
        "description": data.get("description", ""), "method": data.get("method", Competition.Method.LOWEST_PRICE),
        "price_weight": data.get("price_weight") if weighted else None,
        "criteria": _filled_rows(data, "criteria", ("name", "weight"), CRITERION_ROWS) if weighted else [],
        "lines": lines, "deadline": data.get("deadline"),
        "clarifications_allowed": data.get("clarifications_allowed") == "on",
    }


def _rows(data, errors: ErrorSummary) -> dict:
    return {
        "line_rows": [
            {"unit": field(f"lines.{i}.unit", _("Unit"), data.get(f"lines.{i}.unit"), errors,
                           summary_label=in_row(_("Line %(n)s"), i, _("Unit"))),
             "quantity": field(f"lines.{i}.quantity", _("Quantity"), data.get(f"lines.{i}.quantity"), errors,
                               summary_label=in_row(_("Line %(n)s"), i, _("Quantity"))), "n": i + 1}
            for i in range(LINE_ROWS)
        ],
        "criterion_rows": [
            {"name": field(f"criteria.{i}.name", _("Criterion"), data.get(f"criteria.{i}.name"), errors,
                           summary_label=in_row(_("Criterion %(n)s"), i, _("Criterion"))),
             "weight": field(f"criteria.{i}.weight", _("Weight (%)"), data.get(f"criteria.{i}.weight"), errors,
                             summary_label=in_row(_("Criterion %(n)s"), i, _("Weight (%)"))), "n": i + 1}
            for i in range(CRITERION_ROWS)
        ],
    }


def _fields(data, errors: ErrorSummary) -> dict:
    return {
        "requirement": field("requirement", _("Requirement"), data.get("requirement"), errors,
                             hint=_("The need this competition answers.")),
        "lot": field("lot", _("Lot"), data.get("lot"), errors,
                     hint=_("Every supplier admitted to this lot is invited when you publish.")),
        "title": field("title", _("Title"), data.get("title"), errors,
                       hint=_("Leave empty to use the requirement's title.")),
        "description": field("description", _("What you are asking for"), data.get("description"), errors),
        "lines": field("lines", _("Quantities"), "", errors),
        "method": field("method", _("How quotes are evaluated"), "", errors),
        "price_weight": field("price_weight", _("Price weight (%)"), data.get("price_weight"), errors,
                              hint=_("Only for weighted evaluation. Price weight plus criteria weights must be 100.")),
        "criteria": field("criteria", _("Quality criteria"), "", errors),
        "deadline": field("deadline", _("Deadline for quotes"), data.get("deadline"), errors,
                          hint=_("Date and time (%(zone)s). At least the framework's minimum quotation window in "
                                 "business days; weekends and public holidays do not count.")
                          % {"zone": timezone.get_current_timezone_name()}),
    }


@login_required
def competition_create(request):
    if kind_of(request.user) != Organization.Kind.BUYER:
        raise PermissionDenied(_("Only a buyer entity can ask for quotations."))
    data = request.POST if request.method == "POST" else request.GET
    errors = ErrorSummary()
    if request.method == "POST":
        try:
            competition = services.competition_create(actor=request.user,
                                                      draft=read_competition_draft(_submitted(data)))
        except DomainError as error:
            raise_as_http(error)
            errors = ErrorSummary.from_error(error)
        else:
            messages.success(request, _("Competition saved as a draft. Check it, then publish it."))
            return redirect("competitions:detail", pk=competition.pk)
    context = {
        "errors": errors, "data": data,
        "requirements": selectors.open_requirements_of(user=request.user),
        "lots": selectors.lots_open_for_competition(),
        **_rows(data, errors),
        "clarifications_checked": data.get("clarifications_allowed") == "on" or request.method == "GET",
        "method": data.get("method", Competition.Method.LOWEST_PRICE),
        "f": _fields(data, errors),
    }
    return render(request, "competitions/create.html", context, status=errors.status)
