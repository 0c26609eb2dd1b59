"""Every write about competitions (requests for quotation among a lot's admitted suppliers).

Each service is atomic, locks the competition row it changes, checks the lifecycle table on
``Competition``, records an audit event in the same transaction and queues tasks on commit.

Scoring (recorded on the competition as ``ranking_rule`` at each evaluation):

- A quote's total is the sum of its line amounts (quantity × unit price, each rounded once).
- Price score = lowest total among the quotes not rejected ÷ this quote's total × price weight.
- Criterion points = score (0–100, given by the buyer with a justification) × weight ÷ 100.
- Total score = price score + criterion points. Every score is rounded to 2 places, half-even.
- Lowest price method: ranked by total, lowest first. Weighted: by total score, highest first.
  Ties go to the earliest submission (the time the current quote was submitted), then the
  lowest quote id. Rejected quotes are kept, with their reason, but never ranked.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agreements.models import Admission, FrameworkAgreement, Lot, Organization
from agreements.selectors import admitted_suppliers, ceiling_price_for, organization_of
from audit.services import audit_record
from common.business_days import earliest_deadline
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from common.lifecycle import check_transition
from common.money import (
    AMOUNT_FIELD,
    MAX_AMOUNT,
    PRICE_FIELD,
    QUANTITY_FIELD,
    amount_text,
    price_text,
    round_amount,
    round_price,
    to_decimal,
)
from marketplace.competitions.models import (
    SCORE_FIELD,
    ClarificationQuestion,
    Competition,
    CompetitionLine,
    CriterionScore,
    Invitation,
    QualityCriterion,
    Quote,
    QuoteEvaluation,
    QuoteLine,
    QuoteResponse,
)
from marketplace.competitions.selectors import listings_for_quote_line
from marketplace.notifications.services import (
    in_notification_language,
    notify_organization,
    written_in_notification_language,
)
from marketplace.orders.services import OrderLineSpec, order_create_from_award
from marketplace.selection.models import Award, Requirement

MAX_TEXT = 2000
HUNDRED = Decimal("100")


# --- helpers -----------------------------------------------------------------------------------

def _decimal(value: Any, *, field: str, errors: dict[str, list[str]], size: dict[str, int],
             positive: bool = True) -> Decimal | None:
    """``value`` as a Decimal that the column described by ``size`` (``max_digits``, ``decimal_places``,
    as in ``common.money``) stores exactly, or None with the reason under ``errors[field]``.

    Nothing is rounded here: a number with more decimals than the column keeps (which could round to 0)
    or too many digits before the point (which the database would refuse or fail to read back) is refused.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.setdefault(field, []).append(_("Enter a number."))
        return None
    try:
        number = to_decimal(value)
    except (TypeError, ValueError, InvalidOperation):
        errors.setdefault(field, []).append(_("Enter a number, such as 12.50."))
        return None
    places = size["decimal_places"]
    limit = Decimal(10) ** (size["max_digits"] - places)
    if abs(number) >= limit:
        errors.setdefault(field, []).append(
            _("Enter a number smaller than %(limit)s.") % {"limit": amount_text(limit, 0)})
        return None
    if number != number.quantize(Decimal(1).scaleb(-places)):
        errors.setdefault(field, []).append(
            _("Enter a number with at most %(places)s decimal places.") % {"places": places})
        return None
    if positive and number <= 0:
        errors.setdefault(field, []).append(_("Enter a number greater than 0."))
        return None
    return number


