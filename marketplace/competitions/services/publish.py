"""Publishing a draft (inviting the lot's admitted suppliers) and cancelling."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.selectors import admitted_suppliers
from audit.services import audit_record
from common.errors import Conflict, ValidationFailed
from common.lifecycle import check_transition
from marketplace.competitions.models import Competition, Invitation
from marketplace.competitions.services.access import lock_as_buyer
from marketplace.competitions.services.closing import close_locked
from marketplace.competitions.services.notices import notify_cancelled, notify_invited
from marketplace.competitions.services.rules import check_deadline, require_live


@transaction.atomic
def competition_publish(*, actor: User, competition_id: int) -> Competition:
    """Invite every supplier admitted to the lot now. Nothing is queued: the beat sweep closes the
    competition once its deadline passes."""
    competition, organization = lock_as_buyer(actor=actor, competition_id=competition_id)
    check_transition(competition, Competition.Status.PUBLISHED)
    require_live(competition.framework)
    now = timezone.now()
    check_deadline(deadline=competition.deadline, framework=competition.framework, now=now)
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
    notify_invited(competition=competition, buyer=organization, suppliers=suppliers)
    return competition


@transaction.atomic
def competition_cancel(*, actor: User, competition_id: int, reason: str) -> Competition:
    """Cancel a draft, an open or a closed competition. Past its deadline it is closed first (the
    quotes were due), so the trail shows the close before the cancellation."""
    competition, organization = lock_as_buyer(actor=actor, competition_id=competition_id)
    close_locked(competition)
    previous = check_transition(competition, Competition.Status.CANCELLED)
    reason = reason.strip()
    if not reason:
        message = _("Give the reason for cancelling.")
        raise ValidationFailed(message, fields={"reason": [message]})
    competition.status, competition.outcome_reason = Competition.Status.CANCELLED, reason
    competition.decided_at = timezone.now()
    competition.save(update_fields=["status", "outcome_reason", "decided_at"])
    audit_record(action="competition.cancelled", actor=actor, organization=organization, target=competition,
                 payload={"from": previous, "reason": reason})
    notify_cancelled(competition=competition, reason=reason)
    return competition
