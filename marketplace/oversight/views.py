"""Oversight pages: the selection log, the trail of one selection (with "Check this trail"), and
the red flags with a chart by buyer. Oversight users only; anonymous users go to the login page."""

from __future__ import annotations

from urllib.parse import urlencode

from celery.result import EagerResult
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agreements.selectors import is_oversight
from common.errors import NotFound, ValidationFailed
from common.forms import TypedNumbers
from marketplace.oversight import selectors
from marketplace.oversight.api.views import log_export_response
from marketplace.oversight.models import RedFlag
from marketplace.oversight.tasks import refresh_red_flags
from marketplace.selection.models import Award

FILTER_KEYS = ("buyer", "supplier", "framework", "lot", "date_from", "date_to", "value_min", "value_max", "method",
               "outcome", "flag", "sort")


def _require_oversight(request) -> None:
    if not is_oversight(request.user):
        raise PermissionDenied(_("Only oversight users (auditors) can see this page."))


def _typed_filters(request) -> tuple:
    """The page's query with the amounts typed in the active language (1.500,50) made canonical (1500.50) for the
    selectors, and the amounts that could not be read. The links on the page keep what the user typed."""
    params = request.GET.copy()
    numbers = TypedNumbers()
    for key in ("value_min", "value_max"):
        number = numbers.read(key, params.get(key), example="1500.00")
        if params.get(key):
            params[key] = "" if number is None else str(number)
    return params, numbers


@login_required
@require_GET
def selection_log(request):
    _require_oversight(request)
    errors: dict = {}
    params, numbers = _typed_filters(request)
    try:
        filters = selectors.parse_log_filters(params)
    except ValidationFailed as error:
        errors = error.fields or {}
        filters = selectors.LogFilters()
    if numbers.errors:
        errors, filters = {**errors, **numbers.errors}, selectors.LogFilters()
    awards = selectors.selection_log(user=request.user, filters=filters)
    page = Paginator(awards, 50).get_page(request.GET.get("page"))
    current = {key: request.GET.get(key, "") for key in FILTER_KEYS}
    query = urlencode({key: value for key, value in current.items() if value})
    return render(request, "oversight/log.html", {
        "page": page, "current": current, "query": query, "errors": errors, "choices": selectors.log_choices(),
        "methods": Award.Method.choices, "outcomes": Award.Outcome.choices, "flag_kinds": RedFlag.Kind.choices,
        "sorts": [("-date", _("Newest first")), ("date", _("Oldest first")), ("-value", _("Highest value")),
                  ("value", _("Lowest value")), ("buyer", _("Buyer A–Z")), ("supplier", _("Supplier A–Z"))],
    }, status=400 if errors else 200)


@login_required
@require_GET
def selection_log_export(request):
    _require_oversight(request)
    params, numbers = _typed_filters(request)
    try:
        numbers.raise_errors()
        return log_export_response(user=request.user, params=params)
    except ValidationFailed as error:
        return render(request, "oversight/export_error.html", {"error": error}, status=400)


def _trail_or_404(request, pk):
    try:
        return selectors.selection_trail(user=request.user, award_id=pk)
    except NotFound:
        raise Http404 from None


@login_required
@require_GET
def selection_trail(request, pk):
    _require_oversight(request)
    return render(request, "oversight/trail.html", {"trail": _trail_or_404(request, pk)})


@login_required
@require_POST
def selection_trail_check(request, pk):
    """Recompute the trail's hashes, links and snapshot hash and show each result. Writes nothing."""
    _require_oversight(request)
    trail = _trail_or_404(request, pk)
    result = selectors.trail_check(user=request.user, award_id=pk)
    return render(request, "oversight/trail.html", {"trail": trail, "check": result})


@login_required
@require_POST
def red_flags_check_now(request):
    """Recompute the red flags now instead of waiting for the hourly task (the same task, so the same
    rules and audit event). With eager tasks (the embedded default) the result is shown at once."""
    _require_oversight(request)
    result = refresh_red_flags.delay()
    if isinstance(result, EagerResult):
        counts = result.result
        messages.success(request, _("Checked now: %(raised)s raised, %(cleared)s cleared, %(confirmed)s still found.")
                         % counts)
    else:
        messages.success(request, _("The check is queued; reload this page in a minute to see its result."))
    return redirect("oversight:flags")


@login_required
@require_GET
def red_flags(request):
    _require_oversight(request)
    kind = request.GET.get("kind", "")
    if kind and kind not in RedFlag.Kind.values:
        kind = ""
    by_buyer = selectors.red_flags_by_buyer(user=request.user)
    page = Paginator(selectors.red_flags(user=request.user, kind=kind), 50).get_page(request.GET.get("page"))
    return render(request, "oversight/flags.html", {
        "page": page, "kind": kind, "kinds": RedFlag.Kind.choices, "by_buyer": by_buyer,
        "chart": flags_by_buyer_svg(by_buyer),
    })


def flags_by_buyer_svg(rows: list[dict], *, width: int = 640, bar: int = 26, gap: int = 10) -> SafeString:
    """Horizontal bars, one per buyer, length proportional to its active red flags. Text escaped."""
    title = _("Red flags by buyer")
    if not rows:
        description = _("No buyer has an active red flag.")
    else:
        description = "; ".join(f"{row['buyer']}: {row['count']}" for row in rows)
    left, right, top = 220, 50, 10
    plot_w = width - left - right
    height = top * 2 + max(len(rows), 1) * (bar + gap)
    most = max([row["count"] for row in rows] or [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="flags-chart-title flags-chart-desc" class="chart">',
        f'<title id="flags-chart-title">{escape(title)}</title><desc id="flags-chart-desc">{escape(description)}</desc>',
    ]
    for index, row in enumerate(rows):
        y = top + index * (bar + gap)
        length = max(plot_w * row["count"] / most, 2)
        name = row["buyer"] if len(row["buyer"]) <= 30 else row["buyer"][:29] + "…"
        parts.append(f'<text x="{left - 8}" y="{y + bar * 0.68:.1f}" font-size="13" text-anchor="end" '
                     f'fill="#0b0c0c">{escape(name)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar}" fill="#d4351c"/>')
        parts.append(f'<text x="{left + length + 6:.1f}" y="{y + bar * 0.68:.1f}" font-size="13" '
                     f'fill="#0b0c0c">{int(row["count"])}</text>')
    if not rows:
        parts.append(f'<text x="{left}" y="{top + bar * 0.68:.1f}" font-size="13" fill="#505a5f">'
                     f'{escape(description)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
