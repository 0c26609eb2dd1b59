"""The supplier's quote page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from agreements.selectors import organization_of
from common.errors import DomainError
from common.form_errors import ErrorSummary, raise_as_http
from common.forms import TypedNumbers
from common.money import price_text, quantity_text
from marketplace.competitions import selectors, services
from marketplace.competitions.inputs import read_quote
from marketplace.competitions.models import Competition
from marketplace.competitions.views.helpers import field, visible_competition


def _submitted(competition: Competition, data) -> dict:
    """The quote as typed: prices read in the reader's language, then by ``inputs.read_quote``."""
    numbers = TypedNumbers()
    lines = [{"line": line.pk, "listing": data.get(f"lines.{line.pk}.listing", ""),
              "unit_price": numbers.read(f"lines.{line.pk}.unit_price", data.get(f"lines.{line.pk}.unit_price", ""),
                                         example="0.25")}
             for line in competition.lines.all()]
    numbers.raise_errors()
    return {"lines": lines, "delivery_terms": data.get("delivery_terms", ""),
            "responses": [{"criterion": c.pk, "text": data.get(f"responses.{c.pk}", "")}
                          for c in competition.criteria.all()]}


def _line_rows(request, competition: Competition, data, current, errors: ErrorSummary) -> list[dict]:
    prices = {item.line_id: price_text(item.unit_price) for item in current.lines.all()} if current else {}
    chosen = ({item.line_id: item.listing_version.listing_id for item in current.lines.select_related("listing_version")
               if item.listing_version_id} if current else {})
    supplier = organization_of(request.user)
    return [
        {"line": line,
         "price": field(f"lines.{line.pk}.unit_price", _("Unit price per %(unit)s") % {"unit": line.unit},
                        data.get(f"lines.{line.pk}.unit_price", prices.get(line.pk)), errors,
                        hint=_("Quantity %(quantity)s. At most the lot's ceiling and the price of the "
                               "listing you offer.") % {"quantity": quantity_text(line.quantity)}),
         "listing": field(f"lines.{line.pk}.listing", _("Catalog listing offered for %(unit)s") % {"unit": line.unit},
                          str(data.get(f"lines.{line.pk}.listing", chosen.get(line.pk, ""))), errors,
                          hint=_("The order line will name this listing. Without a choice your cheapest listing "
                                 "priced per %(unit)s is used.") % {"unit": line.unit}),
         "options": list(selectors.listings_for_quote_line(supplier=supplier, lot=competition.lot, unit=line.unit))
         if supplier is not None else []}
        for line in competition.lines.all()
    ]


@login_required
def quote_form(request, pk: int):
    competition = visible_competition(request, pk)
    if selectors.invitation_of(user=request.user, competition=competition) is None:
        raise PermissionDenied(_("Only invited suppliers can quote."))
    data = request.POST if request.method == "POST" else {}
    errors = ErrorSummary()
    if request.method == "POST":
        try:
            services.quote_submit(actor=request.user, competition_id=pk, quote=read_quote(_submitted(competition, data)))
        except DomainError as error:
            raise_as_http(error)
            errors = ErrorSummary.from_error(error)
        else:
            messages.success(request, _("Quote submitted. Nobody else can read it before the deadline; "
                                        "you may replace it until then."))
            return redirect("competitions:detail", pk=pk)
    current = next(iter(selectors.quotes_visible_to(user=request.user, competition=competition)), None)
    answers = {item.criterion_id: item.text for item in current.responses.all()} if current else {}
    context = {
        "competition": competition, "errors": errors, "current": current,
        "lines": _line_rows(request, competition, data, current, errors),
        "responses": [
            {"criterion": c, "field": field(f"responses.{c.pk}", c.name, data.get(f"responses.{c.pk}", answers.get(c.pk)),
                                            errors, hint=c.description)}
            for c in competition.criteria.all()
        ],
        "delivery": field("delivery_terms", _("Delivery terms"),
                          data.get("delivery_terms", current.delivery_terms if current else ""), errors,
                          hint=_("When and how you will deliver or start the service.")),
    }
    return render(request, "competitions/quote.html", context, status=errors.status)