def _integer(value: Any, *, field: str, errors: dict[str, list[str]], low: int, high: int) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Enter a whole number."))
        return None
    if not low <= number <= high:
        errors.setdefault(field, []).append(_("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
        return None
    return number


def _text(value: Any) -> str:
    return str(value or "").strip()


def _buyer_org(actor) -> Organization:
    organization = organization_of(actor)
    if organization is None or organization.kind != Organization.Kind.BUYER:
        raise Forbidden(_("Only a buyer entity can do this."), code="not_a_buyer")
    return organization


def _lock(competition_id: int) -> Competition:
    competition = (
        Competition.objects.select_for_update().select_related("framework", "lot", "organization", "requirement")
        .filter(pk=competition_id).first()
    )
    if competition is None:
        raise NotFound(_("No such competition."))
    return competition


def _lock_as_buyer(*, actor, competition_id: int) -> tuple[Competition, Organization]:
    organization = organization_of(actor)
    competition = _lock(competition_id)
    if organization is None or organization.pk != competition.organization_id:
        # Other organizations cannot even learn that the competition exists.
        raise NotFound(_("No such competition."))
    return competition, organization


def _lock_as_invitee(*, actor, competition_id: int) -> tuple[Competition, Organization, Invitation]:
    organization = organization_of(actor)
    competition = _lock(competition_id)
    if organization is None or organization.kind != Organization.Kind.SUPPLIER:
        if organization is not None and organization.pk == competition.organization_id:
            raise Forbidden(_("Only invited suppliers can do this."), code="not_a_supplier")
        raise NotFound(_("No such competition."))
    if competition.status == Competition.Status.DRAFT:
        raise NotFound(_("No such competition."))
    invitation = Invitation.objects.select_for_update().filter(competition=competition, supplier=organization).first()
    if invitation is None:
        raise Forbidden(_("Your organization was not invited to this competition."), code="not_invited")
    return competition, organization, invitation


def _require_open_for_suppliers(competition: Competition, *, now: datetime) -> None:
    if competition.status in (Competition.Status.DRAFT, Competition.Status.CANCELLED):
        raise Conflict(_("This competition is not open for quotes."), code="competition_not_open")
    if competition.status != Competition.Status.PUBLISHED or now >= competition.deadline:
        raise Conflict(
            _("The deadline for quotes has passed."), code="deadline_passed",
            extra={"deadline": competition.deadline.isoformat()},
        )


def _check_deadline(*, deadline: datetime, framework: FrameworkAgreement, now: datetime) -> None:
    if timezone.localtime(deadline).date() > framework.end_date:  # quotes would stay sealed past the framework
        message = _("The deadline must fall within the framework, which ends on %(end)s.") % {
            "end": framework.end_date.isoformat()}
        raise ValidationFailed(message, code="deadline_after_framework", fields={"deadline": [message]})
    earliest = earliest_deadline(now, framework.min_quotation_business_days, country=framework.country)
    if deadline < earliest:
        raise ValidationFailed(
            _("The deadline must be at least %(days)s business days away (weekends and holidays do not count): "
              "%(earliest)s or later.")
            % {"days": framework.min_quotation_business_days, "earliest": timezone.localtime(earliest).strftime("%Y-%m-%d %H:%M")},
            code="deadline_too_soon",
            fields={"deadline": [_("Choose %(earliest)s or later.") % {
                "earliest": timezone.localtime(earliest).strftime("%Y-%m-%d %H:%M")}]},
            extra={"earliest_deadline": earliest.isoformat()},
        )


def _deadline_text(competition: Competition) -> str:
    return timezone.localtime(competition.deadline).strftime("%Y-%m-%d %H:%M %Z")


def require_quotes_opened(competition: Competition) -> None:
    """Raise ``Conflict`` (``not_closed``) while the competition is not closed yet (a draft, or open for
    quotes): its quotes stay sealed until the deadline, so there is nothing to evaluate or award.
    The one rule for the evaluation and award services and for their pages."""
    if competition.status in (Competition.Status.DRAFT, Competition.Status.PUBLISHED):
        raise Conflict(
            _("The quotes open when the competition closes at its deadline, %(deadline)s: they can be "
              "evaluated and the contract awarded from then on.") % {"deadline": _deadline_text(competition)},
            code="not_closed", extra={"deadline": competition.deadline.isoformat()},
        )


def _link(competition: Competition) -> str:
    return f"/competitions/{competition.pk}/"


# --- buyer: create, publish, answer --------------------------------------------------------------

@transaction.atomic
def competition_create(
    *,
    actor,
    requirement_id: int,
    lines: list[dict[str, Any]],
    deadline: datetime | None,
    method: str = Competition.Method.LOWEST_PRICE,
    price_weight: Any = None,
    criteria: list[dict[str, Any]] | None = None,
    lot_id: int | None = None,
    title: str = "",
    description: str = "",
    clarifications_allowed: bool = True,
) -> Competition:
    organization = _buyer_org(actor)
    requirement = Requirement.objects.select_related("framework", "lot").filter(
        pk=requirement_id, organization=organization
    ).first()
    if requirement is None:
        raise ValidationFailed(_("Choose one of your organization's requirements."),
                               fields={"requirement": [_("Choose one of your organization's requirements.")]})
    if requirement.status != Requirement.Status.OPEN:
        raise Conflict(_("This requirement is already closed."), code="requirement_closed")

    errors: dict[str, list[str]] = {}
    lot = Lot.objects.select_related("framework").filter(pk=lot_id).first() if lot_id else requirement.lot
    if lot is None:
        errors["lot"] = [_("Choose the lot whose suppliers will be asked to quote.")]
    elif requirement.framework_id and lot.framework_id != requirement.framework_id:
        errors["lot"] = [_("Choose a lot of the requirement's framework.")]

    if method not in Competition.Method.values:
        errors["method"] = [_("Choose lowest price or weighted.")]

    clean_lines: list[tuple[str, Decimal, str]] = []
    if not lines:
        errors["lines"] = [_("Add at least one line: a unit and a quantity.")]
    seen_units: set[str] = set()
    for index, line in enumerate(lines or []):
        unit = _text(line.get("unit"))
        quantity = _decimal(line.get("quantity"), field=f"lines.{index}.quantity", errors=errors, size=QUANTITY_FIELD)
        if not unit:
            errors.setdefault(f"lines.{index}.unit", []).append(_("Enter the unit, such as vCPU-hour."))
        elif unit in seen_units:
            errors.setdefault(f"lines.{index}.unit", []).append(_("Each unit may appear on one line only."))
        elif lot is not None and ceiling_price_for(lot=lot, unit=unit) is None:
            errors.setdefault(f"lines.{index}.unit", []).append(
                _("The lot has no ceiling price for %(unit)s: use one of its priced units.") % {"unit": unit})
        seen_units.add(unit)
        if unit and quantity is not None:
            clean_lines.append((unit, quantity, _text(line.get("description"))[:300]))

    clean_criteria: list[tuple[str, str, int]] = []
    weight = 100
    if method == Competition.Method.WEIGHTED:
        weight = _integer(price_weight, field="price_weight", errors=errors, low=1, high=99) or 0
        if not criteria:
            errors["criteria"] = [_("Add at least one quality criterion with its weight.")]
        for index, criterion in enumerate(criteria or []):
            name = _text(criterion.get("name"))
            criterion_weight = _integer(criterion.get("weight"), field=f"criteria.{index}.weight", errors=errors,
                                        low=1, high=99)
            if not name:
                errors.setdefault(f"criteria.{index}.name", []).append(_("Name the criterion."))
            if name and criterion_weight is not None:
                clean_criteria.append((name[:200], _text(criterion.get("description"))[:500], criterion_weight))
        if weight and criteria and not any(key.startswith("criteria") for key in errors):
            total = weight + sum(item[2] for item in clean_criteria)
            if total != 100:
                errors.setdefault("criteria", []).append(
                    _("The price weight and the criteria weights must add up to 100 (now %(total)s).") % {"total": total})
    elif criteria:
        errors["criteria"] = [_("Lowest price competitions have no quality criteria.")]

    if deadline is None:
        errors["deadline"] = [_("Enter the deadline for quotes.")]
    elif timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline)
    if errors and deadline is not None and lot is not None:
        try:  # so that a buyer learns of a too-early deadline with the other mistakes, not after fixing them
            _check_deadline(deadline=deadline, framework=lot.framework, now=timezone.now())
        except ValidationFailed as error:
            errors.update(error.fields)
    if errors:
        raise ValidationFailed(_("The competition is not valid."), fields=errors)
    if lot.framework.status != FrameworkAgreement.Status.LIVE:
        raise Conflict(_("Only live frameworks accept call-offs."), code="framework_not_live")
    _check_deadline(deadline=deadline, framework=lot.framework, now=timezone.now())

    competition = Competition.objects.create(
        organization=organization, requirement=requirement, framework=lot.framework, lot=lot,
        title=_text(title)[:200] or requirement.title, description=_text(description),
        method=method, price_weight=weight, deadline=deadline,
        clarifications_allowed=bool(clarifications_allowed), created_by=actor,
    )
    CompetitionLine.objects.bulk_create([
        CompetitionLine(competition=competition, position=index, unit=unit, quantity=quantity, description=text)
        for index, (unit, quantity, text) in enumerate(clean_lines)
    ])
    QualityCriterion.objects.bulk_create([
        QualityCriterion(competition=competition, position=index, name=name, description=text, weight=criterion_weight)
        for index, (name, text, criterion_weight) in enumerate(clean_criteria)
    ])
    audit_record(
        action="competition.created", actor=actor, organization=organization, target=competition,
        payload={
            "requirement": requirement.pk, "lot": lot.pk, "method": method, "price_weight": weight,
            "deadline": deadline.isoformat(), "clarifications_allowed": competition.clarifications_allowed,
            "lines": [{"unit": unit, "quantity": str(quantity)} for unit, quantity, _text_ in clean_lines],
            "criteria": [{"name": name, "weight": criterion_weight} for name, _d, criterion_weight in clean_criteria],
        },
    )
    return competition


@transaction.atomic
def competition_publish(*, actor, competition_id: int) -> Competition:
    """Invite every supplier admitted to the lot now; the close task is queued for the deadline."""
    from marketplace.competitions.tasks import close_competition

    competition, organization = _lock_as_buyer(actor=actor, competition_id=competition_id)
    check_transition(competition, Competition.Status.PUBLISHED)
    if competition.framework.status != FrameworkAgreement.Status.LIVE:
        raise Conflict(_("Only live frameworks accept call-offs."), code="framework_not_live")
    now = timezone.now()
    _check_deadline(deadline=competition.deadline, framework=competition.framework, now=now)
    suppliers = list(admitted_suppliers(lot=competition.lot))
    if not suppliers:
        raise Conflict(_("No supplier is admitted to this lot: nobody could quote."), code="no_admitted_suppliers")
    Invitation.objects.bulk_create([Invitation(competition=competition, supplier=supplier) for supplier in suppliers])
    competition.status = Competition.Status.PUBLISHED
    competition.published_at = now
    competition.save(update_fields=["status", "published_at"])
    audit_record(
        action="competition.published", actor=actor, organization=organization, target=competition,
        payload={"invited": [supplier.pk for supplier in suppliers], "deadline": competition.deadline.isoformat()},
    )
    deadline_text = _deadline_text(competition)
    for supplier in suppliers:
        with in_notification_language():
            notify_organization(
                organization=supplier, kind="competition.invited",
                subject=_("Request for quotation: %(title)s") % {"title": competition.title},
                body=_("%(buyer)s asks the suppliers of %(lot)s to quote for \"%(title)s\" by %(deadline)s.") % {
                    "buyer": organization.name, "lot": competition.lot, "title": competition.title, "deadline": deadline_text},
                dedupe_key=f"competition:{competition.pk}:invited:{supplier.pk}", link=_link(competition), target=competition,
            )
    competition_id, deadline = competition.pk, competition.deadline
    transaction.on_commit(lambda: close_competition.apply_async(args=[competition_id], eta=deadline))
    return competition


@transaction.atomic
def question_ask(*, actor, competition_id: int, text: str) -> ClarificationQuestion:
    competition, organization, _invitation = _lock_as_invitee(actor=actor, competition_id=competition_id)
    _require_open_for_suppliers(competition, now=timezone.now())
    if not competition.clarifications_allowed:
        raise Conflict(_("This competition does not take clarification questions."), code="clarifications_not_allowed")
    text = _text(text)
    if not text or len(text) > MAX_TEXT:
        raise ValidationFailed(_("Write your question (at most %(max)s characters).") % {"max": MAX_TEXT},
                               fields={"text": [_("Write your question.")]})
    question = ClarificationQuestion.objects.create(competition=competition, supplier=organization, asked_by=actor, text=text)
    audit_record(action="competition.question_asked", actor=actor, organization=organization, target=competition,
                 payload={"question": question.pk, "text": text})
    with in_notification_language():
        notify_organization(
            organization=competition.organization, kind="competition.question",
            subject=_("A clarification question on %(title)s") % {"title": competition.title},
            body=_("A supplier asked: %(text)s") % {"text": text},
            dedupe_key=f"competition:{competition.pk}:question:{question.pk}", link=_link(competition), target=competition,
        )
    return question


@transaction.atomic
def question_answer(*, actor, competition_id: int, question_id: int, answer: str) -> ClarificationQuestion:
    """Publish the answer to every invitee, without saying who asked."""
    competition, organization = _lock_as_buyer(actor=actor, competition_id=competition_id)
    if competition.status != Competition.Status.PUBLISHED or timezone.now() >= competition.deadline:
        raise Conflict(_("Questions can only be answered while the competition is open."), code="competition_not_open")
    question = ClarificationQuestion.objects.select_for_update().filter(pk=question_id, competition=competition).first()
    if question is None:
        raise NotFound(_("No such question."))
    if question.answered_at is not None:
        raise Conflict(_("This question is already answered."), code="already_answered")
    answer = _text(answer)
    if not answer or len(answer) > MAX_TEXT:
        raise ValidationFailed(_("Write the answer (at most %(max)s characters).") % {"max": MAX_TEXT},
                               fields={"answer": [_("Write the answer.")]})
    question.answer, question.answered_by, question.answered_at = answer, actor, timezone.now()
    question.save(update_fields=["answer", "answered_by", "answered_at"])
    audit_record(action="competition.question_answered", actor=actor, organization=organization, target=competition,
                 payload={"question": question.pk, "answer": answer})
    for invitation in Invitation.objects.filter(competition=competition).select_related("supplier"):
        with in_notification_language():
            notify_organization(
                organization=invitation.supplier, kind="competition.answer",
                subject=_("Clarification published: %(title)s") % {"title": competition.title},
                body=_("Question: %(question)s\nAnswer: %(answer)s") % {"question": question.text, "answer": answer},
                dedupe_key=f"competition:{competition.pk}:answer:{question.pk}", link=_link(competition), target=competition,
            )
    return question


# --- supplier: quote, decline --------------------------------------------------------------------

def _listing_limit(*, supplier: Organization, lot: Lot, unit: str, listing_id: Any, field: str,
                   errors: dict[str, list[str]]):
    """The supplier's published listing version that bounds the price of a line, if it has one.

    A supplier may name the listing it offers (``listing``); otherwise its cheapest published
    listing in the lot for the unit bounds the price. No published listing: only the ceiling applies.
    "Published" is what buyers see (``catalog.selectors.listed_q``): the current version of a
    listing that is not suspended or withdrawn, also while an edit of it awaits review; its unit
    and price are the current version's, never an unpublished draft's.
    """
    listings = listings_for_quote_line(supplier=supplier, lot=lot, unit=unit)
    if listing_id not in (None, ""):
        listing = listings.filter(pk=listing_id).first() if str(listing_id).isdigit() else None
        if listing is None:
            errors.setdefault(field.replace("unit_price", "listing"), []).append(
                _("Choose one of your published listings in this lot priced per %(unit)s.") % {"unit": unit})
            return None
        return listing.current_version
    cheapest = listings.first()
    return cheapest.current_version if cheapest else None


def _sealed_hash(*, lines: list[dict[str, str]], delivery_terms: str, responses: list[dict[str, Any]]) -> str:
    content = json.dumps({"lines": lines, "delivery_terms": delivery_terms, "responses": responses}, sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()


@transaction.atomic
def quote_submit(
    *,
    actor,
    competition_id: int,
    lines: list[dict[str, Any]],
    delivery_terms: str,
    responses: list[dict[str, Any]] | None = None,
) -> Quote:
    """Submit a quote, or replace this supplier's current one (the earlier row is kept, not current).

    Refused, with nothing stored: not invited (403 ``not_invited``), no longer admitted to the lot
    (403 ``supplier_not_admitted``), after the deadline (409 ``deadline_passed``), after declining
    (409 ``invitation_declined``), a price above the ceiling (400 ``price_above_ceiling``) or above the
    supplier's own published listing price for the unit (400 ``price_above_listing``).
    """
    competition, supplier, invitation = _lock_as_invitee(actor=actor, competition_id=competition_id)
    now = timezone.now()
    _require_open_for_suppliers(competition, now=now)
    if not Admission.objects.filter(supplier=supplier, lot=competition.lot, status=Admission.Status.ADMITTED).exists():
        raise Forbidden(_("Your organization is not admitted to this lot (suspended or excluded): it cannot quote."),
                        code="supplier_not_admitted")
    if invitation.status == Invitation.Status.DECLINED:
        raise Conflict(_("Your organization declined this invitation."), code="invitation_declined")

    errors: dict[str, list[str]] = {}
    codes: list[str] = []
    competition_lines = list(competition.lines.all())
    by_line = {}
    for item in lines or []:
        key = str(item.get("line", ""))
        if key in by_line:
            errors.setdefault(f"lines.{key}.unit_price", []).append(_("Give one price per line."))
        by_line[key] = item
    unknown = set(by_line) - {str(line.pk) for line in competition_lines}
    if unknown:
        errors.setdefault("lines", []).append(_("Unknown line: %(lines)s.") % {"lines": ", ".join(sorted(unknown))})
    priced: list[tuple[CompetitionLine, Decimal, Decimal, Any]] = []
    for line in competition_lines:
        field = f"lines.{line.pk}.unit_price"
        item = by_line.get(str(line.pk))
        if item is None:
            errors.setdefault(field, []).append(_("Enter a unit price for %(unit)s.") % {"unit": line.unit})
            continue
        price = _decimal(item.get("unit_price"), field=field, errors=errors, size=PRICE_FIELD)
        if price is None:
            continue
        price = round_price(price)
        ceiling = ceiling_price_for(lot=competition.lot, unit=line.unit)
        if ceiling is None:
            errors.setdefault(field, []).append(_("The lot no longer has a ceiling price for %(unit)s.") % {"unit": line.unit})
            continue
        version = _listing_limit(supplier=supplier, lot=competition.lot, unit=line.unit,
                                 listing_id=item.get("listing"), field=field, errors=errors)
        if price > ceiling.max_unit_price:
            codes.append("price_above_ceiling")
            errors.setdefault(field, []).append(
                _("%(price)s is above the ceiling price of %(ceiling)s per %(unit)s.")
                % {"price": price_text(price), "ceiling": price_text(ceiling.max_unit_price), "unit": line.unit})
        elif version is not None and price > version.unit_price:
            codes.append("price_above_listing")
            errors.setdefault(field, []).append(
                _("%(price)s is above your published catalog price of %(listed)s per %(unit)s.")
                % {"price": price_text(price), "listed": price_text(version.unit_price), "unit": line.unit})
        priced.append((line, price, ceiling.max_unit_price, version))

    delivery_terms = _text(delivery_terms)
    if not delivery_terms or len(delivery_terms) > MAX_TEXT:
        errors["delivery_terms"] = [_("Describe your delivery terms (at most %(max)s characters).") % {"max": MAX_TEXT}]
    answers = {str(item.get("criterion", "")): _text(item.get("text")) for item in responses or []}
    criteria = list(competition.criteria.all())
    for criterion in criteria:
        text = answers.get(str(criterion.pk), "")
        if not text or len(text) > MAX_TEXT:
            errors.setdefault(f"responses.{criterion.pk}", []).append(
                _("Answer \"%(name)s\" (at most %(max)s characters).") % {"name": criterion.name, "max": MAX_TEXT})
    if not errors and sum((line.quantity * price for line, price, _c, _v in priced), Decimal("0")) > MAX_AMOUNT:
        errors["lines"] = [_("At these prices the quote's total would be more than %(max)s: check the prices.")
                           % {"max": formats.number_format(MAX_AMOUNT, 2, use_l10n=True, force_grouping=True)}]
    if errors:
        raise ValidationFailed(_("The quote is not valid."), code=codes[0] if codes else None, fields=errors)

    previous = Quote.objects.select_for_update().filter(competition=competition, supplier=supplier, is_current=True).first()
    if previous is not None:
        previous.is_current = False
        previous.save(update_fields=["is_current"])
    amounts = [round_amount(line.quantity * price) for line, price, _c, _v in priced]
    quote = Quote.objects.create(
        competition=competition, supplier=supplier, submitted_by=actor, submitted_at=now, is_current=True,
        replaces=previous, delivery_terms=delivery_terms, total=round_amount(sum(amounts, Decimal("0"))),
    )
    QuoteLine.objects.bulk_create([
        QuoteLine(quote=quote, line=line, unit_price=price, amount=amount, ceiling_price=ceiling, listing_version=version)
        for (line, price, ceiling, version), amount in zip(priced, amounts, strict=True)
    ])
    QuoteResponse.objects.bulk_create([
        QuoteResponse(quote=quote, criterion=criterion, text=answers[str(criterion.pk)]) for criterion in criteria
    ])
    if invitation.status != Invitation.Status.QUOTED:
        invitation.status = Invitation.Status.QUOTED
        invitation.save(update_fields=["status"])
    # Sealed: the audit trail carries a hash of the content, not the prices, until the quotes are opened.
    audit_record(
        action="competition.quote_submitted", actor=actor, organization=supplier, target=competition,
        payload={
            "quote": quote.pk, "supplier": supplier.pk, "replaces": previous.pk if previous else None,
            "sealed_hash": _sealed_hash(
                lines=[{"line": line.pk, "unit_price": str(price)} for line, price, _c, _v in priced],
                delivery_terms=delivery_terms, responses=[{"criterion": c.pk, "text": answers[str(c.pk)]} for c in criteria]),
        },
    )
    return quote


@transaction.atomic
def quote_decline(*, actor, competition_id: int, reason: str) -> Invitation:
    competition, supplier, invitation = _lock_as_invitee(actor=actor, competition_id=competition_id)
    _require_open_for_suppliers(competition, now=timezone.now())
    if invitation.status == Invitation.Status.DECLINED:
        raise Conflict(_("Your organization already declined."), code="already_declined")
    if Quote.objects.filter(competition=competition, supplier=supplier, is_current=True).exists():
        raise Conflict(_("Your organization already quoted; a quote cannot be turned into a refusal."),
                       code="already_quoted")
    reason = _text(reason)
    if not reason or len(reason) > MAX_TEXT:
        raise ValidationFailed(_("Give the reason for declining."), fields={"reason": [_("Give the reason for declining.")]})
    invitation.status, invitation.decline_reason, invitation.declined_at = Invitation.Status.DECLINED, reason, timezone.now()
    invitation.save(update_fields=["status", "decline_reason", "declined_at"])
    audit_record(action="competition.declined", actor=actor, organization=supplier, target=competition,
                 payload={"supplier": supplier.pk, "reason": reason})
    return invitation


# --- closing ---------------------------------------------------------------------------------------

@transaction.atomic
def competition_close(*, competition_id: int, now: datetime | None = None) -> bool:
    """Close a published competition whose deadline has passed. Safe to call any time, any number
    of times: before the deadline, or once closed, it changes nothing and returns False."""
    now = now or timezone.now()
    competition = _lock(competition_id)
    if competition.status != Competition.Status.PUBLISHED or now < competition.deadline:
        return False
    check_transition(competition, Competition.Status.CLOSED)
    competition.status, competition.closed_at = Competition.Status.CLOSED, now
    competition.save(update_fields=["status", "closed_at"])
    quotes = list(Quote.objects.filter(competition=competition, is_current=True).order_by("submitted_at", "pk"))
    audit_record(
        action="competition.closed", actor=None, organization=competition.organization, target=competition,
        payload={"deadline": competition.deadline.isoformat(),
                 "quotes": [{"quote": q.pk, "supplier": q.supplier_id, "total": str(q.total)} for q in quotes]},
    )
    with in_notification_language():
        notify_organization(
            organization=competition.organization, kind="competition.closed",
            subject=_("Quotes opened: %(title)s") % {"title": competition.title},
            body=_("The deadline passed; %(count)s quote(s) can now be evaluated.") % {"count": len(quotes)},
            dedupe_key=f"competition:{competition.pk}:closed", link=_link(competition), target=competition,
        )
    return True


def close_if_due(competition: Competition) -> Competition:
    """Close on read when the deadline passed but no worker closed it yet (the embedded mode runs
    no beat scheduler, and an eager eta task runs at publication). Returns the fresh row."""
    if competition.status == Competition.Status.PUBLISHED and timezone.now() >= competition.deadline:
        competition_close(competition_id=competition.pk)
        competition.refresh_from_db()
    return competition


def close_overdue(*, now: datetime | None = None) -> int:
    """Close every published competition past its deadline; each in its own transaction."""
    from marketplace.competitions.selectors import overdue_competition_ids

    now = now or timezone.now()
    return sum(1 for competition_id in overdue_competition_ids(now=now) if competition_close(competition_id=competition_id, now=now))


# --- evaluation, award, no award, cancel -----------------------------------------------------------

def _ranking_rule(competition: Competition) -> str:
    if competition.method == Competition.Method.LOWEST_PRICE:
        return _("Lowest price: quotes not rejected are ranked by total price, lowest first. Price score = lowest "
                 "total ÷ quote total × 100, rounded to 2 places (half-even). Ties: earliest submission of the "
                 "current quote first, then lowest quote id.")
    return _("Weighted: price %(price)s%% + quality %(quality)s%%. Price score = "
             "lowest total among quotes not rejected ÷ quote total × %(price)s; criterion points = "
             "score (0–100) × weight ÷ 100; total = price score + criterion points; each rounded to 2 places "
             "(half-even). Highest total first. Ties: earliest submission of the current quote first, then "
             "lowest quote id.") % {"price": competition.price_weight, "quality": 100 - competition.price_weight}


@transaction.atomic
def competition_evaluate(*, actor, competition_id: int, evaluations: list[dict[str, Any]]) -> Competition:
    """Score or reject every current quote; compute the ranking. May be repeated until the award:
    a new evaluation replaces the previous scores (each evaluation stays in the audit trail)."""
    competition, organization = _lock_as_buyer(actor=actor, competition_id=competition_id)
    require_quotes_opened(competition)
    if competition.status != Competition.Status.CLOSED:
        raise Conflict(_("Quotes can only be evaluated once the competition is closed and before the decision."),
                       code="not_closed")
    quotes = {q.pk: q for q in Quote.objects.filter(competition=competition, is_current=True)}
    if not quotes:
        raise Conflict(_("No quote was received: record no award instead."), code="no_quotes")
    criteria = list(competition.criteria.all())
    errors: dict[str, list[str]] = {}
    given: dict[int, dict[str, Any]] = {}
    for item in evaluations or []:
        try:
            quote_id = int(item.get("quote"))
        except (TypeError, ValueError):
            quote_id = None
        if quote_id not in quotes or quote_id in given:
            errors.setdefault("evaluations", []).append(_("Unknown or repeated quote: %(id)s.") % {"id": item.get("quote")})
            continue
        given[quote_id] = item
    for quote_id in quotes:
        if quote_id not in given:
            errors.setdefault(f"quotes.{quote_id}", []).append(_("Score or reject this quote."))

    parsed: dict[int, dict[str, Any]] = {}
    for quote_id, item in given.items():
        rejected = item.get("rejected") in (True, "true", "on", "1", 1)
        reason = _text(item.get("rejection_reason"))
        if rejected:
            if not reason:
                errors.setdefault(f"quotes.{quote_id}.rejection_reason", []).append(_("Give the reason for rejecting."))
            parsed[quote_id] = {"rejected": True, "reason": reason, "scores": []}
            continue
        scores_in = {str(s.get("criterion", "")): s for s in item.get("scores") or []}
        scores = []
        for criterion in criteria:
            field = f"quotes.{quote_id}.scores.{criterion.pk}"
            entry = scores_in.get(str(criterion.pk))
            if entry is None:
                errors.setdefault(f"{field}.score", []).append(_("Score \"%(name)s\".") % {"name": criterion.name})
                continue
            score = _decimal(entry.get("score"), field=f"{field}.score", errors=errors, size=SCORE_FIELD, positive=False)
            if score is not None and not Decimal("0") <= score <= HUNDRED:
                errors.setdefault(f"{field}.score", []).append(_("Enter a score from 0 to 100."))
                score = None
            justification = _text(entry.get("justification"))
            if not justification:
                errors.setdefault(f"{field}.justification", []).append(_("Explain the score."))
            if score is not None and justification:
                scores.append((criterion, round_amount(score), justification))
        parsed[quote_id] = {"rejected": False, "reason": "", "scores": scores}
    if errors:
        raise ValidationFailed(_("The evaluation is not complete."), fields=errors)
    valid = [quotes[quote_id] for quote_id, item in parsed.items() if not item["rejected"]]

    QuoteEvaluation.objects.filter(quote__competition=competition).delete()
    lowest = min((q.total for q in valid), default=None)
    price_weight = Decimal(competition.price_weight)
    rows: list[tuple[Quote, QuoteEvaluation, list]] = []
    for quote_id, item in parsed.items():
        quote = quotes[quote_id]
        if item["rejected"]:
            evaluation = QuoteEvaluation(quote=quote, rejected=True, rejection_reason=item["reason"])
            rows.append((quote, evaluation, []))
            continue
        price_score = round_amount(lowest / quote.total * price_weight)
        points = [(criterion, score, round_amount(score * Decimal(criterion.weight) / HUNDRED), justification)
                  for criterion, score, justification in item["scores"]]
        quality = sum((p[2] for p in points), Decimal("0.00"))
        evaluation = QuoteEvaluation(quote=quote, price_score=price_score, quality_score=quality,
                                     total_score=price_score + quality)
        rows.append((quote, evaluation, points))
    ranked = [row for row in rows if not row[1].rejected]
    if competition.method == Competition.Method.LOWEST_PRICE:
        ranked.sort(key=lambda row: (row[0].total, row[0].submitted_at, row[0].pk))
    else:
        ranked.sort(key=lambda row: (-row[1].total_score, row[0].submitted_at, row[0].pk))
    for position, (_quote, evaluation, _points) in enumerate(ranked, start=1):
        evaluation.rank = position
    for _quote, evaluation, points in rows:
        evaluation.save()
        CriterionScore.objects.bulk_create([
            CriterionScore(evaluation=evaluation, criterion=criterion, score=score, points=point, justification=text)
            for criterion, score, point, text in points
        ])
    competition.ranking_rule = _ranking_rule(competition)
    competition.evaluated_at, competition.evaluated_by = timezone.now(), actor
    competition.save(update_fields=["ranking_rule", "evaluated_at", "evaluated_by"])
    ordered = sorted(rows, key=lambda row: (row[1].rank is None, row[1].rank or 0, row[0].pk))
    audit_record(
        action="competition.evaluated", actor=actor, organization=organization, target=competition,
        payload={
            "method": competition.method, "price_weight": competition.price_weight, "rule": competition.ranking_rule,
            "lowest_total": str(lowest) if lowest is not None else None,
            "quotes": [
                {
                    "quote": quote.pk, "supplier": quote.supplier_id, "total": str(quote.total),
                    "submitted_at": quote.submitted_at.isoformat(), "rejected": evaluation.rejected,
                    "rejection_reason": evaluation.rejection_reason, "rank": evaluation.rank,
                    "price_score": None if evaluation.price_score is None else str(evaluation.price_score),
                    "quality_score": None if evaluation.quality_score is None else str(evaluation.quality_score),
                    "total_score": None if evaluation.total_score is None else str(evaluation.total_score),
                    "scores": [
                        {"criterion": criterion.pk, "name": criterion.name, "weight": criterion.weight,
                         "score": str(score), "points": str(point), "justification": text}
                        for criterion, score, point, text in points
                    ],
                }
                for quote, evaluation, points in ordered
            ],
        },
    )
    return competition


@written_in_notification_language
def _notify_outcome(*, competition: Competition, winner_id: int | None) -> None:
    suppliers = Organization.objects.filter(quotes__competition=competition, quotes__is_current=True).distinct()
    for supplier in suppliers:
        if winner_id is None:
            body = _("No award was made for \"%(title)s\". Reason: %(reason)s") % {
                "title": competition.title, "reason": competition.outcome_reason}
        elif supplier.pk == winner_id:
            body = _("Your quote for \"%(title)s\" was selected. A draft call-off order follows.") % {"title": competition.title}
        else:
            body = _("Your quote for \"%(title)s\" was not selected. The contract went to another supplier.") % {
                "title": competition.title}
        notify_organization(
            organization=supplier, kind="competition.outcome",
            subject=_("Outcome of %(title)s") % {"title": competition.title}, body=body,
            dedupe_key=f"competition:{competition.pk}:outcome", link=_link(competition), target=competition,
        )


def _parse_date(value: Any, *, field: str, errors: dict[str, list[str]]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors.setdefault(field, []).append(_("Enter a date as YYYY-MM-DD."))
        return None


@transaction.atomic
def competition_award(
    *,
    actor,
    competition_id: int,
    quote_id: Any,
    justification: str,
    not_top_reason: str = "",
    cap: Any = None,
    start: Any = None,
    end: Any = None,
) -> Award:
    """Award the contract to an evaluated, not rejected quote and create a draft call-off order.

    Choosing a quote that is not ranked first requires ``not_top_reason``; the award records the
    price difference to the lowest valid total. The order's cap defaults to the quote's total.
    """
    competition, organization = _lock_as_buyer(actor=actor, competition_id=competition_id)
    require_quotes_opened(competition)
    check_transition(competition, Competition.Status.AWARDED)
    if competition.evaluated_at is None:
        raise Conflict(_("Evaluate the quotes before awarding."), code="not_evaluated")
    quote = (
        Quote.objects.select_related("evaluation", "supplier")
        .filter(pk=quote_id if str(quote_id).isdigit() else None, competition=competition, is_current=True).first()
    )
    if quote is None:
        raise ValidationFailed(_("Choose one of the quotes."), fields={"quote": [_("Choose one of the quotes.")]})
    if quote.evaluation.rejected:
        raise Conflict(_("A rejected quote cannot be awarded."), code="quote_rejected")
    errors: dict[str, list[str]] = {}
    justification, not_top_reason = _text(justification), _text(not_top_reason)
    if not justification:
        errors["justification"] = [_("Explain why this quote is chosen.")]
    is_top = quote.evaluation.rank == 1
    if not is_top and not not_top_reason:
        errors["not_top_reason"] = [_("This quote is not ranked first: explain why it is chosen over the top-ranked one.")]
    requirement = Requirement.objects.select_for_update().get(pk=competition.requirement_id)
    start_date = _parse_date(start, field="start", errors=errors) or requirement.period_start or timezone.localdate()
    end_date = _parse_date(end, field="end", errors=errors) or requirement.period_end
    if end_date is None and "end" not in errors:
        errors["end"] = [_("Enter the end date of the call-off order.")]
    elif end_date is not None and end_date <= start_date:
        errors["end"] = [_("The end date must be after the start date.")]
    cap_amount = quote.total
    if cap not in (None, ""):
        cap_amount = _decimal(cap, field="cap", errors=errors, size=AMOUNT_FIELD)
        cap_amount = round_amount(cap_amount) if cap_amount is not None else None
    if errors:
        raise ValidationFailed(_("The award is not valid."),
                               code="justification_required" if "not_top_reason" in errors else None, fields=errors)

    lowest = min(
        Quote.objects.filter(competition=competition, is_current=True, evaluation__rejected=False).values_list("total", flat=True)
    )
    first_line = quote.lines.select_related("listing_version").order_by("line__position", "pk").first()
    award = Award.objects.create(
        organization=organization, requirement=requirement, framework=competition.framework,
        method=Award.Method.COMPETITION, outcome=Award.Outcome.AWARDED, supplier=quote.supplier,
        listing_version=first_line.listing_version if first_line else None,
        justification=justification, cheaper_option_reason=not_top_reason,
        estimated_total=quote.total, lowest_estimated_total=lowest, price_difference=quote.total - lowest,
        created_by=actor,
    )
    competition.status, competition.award, competition.decided_at = Competition.Status.AWARDED, award, timezone.now()
    competition.save(update_fields=["status", "award", "decided_at"])
    check_transition(requirement, Requirement.Status.AWARDED)
    requirement.status = Requirement.Status.AWARDED
    requirement.save(update_fields=["status"])
    order_id = None
    # Order lines point at listing versions: every quoted line with a catalog listing behind it
    # becomes an order line at the quoted price. A quote with none is awarded without an order.
    order_lines = [
        OrderLineSpec(listing_version=quote_line.listing_version, unit_price=quote_line.unit_price)
        for quote_line in quote.lines.select_related("listing_version").order_by("line__position", "pk")
        if quote_line.listing_version is not None
    ]
    if order_lines:
        order = order_create_from_award(
            actor=actor, award=award, cap=cap_amount, start=start_date, end=end_date, lines=order_lines,
        )
        order_id = order.pk
    audit_record(
        action="competition.awarded", actor=actor, organization=organization, target=competition,
        payload={
            "award": award.pk, "quote": quote.pk, "supplier": quote.supplier_id, "rank": quote.evaluation.rank,
            "total": str(quote.total), "lowest_total": str(lowest), "price_difference": str(award.price_difference),
            "justification": justification, "not_top_reason": not_top_reason, "cap": str(cap_amount),
            "start": start_date.isoformat(), "end": end_date.isoformat(), "order": order_id,
        },
    )
    _notify_outcome(competition=competition, winner_id=quote.supplier_id)
    return award


@transaction.atomic
def competition_no_award(*, actor, competition_id: int, reason: str) -> Award:
    """Close without award (the requirement stays open so the buyer may select again)."""
    competition, organization = _lock_as_buyer(actor=actor, competition_id=competition_id)
    check_transition(competition, Competition.Status.NO_AWARD)
    reason = _text(reason)
    if not reason:
        raise ValidationFailed(_("Give the reason for not awarding."), fields={"reason": [_("Give the reason for not awarding.")]})
    award = Award.objects.create(
        organization=organization, requirement=competition.requirement, framework=competition.framework,
        method=Award.Method.COMPETITION, outcome=Award.Outcome.NO_AWARD, justification=reason, created_by=actor,
    )
    competition.status, competition.award, competition.outcome_reason = Competition.Status.NO_AWARD, award, reason
    competition.decided_at = timezone.now()
    competition.save(update_fields=["status", "award", "outcome_reason", "decided_at"])
    audit_record(action="competition.no_award", actor=actor, organization=organization, target=competition,
                 payload={"award": award.pk, "reason": reason})
    _notify_outcome(competition=competition, winner_id=None)
    return award


@transaction.atomic
def competition_cancel(*, actor, competition_id: int, reason: str) -> Competition:
    competition, organization = _lock_as_buyer(actor=actor, competition_id=competition_id)
    previous = check_transition(competition, Competition.Status.CANCELLED)
    reason = _text(reason)
    if not reason:
        raise ValidationFailed(_("Give the reason for cancelling."), fields={"reason": [_("Give the reason for cancelling.")]})
    competition.status, competition.outcome_reason, competition.decided_at = Competition.Status.CANCELLED, reason, timezone.now()
    competition.save(update_fields=["status", "outcome_reason", "decided_at"])
    audit_record(action="competition.cancelled", actor=actor, organization=organization, target=competition,
                 payload={"from": previous, "reason": reason})
    with in_notification_language():
        for invitation in Invitation.objects.filter(competition=competition).select_related("supplier"):
            notify_organization(
                organization=invitation.supplier, kind="competition.cancelled",
                subject=_("Cancelled: %(title)s") % {"title": competition.title},
                body=_("The buyer cancelled this request for quotation. Reason: %(reason)s") % {"reason": reason},
                dedupe_key=f"competition:{competition.pk}:cancelled", link=_link(competition), target=competition,
            )
    return competition
