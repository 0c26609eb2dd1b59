"""The one writer of audit events."""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from audit import chain
from audit.models import AuditEvent

# Any constant: the advisory lock that serializes appends on PostgreSQL.
CHAIN_LOCK_KEY = 7_310_001


def _lock_chain() -> None:
    """Serialize appends so the chain stays linear.

    PostgreSQL: a transaction-scoped advisory lock, released at commit or rollback. SQLite:
    transactions begin IMMEDIATE (see settings), so writers are already serialized.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


@transaction.atomic
def audit_record(
    *,
    action: str,
    actor: Any = None,
    organization: Any = None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction.

    ``organization`` is any object with ``pk`` and ``name`` (audit imports no other app);
    ``target`` is a model instance, or give ``target_type``/``target_id`` directly.
    """
    if target is not None:
        target_type = f"{target._meta.app_label}.{target._meta.model_name}"
        target_id = target.pk
    actor_obj = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    _lock_chain()
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    sequence, prev_hash = (last[0] + 1, last[1]) if last else (1, chain.GENESIS_HASH)
    event = AuditEvent(
        sequence=sequence,
        occurred_at=timezone.now(),
        actor=actor_obj,
        actor_name=actor_obj.get_username() if actor_obj else "system",
        organization_id_snapshot=getattr(organization, "pk", None),
        organization_name=getattr(organization, "name", "") or "",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        payload=chain.normalize_payload(payload),
        prev_hash=prev_hash,
    )
    event.hash = chain.hash_of_event(event)
    event.save(force_insert=True)
    return event
