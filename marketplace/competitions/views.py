"""Pages of competitions (request for quotation), mounted under /competitions/. No JavaScript needed.

Input names match the services' error keys (``lines.<id>.unit_price``, ``quotes.<id>.scores.<id>.score``)
so every error lands next to its field and in the error summary.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agreements.models import Organization
from agreements.selectors import kind_of, organization_of
from common.errors import DomainError, Forbidden, NotFound
from common.forms import TypedNumbers
from common.money import price_text, quantity_text
from marketplace.competitions import selectors, services
from marketplace.competitions.models import Competition

LINE_ROWS = 3
CRITERION_ROWS = 3


def _anchor(key: str) -> str:
    return "field-" + key.replace(".", "-")


class Errors:
    """Errors of one form submission: a summary list and a per-field lookup for the template.

    Each summary entry names what it refers to: ``_field`` records the label of every field shown, and an
    entry reads "<label>: <message>", the message linking to the field. Each sentence is shown once: a
    form-wide error (no fields) is the headline only, and a headline a field repeats is left to that field.
    """

    def __init__(self, error: DomainError | None = None) -> None:
        self.message = error.message if error else ""
        self.status = error.status if error else 200
        self.fields: dict[str, list[str]] = dict(error.fields) if error else {}
        self.labels: dict[str, str] = {}

    def __bool__(self) -> bool:
        return bool(self.message or self.fields)

    @property
    def headline(self) -> str:
        """The error's message, unless a field already says the same sentence (then the summary does)."""
        said = {message for messages_ in self.fields.values() for message in messages_}
        return "" if self.message in said else self.message

    @property
    def summary(self) -> list[tuple[str, str, str]]:
        """(anchor, label or "", message) for each distinct message of each field."""
        entries: list[tuple[str, str, str]] = []
        for key, messages_ in self.fields.items():
            for message in messages_:
                entry = (_anchor(key), self.labels.get(key, ""), message)
                if entry not in entries:
                    entries.append(entry)
        return entries

    def get(self, key: str) -> list[str]:
        return self.fields.get(key, [])


def _raise_for(error: DomainError) -> None:
    if isinstance(error, NotFound):
        raise Http404(error.message)
    if isinstance(error, Forbidden) and error.code in ("not_a_buyer", "not_a_supplier", "permission_denied"):
        raise PermissionDenied(error.message)


def _competition(request, pk: int) -> Competition:
    competition = selectors.competition_detail(user=request.user, competition_id=pk)
    if competition is None:
        raise Http404(_("No such competition."))
    return services.close_if_due(competition)


def _require_buyer(request, competition: Competition) -> None:
    if not selectors.is_buyer_of(user=request.user, competition=competition):
        raise PermissionDenied(_("Only the buying organization can do this."))


def _field(key: str, label: str, value, errors: Errors, hint: str = "", summary_label: str = "") -> dict:
    """An input for the template; ``summary_label`` names it in the error summary when ``label`` alone
    is ambiguous there (several lines or quotes with the same labels)."""
    errors.labels[key] = summary_label or label
    return {"name": key, "id": _anchor(key), "label": label, "value": "" if value is None else value,
            "errors": errors.get(key), "hint": hint}


def _in_row(row: str, index: int, label: str) -> str:
    """"Line 2, Quantity": a repeated field's name in the error summary (``row`` takes ``%(n)s``, from 1)."""
    return f"{row % {'n': index + 1}}, {label}"


def _until_quotes_open(request, competition: Competition):
    """Before the competition closes there is nothing to evaluate or award: back to its page with the
    service's own reason (``services.require_quotes_opened``), which says when the quotes open."""
    try:
        services.require_quotes_opened(competition)
    except DomainError as error:
        messages.info(request, error.message)
        return redirect("competitions:detail", pk=competition.pk)
    return None


@login_required
def competition_list(request):
    competitions = selectors.competitions_visible_to(user=request.user).order_by("-created_at", "-pk")[:200]
    invitations = {i.competition_id: i for i in selectors.invitations_for_supplier(user=request.user)}
    rows = [{"competition": c, "invitation": invitations.get(c.pk)} for c in competitions]
    return render(request, "competitions/list.html", {
        "rows": rows, "is_buyer": kind_of(request.user) == Organization.Kind.BUYER,
        "is_supplier": kind_of(request.user) == Organization.Kind.SUPPLIER,
    })


