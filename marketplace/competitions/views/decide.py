"""The buyer's evaluation and award pages (open once the quotes are: from the deadline on)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.form_errors import ErrorSummary, anchor_for, raise_as_http
from common.forms import TypedNumbers
from marketplace.competitions import selectors, services
from marketplace.competitions.inputs import read_award, read_evaluations
from marketplace.competitions.views.helpers import field, require_buyer, until_quotes_open, visible_competition


def _submitted_evaluations(quotes, criteria, data) -> list[dict]:
    numbers = TypedNumbers()
    evaluations = []
    for quote in quotes:
        prefix = f"quotes.{quote.pk}"
        rejected = data.get(f"{prefix}.rejected") == "on"  # a rejected quote's scores are not read
        evaluations.append({
            "quote": quote.pk, "rejected": rejected, "rejection_reason": data.get(f"{prefix}.rejection_reason", ""),
            "scores": [] if rejected else [
                {"criterion": c.pk,
                 "score": numbers.read(f"{prefix}.scores.{c.pk}.score", data.get(f"{prefix}.scores.{c.pk}.score", ""),
                                       example="85.5"),
                 "justification": data.get(f"{prefix}.scores.{c.pk}.justification", "")} for c in criteria]})
    numbers.raise_errors()
    return evaluations


def _evaluation_row(quote, criteria, data, errors: ErrorSummary) -> dict:
    prefix = f"quotes.{quote.pk}"
    supplier = quote.supplier.name
    errors.labels[prefix] = supplier
    return {
        "quote": quote, "id": anchor_for(prefix), "errors": errors.get(prefix),
        "rejected": data.get(f"{prefix}.rejected") == "on",
        "reason": field(f"{prefix}.rejection_reason", _("Reason for rejecting"), data.get(f"{prefix}.rejection_reason"),
                        errors, hint=_("Only if you reject this quote. Rejected quotes are kept but not ranked."),
                        summary_label=f"{supplier}, {_('Reason for rejecting')}"),
        "scores": [
            {"criterion": c,
             "response": next((r.text for r in quote.responses.all() if r.criterion_id == c.pk), ""),
             "score": field(f"{prefix}.scores.{c.pk}.score", _("Score for %(name)s (0 to 100)") % {"name": c.name},
                            data.get(f"{prefix}.scores.{c.pk}.score"), errors,
                            summary_label=f"{supplier}, {_('Score for %(name)s (0 to 100)') % {'name': c.name}}"),
             "justification": field(f"{prefix}.scores.{c.pk}.justification", _("Why this score"),
                                    data.get(f"{prefix}.scores.{c.pk}.justification"), errors,
                                    summary_label=f"{supplier}, {_('Why this score')} ({c.name})")}
            for c in criteria
        ],
    }


@login_required
def competition_evaluate(request, pk: int):
    competition = visible_competition(request, pk)
    require_buyer(request, competition)
    if (waiting := until_quotes_open(request, competition)) is not None:
        return waiting
    quotes = list(selectors.quotes_visible_to(user=request.user, competition=competition))
    criteria = list(competition.criteria.all())
    data = request.POST if request.method == "POST" else {}
    errors = ErrorSummary()
    if request.method == "POST":
        try:
            evaluations = read_evaluations(_submitted_evaluations(quotes, criteria, data))
            services.competition_evaluate(actor=request.user, competition_id=pk, evaluations=evaluations)
        except DomainError as error:
            raise_as_http(error)
            errors = ErrorSummary.from_error(error)
        else:
            messages.success(request, _("Evaluation saved and ranking computed."))
            return redirect("competitions:detail", pk=pk)
    rows = [_evaluation_row(quote, criteria, data, errors) for quote in quotes]
    return render(request, "competitions/evaluate.html",
                  {"competition": competition, "rows": rows, "errors": errors}, status=errors.status)


def _submitted_award(data) -> dict:
    numbers = TypedNumbers()
    cap = numbers.read("cap", data.get("cap") or None, example="5000.00")
    numbers.raise_errors()
    return {"quote": data.get("quote", ""), "justification": data.get("justification", ""),
            "not_top_reason": data.get("not_top_reason", ""), "cap": cap,
            "start": data.get("start") or None, "end": data.get("end") or None}


@login_required
def competition_award(request, pk: int):
    competition = visible_competition(request, pk)
    require_buyer(request, competition)
    if (waiting := until_quotes_open(request, competition)) is not None:
        return waiting
    data = request.POST if request.method == "POST" else {}
    errors = ErrorSummary()
    ranking = selectors.ranking_of(user=request.user, competition=competition)
    if request.method == "POST":
        try:
            services.competition_award(actor=request.user, competition_id=pk, award=read_award(_submitted_award(data)))
        except DomainError as error:
            raise_as_http(error)
            errors = ErrorSummary.from_error(error)
        else:
            messages.success(request, _("Awarded. Every supplier that quoted has been told. A draft call-off order "
                                        "was created for the lines offered from the winner's catalog listings; it "
                                        "waits for an approver at your entity."))
            return redirect("competitions:detail", pk=pk)
    errors.labels["quote"] = _("Which quote")
    top = next((e for e in ranking if e.rank == 1), None)
    selected = str(data.get("quote", top.quote_id if top else ""))
    return render(request, "competitions/award.html", {
        "competition": competition, "errors": errors, "ranking": ranking, "selected": selected,
        "quote_errors": errors.get("quote"),
        "justification": field("justification", _("Why this quote"), data.get("justification"), errors,
                               hint=_("Recorded with the award and published to auditors.")),
        "not_top_reason": field("not_top_reason", _("Why not the top-ranked quote"), data.get("not_top_reason"), errors,
                                hint=_("Required only if you choose a quote that is not ranked first.")),
        "cap": field("cap", _("Order cap"), data.get("cap"), errors,
                     hint=_("The most the order may spend. Leave empty to use the quote's total.")),
        "start": field("start", _("Order start date"), data.get("start"), errors, hint=_("For example 2027-01-31.")),
        "end": field("end", _("Order end date"), data.get("end"), errors, hint=_("For example 2027-12-31.")),
    }, status=errors.status)
