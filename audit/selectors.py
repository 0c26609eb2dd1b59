"""Reads of the audit trail, always from the point of view of who asks."""

from __future__ import annotations

from django.db.models import QuerySet

from audit.access import can_read_audit
from audit.models import AuditEvent
from audit.verify import ChainVerification, verify_chain


def events_visible_to(*, user) -> QuerySet[AuditEvent]:
    """Every event for audit readers (oversight), none for anybody else; oldest first."""
    if not can_read_audit(user):
        return AuditEvent.objects.none()
    return AuditEvent.objects.order_by("sequence")


def chain_verification_for(*, user) -> ChainVerification | None:
    """The result of recomputing the whole chain, or ``None`` when ``user`` may not read it."""
    if not can_read_audit(user):
        return None
    return verify_chain()