@login_required
def competition_create(request):
    if kind_of(request.user) != Organization.Kind.BUYER:
        raise PermissionDenied(_("Only a buyer entity can ask for quotations."))
    data = request.POST if request.method == "POST" else request.GET
    errors = Errors()
    if request.method == "POST":
        numbers = TypedNumbers()
        lines = [{"unit": data.get(f"lines.{i}.unit", ""), "quantity": data.get(f"lines.{i}.quantity", ""), "row": i}
                 for i in range(LINE_ROWS)]
        lines = [{"unit": line["unit"], "quantity": numbers.read(f"lines.{line['row']}.quantity", line["quantity"],
                                                                 example="8760")}
                 for line in lines if line["unit"].strip() or line["quantity"].strip()]
        criteria = [{"name": data.get(f"criteria.{i}.name", ""), "weight": data.get(f"criteria.{i}.weight", "")}
                    for i in range(CRITERION_ROWS)]
        criteria = [c for c in criteria if c["name"].strip() or c["weight"].strip()]
        deadline = None
        if data.get("deadline"):
            try:
                deadline = timezone.make_aware(datetime.fromisoformat(data["deadline"]))
            except ValueError:
                errors = Errors(DomainError(_("Enter the deadline as a date and time."),
                                            fields={"deadline": [_("Enter the deadline as a date and time.")]}))
        if not errors:
            try:
                requirement_id = int(data.get("requirement") or 0)
                lot_id = int(data["lot"]) if data.get("lot") else None
            except ValueError:
                requirement_id, lot_id = 0, None
            method = data.get("method", Competition.Method.LOWEST_PRICE)
            try:
                numbers.raise_errors()
                competition = services.competition_create(
                    actor=request.user, requirement_id=requirement_id, lot_id=lot_id, title=data.get("title", ""),
                    description=data.get("description", ""), method=method,
                    price_weight=data.get("price_weight") if method == Competition.Method.WEIGHTED else None,
                    criteria=criteria if method == Competition.Method.WEIGHTED else [], lines=lines, deadline=deadline,
                    clarifications_allowed=data.get("clarifications_allowed") == "on",
                )
            except DomainError as error:
                _raise_for(error)
                errors = Errors(error)
            else:
                messages.success(request, _("Competition saved as a draft. Check it, then publish it."))
                return redirect("competitions:detail", pk=competition.pk)
    context = {
        "errors": errors, "data": data,
        "requirements": selectors.open_requirements_of(user=request.user),
        "lots": selectors.lots_open_for_competition(),
        "line_rows": [
            {"unit": _field(f"lines.{i}.unit", _("Unit"), data.get(f"lines.{i}.unit"), errors,
                            summary_label=_in_row(_("Line %(n)s"), i, _("Unit"))),
             "quantity": _field(f"lines.{i}.quantity", _("Quantity"), data.get(f"lines.{i}.quantity"), errors,
                                summary_label=_in_row(_("Line %(n)s"), i, _("Quantity"))), "n": i + 1}
            for i in range(LINE_ROWS)
        ],
        "criterion_rows": [
            {"name": _field(f"criteria.{i}.name", _("Criterion"), data.get(f"criteria.{i}.name"), errors,
                            summary_label=_in_row(_("Criterion %(n)s"), i, _("Criterion"))),
             "weight": _field(f"criteria.{i}.weight", _("Weight (%)"), data.get(f"criteria.{i}.weight"), errors,
                              summary_label=_in_row(_("Criterion %(n)s"), i, _("Weight (%)"))), "n": i + 1}
            for i in range(CRITERION_ROWS)
        ],
        "clarifications_checked": data.get("clarifications_allowed") == "on" or request.method == "GET",
        "method": data.get("method", Competition.Method.LOWEST_PRICE),
        "f": {
            "requirement": _field("requirement", _("Requirement"), data.get("requirement"), errors,
                                  hint=_("The need this competition answers.")),
            "lot": _field("lot", _("Lot"), data.get("lot"), errors,
                          hint=_("Every supplier admitted to this lot is invited when you publish.")),
            "title": _field("title", _("Title"), data.get("title"), errors,
                            hint=_("Leave empty to use the requirement's title.")),
            "description": _field("description", _("What you are asking for"), data.get("description"), errors),
            "lines": _field("lines", _("Quantities"), "", errors),
            "method": _field("method", _("How quotes are evaluated"), "", errors),
            "price_weight": _field("price_weight", _("Price weight (%)"), data.get("price_weight"), errors,
                                   hint=_("Only for weighted evaluation. Price weight plus criteria weights must be 100.")),
            "criteria": _field("criteria", _("Quality criteria"), "", errors),
            "deadline": _field("deadline", _("Deadline for quotes"), data.get("deadline"), errors,
                               hint=_("Date and time (%(zone)s). At least the framework's minimum quotation window in "
                                      "business days; weekends and public holidays do not count.")
                               % {"zone": timezone.get_current_timezone_name()}),
        },
    }
    return render(request, "competitions/create.html", context, status=errors.status)


