"""What the competition pages share: the competition as the reader may see it, and form fields.

Input names match the services' error keys (``lines.<id>.unit_price``, ``quotes.<id>.scores.<id>.score``)
so every error lands next to its field and, named by its label, in the one error summary
(``_error_summary.html`` with ``common.form_errors.ErrorSummary``). No JavaScript needed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.form_errors import ErrorSummary, anchor_for
from marketplace.competitions import selectors, services
from marketplace.competitions.models import Competition


def visible_competition(request, pk: int) -> Competition:
    """The competition as this reader may see it; reading writes nothing (past its deadline it shows
    as closed through ``effective_status``; the sweep or the next write closes it)."""
    competition = selectors.competition_detail(user=request.user, competition_id=pk)
    if competition is None:
        raise Http404(_("No such competition."))
    return competition


def require_buyer(request, competition: Competition) -> None:
    if not selectors.is_buyer_of(user=request.user, competition=competition):
        raise PermissionDenied(_("Only the buying organization can do this."))


def field(key: str, label: str, value, errors: ErrorSummary, hint: str = "", summary_label: str = "") -> dict:
    """An input for the template; ``summary_label`` names it in the error summary when ``label`` alone
    is ambiguous there (several lines or quotes with the same labels)."""
    errors.labels[key] = summary_label or label
    return {"name": key, "id": anchor_for(key), "label": label, "value": "" if value is None else value,
            "errors": errors.get(key), "hint": hint}


def in_row(row: str, index: int, label: str) -> str:
    """"Line 2, Quantity": a repeated field's name in the error summary (``row`` takes ``%(n)s``, from 1)."""
    return f"{row % {'n': index + 1}}, {label}"


def until_quotes_open(request, competition: Competition):
    """Before the competition closes there is nothing to evaluate or award: back to its page with the
    service's own reason (``services.require_quotes_opened``), which says when the quotes open."""
    try:
        services.require_quotes_opened(competition)
    except DomainError as error:
        messages.info(request, error.message)
        return redirect("competitions:detail", pk=competition.pk)
    return None
