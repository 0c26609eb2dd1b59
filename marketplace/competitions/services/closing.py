"""Closing at the deadline: one mechanism, the beat sweep (``close_overdue_competitions``, every
minute), plus the writes that need the competition closed (evaluate, award, no award, cancel),
which close it first inside their own transaction. Reads never close: they show the competition
as closed from its deadline on (``Competition.effective_status``) and write nothing.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from common.lifecycle import check_transition
from marketplace.competitions.models import Competition, Quote
from marketplace.competitions.selectors import overdue_competition_ids
from marketplace.competitions.services.access import lock_competition
from marketplace.competitions.services.notices import notify_closed


def close_locked(competition: Competition, *, now: datetime | None = None) -> bool:
    """Close ``competition`` (already locked by the caller) if it is published and past its deadline.
    Returns whether it closed; otherwise changes nothing."""
    now = now or timezone.now()
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
    notify_closed(competition=competition, quote_count=len(quotes))
    return True


@transaction.atomic
def competition_close(*, competition_id: int, now: datetime | None = None) -> bool:
    """Close a published competition whose deadline has passed. Safe to call any time, any number
    of times: before the deadline, or once closed, it changes nothing and returns False."""
    return close_locked(lock_competition(competition_id), now=now)


def close_overdue(*, now: datetime | None = None) -> int:
    """Close every published competition past its deadline; each in its own transaction."""
    now = now or timezone.now()
    return sum(1 for competition_id in overdue_competition_ids(now=now)
               if competition_close(competition_id=competition_id, now=now))
