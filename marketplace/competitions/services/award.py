"""The decision: award the contract to an evaluated quote (with a draft call-off order), or no award."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Organization
from audit.services import audit_record
from common.errors import Conflict, ValidationFailed
from common.lifecycle import check_transition
from common.money import round_amount
from common.parsing import FieldErrors, Problem
from marketplace.competitions.inputs import AwardInput
from marketplace.competitions.models import Competition, Quote
from marketplace.competitions.services.access import lock_as_buyer
from marketplace.competitions.services.closing import close_locked
from marketplace.competitions.services.notices import notify_outcome
from marketplace.competitions.services.rules import require_quotes_opened
from marketplace.orders.services import OrderLineSpec, order_create_from_award
from marketplace.selection.models import Award, Requirement


def _chosen_quote(competition: Competition, quote_id: int) -> Quote:
    if competition.evaluated_at is None:
        raise Conflict(_("Evaluate the quotes before awarding."), code="not_evaluated")
    quote = (Quote.objects.select_related("evaluation", "supplier")
             .filter(pk=quote_id, competition=competition, is_current=True).first())
    if quote is None:
        raise ValidationFailed(_("Choose one of the quotes."), fields={"quote": [_("Choose one of the quotes.")]})
    if quote.evaluation.rejected:
        raise Conflict(_("A rejected quote cannot be awarded."), code="quote_rejected")
    return quote


def _order_term(award: AwardInput, requirement: Requirement, errors: FieldErrors) -> tuple[date, date | None]:
    """The order's term: as given, else the requirement's period (start: today without one). It may
    end on the day it starts (the rule of ``common.parsing.read_date_range``), never before."""
    start = award.start or requirement.period_start or timezone.localdate()
    end = award.end or requirement.period_end
    if end is None:
        errors.add("end", Problem.REQUIRED, _("Enter the end date of the call-off order."))
    elif end < start:
        errors.add("end", Problem.END_BEFORE_START, _("Enter a date on or after the start date."))
    return start, end


def _check_reasons(award: AwardInput, quote: Quote, errors: FieldErrors) -> None:
    if not award.justification.strip():
        errors.add("justification", Problem.REQUIRED, _("Explain why this quote is chosen."))
    if quote.evaluation.rank != 1 and not award.not_top_reason.strip():
        errors.add("not_top_reason", "justification_required",
                   _("This quote is not ranked first: explain why it is chosen over the top-ranked one."))


def _order_from(*, actor: User, award: Award, quote: Quote, cap, start: date, end: date) -> int | None:
    """Order lines point at listing versions: every quoted line with a catalog listing behind it
    becomes an order line at the quoted price. A quote with none is awarded without an order."""
    order_lines = [
        OrderLineSpec(listing_version=quote_line.listing_version, unit_price=quote_line.unit_price)
        for quote_line in quote.lines.select_related("listing_version").order_by("line__position", "pk")
        if quote_line.listing_version is not None
    ]
    if not order_lines:
        return None
    order = order_create_from_award(actor=actor, award=award, cap=cap, start=start, end=end, lines=order_lines)
    return order.pk


def _record_award(*, actor: User, organization: Organization, competition: Competition, requirement: Requirement,
                  quote: Quote, award: AwardInput) -> Award:
    lowest = min(Quote.objects.filter(competition=competition, is_current=True, evaluation__rejected=False)
                 .values_list("total", flat=True))
    first_line = quote.lines.select_related("listing_version").order_by("line__position", "pk").first()
    return Award.objects.create(
        organization=organization, requirement=requirement, framework=competition.framework,
        method=Award.Method.COMPETITION, outcome=Award.Outcome.AWARDED, supplier=quote.supplier,
        listing_version=first_line.listing_version if first_line else None,
        justification=award.justification.strip(), cheaper_option_reason=award.not_top_reason.strip(),
        estimated_total=quote.total, lowest_estimated_total=lowest, price_difference=quote.total - lowest,
        created_by=actor,
    )


@transaction.atomic
def competition_award(*, actor: User, competition_id: int, award: AwardInput) -> Award:
    """Award the contract to an evaluated, not rejected quote and create a draft call-off order.

    Choosing a quote that is not ranked first requires ``not_top_reason``; the award records the
    price difference to the lowest valid total. The order's cap defaults to the quote's total.
    """
    competition, organization = lock_as_buyer(actor=actor, competition_id=competition_id)
    close_locked(competition)
    require_quotes_opened(competition)
    check_transition(competition, Competition.Status.AWARDED)
    quote = _chosen_quote(competition, award.quote_id)
    errors = FieldErrors()
    _check_reasons(award, quote, errors)
    requirement = Requirement.objects.select_for_update().get(pk=competition.requirement_id)
    start, end = _order_term(award, requirement, errors)
    if errors:
        raise ValidationFailed(_("The award is not valid."),
                               code="justification_required" if "not_top_reason" in errors else None,
                               fields=errors.fields)
    cap = quote.total if award.cap is None else round_amount(award.cap)
    decision = _record_award(actor=actor, organization=organization, competition=competition,
                             requirement=requirement, quote=quote, award=award)
    competition.status, competition.award, competition.decided_at = Competition.Status.AWARDED, decision, timezone.now()
    competition.save(update_fields=["status", "award", "decided_at"])
    check_transition(requirement, Requirement.Status.AWARDED)
    requirement.status = Requirement.Status.AWARDED
    requirement.save(update_fields=["status"])
    order_id = _order_from(actor=actor, award=decision, quote=quote, cap=cap, start=start, end=end)
    audit_record(
        action="competition.awarded", actor=actor, organization=organization, target=competition,
        payload={
            "award": decision.pk, "quote": quote.pk, "supplier": quote.supplier_id, "rank": quote.evaluation.rank,
            "total": str(quote.total), "lowest_total": str(decision.lowest_estimated_total),
            "price_difference": str(decision.price_difference), "justification": decision.justification,
            "not_top_reason": decision.cheaper_option_reason, "cap": str(cap),
            "start": start.isoformat(), "end": end.isoformat(), "order": order_id,
        },
    )
    notify_outcome(competition=competition, winner_id=quote.supplier_id)
    return decision


@transaction.atomic
def competition_no_award(*, actor: User, competition_id: int, reason: str) -> Award:
    """Close without award (the requirement stays open so the buyer may select again)."""
    competition, organization = lock_as_buyer(actor=actor, competition_id=competition_id)
    close_locked(competition)
    check_transition(competition, Competition.Status.NO_AWARD)
    reason = reason.strip()
    if not reason:
        message = _("Give the reason for not awarding.")
        raise ValidationFailed(message, fields={"reason": [message]})
    decision = Award.objects.create(
        organization=organization, requirement=competition.requirement, framework=competition.framework,
        method=Award.Method.COMPETITION, outcome=Award.Outcome.NO_AWARD, justification=reason, created_by=actor,
    )
    competition.status, competition.award, competition.outcome_reason = Competition.Status.NO_AWARD, decision, reason
    competition.decided_at = timezone.now()
    competition.save(update_fields=["status", "award", "outcome_reason", "decided_at"])
    audit_record(action="competition.no_award", actor=actor, organization=organization, target=competition,
                 payload={"award": decision.pk, "reason": reason})
    notify_outcome(competition=competition, winner_id=None)
    return decision
