"""A supplier's quote (sealed until the deadline) or its refusal to quote."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agreements.models import Admission, Lot, Organization
from agreements.selectors import ceiling_price_for
from audit.services import audit_record
from catalog.models import ListingVersion
from common.errors import Conflict, Forbidden, ValidationFailed
from common.money import MAX_AMOUNT, price_text, round_amount, round_price
from common.parsing import MAX_TEXT, FieldErrors
from marketplace.competitions.inputs import QuoteInput, QuoteLineInput
from marketplace.competitions.models import (
    Competition,
    CompetitionLine,
    Invitation,
    QualityCriterion,
    Quote,
    QuoteLine,
    QuoteResponse,
)
from marketplace.competitions.selectors import listings_for_quote_line
from marketplace.competitions.services.access import lock_as_invitee
from marketplace.competitions.services.rules import require_open_for_suppliers


@dataclass(frozen=True)
class _PricedLine:
    line: CompetitionLine
    unit_price: Decimal
    ceiling: Decimal
    version: ListingVersion | None


def _listing_limit(*, supplier: Organization, lot: Lot, unit: str, listing_id: int | None, field: str,
                   errors: FieldErrors) -> ListingVersion | None:
    """The supplier's published listing version that bounds the price of a line, if it has one.

    A supplier may name the listing it offers (``listing``); otherwise its cheapest published
    listing in the lot for the unit bounds the price. No published listing: only the ceiling applies.
    "Published" is what buyers see (``catalog.selectors.listed_q``): the current version of a
    listing that is not suspended or withdrawn, also while an edit of it awaits review; its unit
    and price are the current version's, never an unpublished draft's.
    """
    listings = listings_for_quote_line(supplier=supplier, lot=lot, unit=unit)
    if listing_id is not None:
        listing = listings.filter(pk=listing_id).first()
        if listing is None:
            errors.add(field.replace("unit_price", "listing"), "unknown_listing",
                       _("Choose one of your published listings in this lot priced per %(unit)s.") % {"unit": unit})
            return None
        return listing.current_version
    cheapest = listings.first()
    return cheapest.current_version if cheapest else None


def _sealed_hash(*, lines: list[dict[str, str]], delivery_terms: str, responses: list[dict[str, object]]) -> str:
    content = json.dumps({"lines": lines, "delivery_terms": delivery_terms, "responses": responses}, sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()


def _require_may_quote(competition: Competition, supplier: Organization, invitation: Invitation) -> None:
    if not Admission.objects.filter(supplier=supplier, lot=competition.lot, status=Admission.Status.ADMITTED).exists():
        raise Forbidden(_("Your organization is not admitted to this lot (suspended or excluded): it cannot quote."),
                        code="supplier_not_admitted")
    if invitation.status == Invitation.Status.DECLINED:
        raise Conflict(_("Your organization declined this invitation."), code="invitation_declined")


def _prices_by_line(quote: QuoteInput, competition_lines: list[CompetitionLine],
                    errors: FieldErrors) -> dict[int, QuoteLineInput]:
    by_line: dict[int, QuoteLineInput] = {}
    for item in quote.lines:
        if item.line_id in by_line:
            errors.add(f"lines.{item.line_id}.unit_price", "line_repeated", _("Give one price per line."))
        by_line[item.line_id] = item
    unknown = set(by_line) - {line.pk for line in competition_lines}
    if unknown:
        errors.add("lines", "unknown_line",
                   _("Unknown line: %(lines)s.") % {"lines": ", ".join(str(pk) for pk in sorted(unknown))})
    return by_line


def _price_line(*, line: CompetitionLine, item: QuoteLineInput, supplier: Organization, lot: Lot,
                errors: FieldErrors) -> _PricedLine | None:
    """The line at the offered price, checked against the lot's ceiling and the supplier's own listing."""
    field = f"lines.{line.pk}.unit_price"
    price = round_price(item.unit_price)
    ceiling = ceiling_price_for(lot=lot, unit=line.unit)
    if ceiling is None:
        errors.add(field, "no_ceiling", _("The lot no longer has a ceiling price for %(unit)s.") % {"unit": line.unit})
        return None
    version = _listing_limit(supplier=supplier, lot=lot, unit=line.unit, listing_id=item.listing_id, field=field,
                             errors=errors)
    if price > ceiling.max_unit_price:
        errors.add(field, "price_above_ceiling", _("%(price)s is above the ceiling price of %(ceiling)s per %(unit)s.")
                   % {"price": price_text(price), "ceiling": price_text(ceiling.max_unit_price), "unit": line.unit})
    elif version is not None and price > version.unit_price:
        errors.add(field, "price_above_listing",
                   _("%(price)s is above your published catalog price of %(listed)s per %(unit)s.")
                   % {"price": price_text(price), "listed": price_text(version.unit_price), "unit": line.unit})
    return _PricedLine(line=line, unit_price=price, ceiling=ceiling.max_unit_price, version=version)


def _priced_lines(competition: Competition, supplier: Organization, quote: QuoteInput,
                  errors: FieldErrors) -> list[_PricedLine]:
    competition_lines = list(competition.lines.all())
    by_line = _prices_by_line(quote, competition_lines, errors)
    priced = []
    for line in competition_lines:
        item = by_line.get(line.pk)
        if item is None:
            errors.add(f"lines.{line.pk}.unit_price", "required",
                       _("Enter a unit price for %(unit)s.") % {"unit": line.unit})
            continue
        if (entry := _price_line(line=line, item=item, supplier=supplier, lot=competition.lot, errors=errors)):
            priced.append(entry)
    return priced


def _answers(quote: QuoteInput, criteria: list[QualityCriterion], errors: FieldErrors) -> dict[int, str]:
    answers = {item.criterion_id: item.text for item in quote.responses}
    for criterion in criteria:
        text = answers.get(criterion.pk, "")
        if not text or len(text) > MAX_TEXT:
            errors.add(f"responses.{criterion.pk}", "answer_required",
                       _("Answer \"%(name)s\" (at most %(max)s characters).") % {"name": criterion.name, "max": MAX_TEXT})
    return answers


def _check_total(priced: list[_PricedLine], errors: FieldErrors) -> None:
    if sum((entry.line.quantity * entry.unit_price for entry in priced), Decimal("0")) > MAX_AMOUNT:
        errors.add("lines", "total_too_large",
                   _("At these prices the quote's total would be more than %(max)s: check the prices.")
                   % {"max": formats.number_format(MAX_AMOUNT, 2, use_l10n=True, force_grouping=True)})


def _raise_refusals(errors: FieldErrors) -> None:
    if not errors:
        return
    codes = [refusal.problem for refusal in errors.refusals
             if refusal.problem in ("price_above_ceiling", "price_above_listing")]
    raise ValidationFailed(_("The quote is not valid."), code=codes[0] if codes else None, fields=errors.fields)


def _store(*, competition: Competition, supplier: Organization, actor: User, now: datetime, quote: QuoteInput,
           priced: list[_PricedLine], answers: dict[int, str], criteria: list[QualityCriterion]) -> tuple[Quote, Quote | None]:
    previous = (Quote.objects.select_for_update()
                .filter(competition=competition, supplier=supplier, is_current=True).first())
    if previous is not None:
        previous.is_current = False
        previous.save(update_fields=["is_current"])
    amounts = [round_amount(entry.line.quantity * entry.unit_price) for entry in priced]
    stored = Quote.objects.create(
        competition=competition, supplier=supplier, submitted_by=actor, submitted_at=now, is_current=True,
        replaces=previous, delivery_terms=quote.delivery_terms, total=round_amount(sum(amounts, Decimal("0"))),
    )
    QuoteLine.objects.bulk_create([
        QuoteLine(quote=stored, line=entry.line, unit_price=entry.unit_price, amount=amount, ceiling_price=entry.ceiling,
                  listing_version=entry.version)
        for entry, amount in zip(priced, amounts, strict=True)
    ])
    QuoteResponse.objects.bulk_create([
        QuoteResponse(quote=stored, criterion=criterion, text=answers[criterion.pk]) for criterion in criteria
    ])
    return stored, previous


@transaction.atomic
def quote_submit(*, actor: User, competition_id: int, quote: QuoteInput) -> Quote:
    """Submit a quote, or replace this supplier's current one (the earlier row is kept, not current).

    Refused, with nothing stored: not an invitee (404 if it cannot see the competition, else 403
    ``not_a_supplier``), no longer admitted to the lot (403 ``supplier_not_admitted``), after the
    deadline (409 ``deadline_passed``), after declining (409 ``invitation_declined``), a price above
    the ceiling (400 ``price_above_ceiling``) or above the supplier's own published listing price for
    the unit (400 ``price_above_listing``).
    """
    competition, supplier, invitation = lock_as_invitee(actor=actor, competition_id=competition_id)
    now = timezone.now()
    require_open_for_suppliers(competition, now=now)
    _require_may_quote(competition, supplier, invitation)
    errors = FieldErrors()
    priced = _priced_lines(competition, supplier, quote, errors)
    criteria = list(competition.criteria.all())
    answers = _answers(quote, criteria, errors)
    if not errors:
        _check_total(priced, errors)
    _raise_refusals(errors)
    stored, previous = _store(competition=competition, supplier=supplier, actor=actor, now=now, quote=quote,
                              priced=priced, answers=answers, criteria=criteria)
    if invitation.status != Invitation.Status.QUOTED:
        invitation.status = Invitation.Status.QUOTED
        invitation.save(update_fields=["status"])
    # Sealed: the audit trail carries a hash of the content, not the prices, until the quotes are opened.
    audit_record(
        action="competition.quote_submitted", actor=actor, organization=supplier, target=competition,
        payload={
            "quote": stored.pk, "supplier": supplier.pk, "replaces": previous.pk if previous else None,
            "sealed_hash": _sealed_hash(
                lines=[{"line": entry.line.pk, "unit_price": str(entry.unit_price)} for entry in priced],
                delivery_terms=quote.delivery_terms,
                responses=[{"criterion": c.pk, "text": answers[c.pk]} for c in criteria]),
        },
    )
    return stored


@transaction.atomic
def quote_decline(*, actor: User, competition_id: int, reason: str) -> Invitation:
    competition, supplier, invitation = lock_as_invitee(actor=actor, competition_id=competition_id)
    require_open_for_suppliers(competition, now=timezone.now())
    if invitation.status == Invitation.Status.DECLINED:
        raise Conflict(_("Your organization already declined."), code="already_declined")
    if Quote.objects.filter(competition=competition, supplier=supplier, is_current=True).exists():
        raise Conflict(_("Your organization already quoted; a quote cannot be turned into a refusal."),
                       code="already_quoted")
    reason = reason.strip()
    if not reason or len(reason) > MAX_TEXT:
        message = _("Give the reason for declining.")
        raise ValidationFailed(message, fields={"reason": [message]})
    invitation.status, invitation.decline_reason, invitation.declined_at = (
        Invitation.Status.DECLINED, reason, timezone.now())
    invitation.save(update_fields=["status", "decline_reason", "declined_at"])
    audit_record(action="competition.declined", actor=actor, organization=supplier, target=competition,
                 payload={"supplier": supplier.pk, "reason": reason})
    return invitation
