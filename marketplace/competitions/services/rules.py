"""The rules several competition services share: the deadline window, and when quotes open."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import FrameworkAgreement
from common.business_days import earliest_deadline
from common.errors import Conflict, ValidationFailed
from marketplace.competitions.models import Competition


def check_deadline(*, deadline: datetime, framework: FrameworkAgreement, now: datetime) -> None:
    if timezone.localtime(deadline).date() > framework.end_date:  # quotes would stay sealed past the framework
        message = _("The deadline must fall within the framework, which ends on %(end)s.") % {
            "end": framework.end_date.isoformat()}
        raise ValidationFailed(message, code="deadline_after_framework", fields={"deadline": [message]})
    earliest = earliest_deadline(now, framework.min_quotation_business_days, country=framework.country)
    if deadline < earliest:
        earliest_text = timezone.localtime(earliest).strftime("%Y-%m-%d %H:%M")
        raise ValidationFailed(
            _("The deadline must be at least %(days)s business days away (weekends and holidays do not count): "
              "%(earliest)s or later.") % {"days": framework.min_quotation_business_days, "earliest": earliest_text},
            code="deadline_too_soon",
            fields={"deadline": [_("Choose %(earliest)s or later.") % {"earliest": earliest_text}]},
            extra={"earliest_deadline": earliest.isoformat()},
        )


def deadline_text(competition: Competition) -> str:
    return timezone.localtime(competition.deadline).strftime("%Y-%m-%d %H:%M %Z")


def require_quotes_opened(competition: Competition) -> None:
    """Raise ``Conflict`` (``not_closed``) while the competition is not closed yet (a draft, or open for
    quotes): its quotes stay sealed until the deadline, so there is nothing to evaluate or award.
    The one rule for the evaluation and award services and for their pages. From the deadline on the
    competition counts as closed (``effective_status``), even before the sweep wrote it."""
    if competition.effective_status in (Competition.Status.DRAFT, Competition.Status.PUBLISHED):
        raise Conflict(
            _("The quotes open when the competition closes at its deadline, %(deadline)s: they can be "
              "evaluated and the contract awarded from then on.") % {"deadline": deadline_text(competition)},
            code="not_closed", extra={"deadline": competition.deadline.isoformat()},
        )


def require_open_for_suppliers(competition: Competition, *, now: datetime) -> None:
    if competition.status in (Competition.Status.DRAFT, Competition.Status.CANCELLED):
        raise Conflict(_("This competition is not open for quotes."), code="competition_not_open")
    if competition.status != Competition.Status.PUBLISHED or now >= competition.deadline:
        raise Conflict(
            _("The deadline for quotes has passed."), code="deadline_passed",
            extra={"deadline": competition.deadline.isoformat()},
        )


def require_live(framework: FrameworkAgreement) -> None:
    if framework.status != FrameworkAgreement.Status.LIVE:
        raise Conflict(_("Only live frameworks accept call-offs."), code="framework_not_live")