@login_required
def competition_detail(request, pk: int, errors: Errors | None = None, status: int = 200):
    competition = _competition(request, pk)
    user = request.user
    is_buyer = selectors.is_buyer_of(user=user, competition=competition)
    invitation = selectors.invitation_of(user=user, competition=competition)
    quotes = list(selectors.quotes_visible_to(user=user, competition=competition))
    now = timezone.now()
    is_open = competition.status == Competition.Status.PUBLISHED and now < competition.deadline
    context = {
        "competition": competition, "is_buyer": is_buyer, "invitation": invitation, "quotes": quotes,
        "questions": selectors.questions_visible_to(user=user, competition=competition),
        "invitations": selectors.invitations_of(competition=competition)
        if is_buyer or kind_of(user) in (Organization.Kind.OVERSIGHT, Organization.Kind.AUTHORITY) else [],
        "ranking": selectors.ranking_of(user=user, competition=competition),
        "is_open": is_open, "errors": errors or Errors(),
        "can_quote": invitation is not None and is_open and invitation.status != "declined",
        "can_ask": invitation is not None and is_open and competition.clarifications_allowed,
        "award": selectors.award_of(competition=competition),
    }
    award = context["award"]
    winner = award is not None and award.supplier_id is not None and invitation is not None \
        and invitation.supplier_id == award.supplier_id
    context["order_link"] = award is not None and (is_buyer or winner) and getattr(award, "order", None) is not None
    return render(request, "competitions/detail.html", context, status=status)


def _post_action(request, pk: int, action, success: str, redirect_to: str = "competitions:detail"):
    try:
        action()
    except DomainError as error:
        _raise_for(error)
        return competition_detail(request, pk, errors=Errors(error), status=error.status)
    messages.success(request, success)
    return redirect(redirect_to, pk=pk)


@login_required
@require_POST
def competition_publish(request, pk: int):
    return _post_action(request, pk, lambda: services.competition_publish(actor=request.user, competition_id=pk),
                        _("Published: the admitted suppliers have been invited."))


@login_required
@require_POST
def question_ask(request, pk: int):
    return _post_action(
        request, pk, lambda: services.question_ask(actor=request.user, competition_id=pk, text=request.POST.get("text", "")),
        _("Question sent. The answer will be published to every invited supplier."))


@login_required
@require_POST
def question_answer(request, pk: int, question_id: int):
    return _post_action(
        request, pk, lambda: services.question_answer(actor=request.user, competition_id=pk, question_id=question_id,
                                                      answer=request.POST.get("answer", "")),
        _("Answer published to every invited supplier."))


