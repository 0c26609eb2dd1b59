"""The list and the detail page of competitions, and the small actions posted from the detail page
(publish, ask a question, answer it)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agreements.models import Organization
from agreements.selectors import kind_of
from common.errors import DomainError
from common.form_errors import ErrorSummary, raise_as_http
from marketplace.competitions import selectors, services
from marketplace.competitions.inputs import read_reason
from marketplace.competitions.models import Competition
from marketplace.competitions.views.helpers import visible_competition


@login_required
def competition_list(request):
    competitions = selectors.competitions_visible_to(user=request.user).order_by("-created_at", "-pk")[:200]
    invitations = {i.competition_id: i for i in selectors.invitations_for_supplier(user=request.user)}
    rows = [{"competition": c, "invitation": invitations.get(c.pk)} for c in competitions]
    return render(request, "competitions/list.html", {
        "rows": rows, "is_buyer": kind_of(request.user) == Organization.Kind.BUYER,
        "is_supplier": kind_of(request.user) == Organization.Kind.SUPPLIER,
    })


def _order_link(*, award, is_buyer: bool, invitation) -> bool:
    winner = award is not None and award.supplier_id is not None and invitation is not None \
        and invitation.supplier_id == award.supplier_id
    return award is not None and (is_buyer or winner) and getattr(award, "order", None) is not None


@login_required
def competition_detail(request, pk: int, errors: ErrorSummary | None = None, status: int = 200):
    competition = visible_competition(request, pk)
    user = request.user
    is_buyer = selectors.is_buyer_of(user=user, competition=competition)
    invitation = selectors.invitation_of(user=user, competition=competition)
    is_open = competition.status == Competition.Status.PUBLISHED and timezone.now() < competition.deadline
    award = selectors.award_of(competition=competition)
    context = {
        "competition": competition, "is_buyer": is_buyer, "invitation": invitation,
        "quotes": list(selectors.quotes_visible_to(user=user, competition=competition)),
        "questions": selectors.questions_visible_to(user=user, competition=competition),
        "invitations": selectors.invitations_of(competition=competition)
        if is_buyer or kind_of(user) in (Organization.Kind.OVERSIGHT, Organization.Kind.AUTHORITY) else [],
        "ranking": selectors.ranking_of(user=user, competition=competition),
        "is_open": is_open, "errors": errors or ErrorSummary(),
        "can_quote": invitation is not None and is_open and invitation.status != "declined",
        "can_ask": invitation is not None and is_open and competition.clarifications_allowed,
        "award": award, "order_link": _order_link(award=award, is_buyer=is_buyer, invitation=invitation),
    }
    return render(request, "competitions/detail.html", context, status=status)


def _post_action(request, pk: int, action, success: str):
    try:
        action()
    except DomainError as error:
        raise_as_http(error)
        return competition_detail(request, pk, errors=ErrorSummary.from_error(error), status=error.status)
    messages.success(request, success)
    return redirect("competitions:detail", pk=pk)


@login_required
@require_POST
def competition_publish(request, pk: int):
    return _post_action(request, pk, lambda: services.competition_publish(actor=request.user, competition_id=pk),
                        _("Published: the admitted suppliers have been invited."))


@login_required
@require_POST
def question_ask(request, pk: int):
    return _post_action(
        request, pk, lambda: services.question_ask(actor=request.user, competition_id=pk,
                                                   text=read_reason(request.POST.get("text"), field="text")),
        _("Question sent. The answer will be published to every invited supplier."))


@login_required
@require_POST
def question_answer(request, pk: int, question_id: int):
    return _post_action(
        request, pk, lambda: services.question_answer(actor=request.user, competition_id=pk, question_id=question_id,
                                                      answer=read_reason(request.POST.get("answer"), field="answer")),
        _("Answer published to every invited supplier."))
