"""The append-only, hash-chained audit trail.

Each event stores the hash of the event before it; ``hash`` is SHA-256 over a canonical JSON
encoding of the event's own fields plus ``prev_hash`` (see ``audit.chain``). Rows are never
updated or deleted: the model and its queryset refuse it, and on PostgreSQL a trigger does too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImmutableEventError(Exception):
    """Raised when code tries to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise ImmutableEventError("Audit events are append-only: update is not allowed.")

    def delete(self):
        raise ImmutableEventError("Audit events are append-only: delete is not allowed.")


class AuditEvent(models.Model):
    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    organization_id_snapshot = models.BigIntegerField(_("organization id"), null=True, blank=True)
    organization_name = models.CharField(_("organization"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["organization_id_snapshot", "sequence"], name="audit_org_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(sequence__gte=1), name="audit_sequence_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableEventError("Audit events are append-only: update is not allowed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableEventError("Audit events are append-only: delete is not allowed.")


class AuditCheckpoint(models.Model):
    """A signed-off point of the chain: the head event's sequence and hash at one moment.

    Checkpoints form their own small chain: ``hash`` is SHA-256 over the canonical JSON of the
    other fields including ``prev_hash`` (the previous checkpoint's ``hash``), see
    ``audit.checkpoints``. Each one is also appended to a JSON-lines file outside the database
    (``settings.AUDIT_CHECKPOINT_DIR``) for publication; ``audit_verify --from-checkpoint`` then
    proves that the chain still extends every published checkpoint. Rows are append-only, like
    events.
    """

    sequence = models.PositiveBigIntegerField(_("head sequence"), unique=True)
    head_hash = models.CharField(_("head hash"), max_length=64)
    event_count = models.PositiveBigIntegerField(_("events"))
    created_at = models.DateTimeField(_("created at"))
    prev_hash = models.CharField(_("previous checkpoint hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        constraints = [
            models.CheckConstraint(condition=models.Q(sequence__gte=1), name="audit_checkpoint_sequence_positive"),
        ]

    def __str__(self) -> str:
        return f"checkpoint #{self.sequence} {self.head_hash[:12]}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableEventError("Audit checkpoints are append-only: update is not allowed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableEventError("Audit checkpoints are append-only: delete is not allowed.")