@login_required
def quote_form(request, pk: int):
    competition = _competition(request, pk)
    if selectors.invitation_of(user=request.user, competition=competition) is None:
        raise PermissionDenied(_("Only invited suppliers can quote."))
    data = request.POST if request.method == "POST" else {}
    errors = Errors()
    if request.method == "POST":
        numbers = TypedNumbers()
        lines = [{"line": line.pk, "listing": data.get(f"lines.{line.pk}.listing", ""),
                  "unit_price": numbers.read(f"lines.{line.pk}.unit_price", data.get(f"lines.{line.pk}.unit_price", ""),
                                             example="0.25")}
                 for line in competition.lines.all()]
        responses = [{"criterion": c.pk, "text": data.get(f"responses.{c.pk}", "")} for c in competition.criteria.all()]
        try:
            numbers.raise_errors()
            services.quote_submit(actor=request.user, competition_id=pk, lines=lines,
                                  delivery_terms=data.get("delivery_terms", ""), responses=responses)
        except DomainError as error:
            _raise_for(error)
            errors = Errors(error)
        else:
            messages.success(request, _("Quote submitted. Nobody else can read it before the deadline; "
                                        "you may replace it until then."))
            return redirect("competitions:detail", pk=pk)
    current = next(iter(selectors.quotes_visible_to(user=request.user, competition=competition)), None)
    prices = {item.line_id: price_text(item.unit_price) for item in current.lines.all()} if current else {}
    chosen = ({item.line_id: item.listing_version.listing_id for item in current.lines.select_related("listing_version")
               if item.listing_version_id} if current else {})
    supplier = organization_of(request.user)
    answers = {item.criterion_id: item.text for item in current.responses.all()} if current else {}
    context = {
        "competition": competition, "errors": errors, "current": current,
        "lines": [
            {"line": line, "price": _field(f"lines.{line.pk}.unit_price", _("Unit price per %(unit)s") % {"unit": line.unit},
                                           data.get(f"lines.{line.pk}.unit_price", prices.get(line.pk)), errors,
                                           hint=_("Quantity %(quantity)s. At most the lot's ceiling and the price of the "
                                                  "listing you offer.") % {"quantity": quantity_text(line.quantity)}),
             "listing": _field(f"lines.{line.pk}.listing", _("Catalog listing offered for %(unit)s") % {"unit": line.unit},
                               str(data.get(f"lines.{line.pk}.listing", chosen.get(line.pk, ""))), errors,
                               hint=_("The order line will name this listing. Without a choice your cheapest listing "
                                      "priced per %(unit)s is used.") % {"unit": line.unit}),
             "options": list(selectors.listings_for_quote_line(supplier=supplier, lot=competition.lot, unit=line.unit))
             if supplier is not None else []}
            for line in competition.lines.all()
        ],
        "responses": [
            {"criterion": c, "field": _field(f"responses.{c.pk}", c.name, data.get(f"responses.{c.pk}", answers.get(c.pk)),
                                             errors, hint=c.description)}
            for c in competition.criteria.all()
        ],
        "delivery": _field("delivery_terms", _("Delivery terms"),
                           data.get("delivery_terms", current.delivery_terms if current else ""), errors,
                           hint=_("When and how you will deliver or start the service.")),
    }
    return render(request, "competitions/quote.html", context, status=errors.status)


def _reason_page(request, pk: int, *, action, title: str, label: str, hint: str, button: str, success: str,
                 warning: bool = False):
    competition = _competition(request, pk)
    errors = Errors()
    if request.method == "POST":
        try:
            action(request.POST.get("reason", ""))
        except DomainError as error:
            _raise_for(error)
            errors = Errors(error)
        else:
            messages.success(request, success)
            return redirect("competitions:detail", pk=pk)
    return render(request, "competitions/reason.html", {
        "competition": competition, "errors": errors, "title": title, "button": button, "warning": warning,
        "field": _field("reason", label, request.POST.get("reason", ""), errors, hint=hint),
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


@login_required
def competition_evaluate(request, pk: int):
    competition = _competition(request, pk)
    _require_buyer(request, competition)
    if (waiting := _until_quotes_open(request, competition)) is not None:
        return waiting
    quotes = list(selectors.quotes_visible_to(user=request.user, competition=competition))
    criteria = list(competition.criteria.all())
    data = request.POST if request.method == "POST" else {}
    errors = Errors()
    if request.method == "POST":
        numbers = TypedNumbers()
        evaluations = []
        for q in quotes:
            rejected = data.get(f"quotes.{q.pk}.rejected") == "on"  # a rejected quote's scores are not read
            evaluations.append({
                "quote": q.pk, "rejected": rejected, "rejection_reason": data.get(f"quotes.{q.pk}.rejection_reason", ""),
                "scores": [] if rejected else [
                    {"criterion": c.pk,
                     "score": numbers.read(f"quotes.{q.pk}.scores.{c.pk}.score",
                                           data.get(f"quotes.{q.pk}.scores.{c.pk}.score", ""), example="85.5"),
                     "justification": data.get(f"quotes.{q.pk}.scores.{c.pk}.justification", "")} for c in criteria]})
        try:
            numbers.raise_errors()
            services.competition_evaluate(actor=request.user, competition_id=pk, evaluations=evaluations)
        except DomainError as error:
            _raise_for(error)
            errors = Errors(error)
        else:
            messages.success(request, _("Evaluation saved and ranking computed."))
            return redirect("competitions:detail", pk=pk)
    rows = []
    for q in quotes:
        prefix = f"quotes.{q.pk}"
        supplier = q.supplier.name
        errors.labels[prefix] = supplier
        rows.append({
            "quote": q, "id": _anchor(prefix), "errors": errors.get(prefix),
            "rejected": data.get(f"{prefix}.rejected") == "on",
            "reason": _field(f"{prefix}.rejection_reason", _("Reason for rejecting"), data.get(f"{prefix}.rejection_reason"),
                             errors, hint=_("Only if you reject this quote. Rejected quotes are kept but not ranked."),
                             summary_label=f"{supplier}, {_('Reason for rejecting')}"),
            "scores": [
                {"criterion": c,
                 "response": next((r.text for r in q.responses.all() if r.criterion_id == c.pk), ""),
                 "score": _field(f"{prefix}.scores.{c.pk}.score", _("Score for %(name)s (0 to 100)") % {"name": c.name},
                                 data.get(f"{prefix}.scores.{c.pk}.score"), errors,
                                 summary_label=f"{supplier}, {_('Score for %(name)s (0 to 100)') % {'name': c.name}}"),
                 "justification": _field(f"{prefix}.scores.{c.pk}.justification", _("Why this score"),
                                         data.get(f"{prefix}.scores.{c.pk}.justification"), errors,
                                         summary_label=f"{supplier}, {_('Why this score')} ({c.name})")}
                for c in criteria
            ],
        })
    return render(request, "competitions/evaluate.html",
                  {"competition": competition, "rows": rows, "errors": errors}, status=errors.status)


@login_required
def competition_award(request, pk: int):
    competition = _competition(request, pk)
    _require_buyer(request, competition)
    if (waiting := _until_quotes_open(request, competition)) is not None:
        return waiting
    data = request.POST if request.method == "POST" else {}
    errors = Errors()
    ranking = selectors.ranking_of(user=request.user, competition=competition)
    if request.method == "POST":
        numbers = TypedNumbers()
        cap = numbers.read("cap", data.get("cap") or None, example="5000.00")
        try:
            numbers.raise_errors()
            services.competition_award(
                actor=request.user, competition_id=pk, quote_id=data.get("quote", ""),
                justification=data.get("justification", ""), not_top_reason=data.get("not_top_reason", ""),
                cap=cap, start=data.get("start") or None, end=data.get("end") or None,
            )
        except DomainError as error:
            _raise_for(error)
            errors = Errors(error)
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
        "justification": _field("justification", _("Why this quote"), data.get("justification"), errors,
                                hint=_("Recorded with the award and published to auditors.")),
        "not_top_reason": _field("not_top_reason", _("Why not the top-ranked quote"), data.get("not_top_reason"), errors,
                                 hint=_("Required only if you choose a quote that is not ranked first.")),
        "cap": _field("cap", _("Order cap"), data.get("cap"), errors,
                      hint=_("The most the order may spend. Leave empty to use the quote's total.")),
        "start": _field("start", _("Order start date"), data.get("start"), errors, hint=_("For example 2027-01-31.")),
        "end": _field("end", _("Order end date"), data.get("end"), errors, hint=_("For example 2027-12-31.")),
    }, status=errors.status)
