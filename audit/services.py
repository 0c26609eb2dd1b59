"""The one writer of audit events."""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from audit import chain
from audit.models import AuditEvent

# Any constant: the advisory lock that serializes appends on PostgreSQL.
CHAIN_LOCK_KEY = 7_310_001


def _lock_chain_and_read_head() -> tuple[int, str] | None:
    """Serialize appends so the chain stays linear, then read the chain head.

    PostgreSQL: a transaction-scoped advisory lock, released at commit or rollback, and the head
    read in the same round trip (the lock is held for as short a time as possible). The head
    query is a separate statement, so under READ COMMITTED its snapshot is taken after the lock
    is granted and it sees the event the previous holder committed. SQLite: transactions begin
    IMMEDIATE (see settings), so writers are already serialized. The unique ``sequence`` and
    ``hash`` columns are the backstop: a stale head could only fail the insert, never fork the
    chain.
    """
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT pg_advisory_xact_lock(%s); SELECT sequence, hash FROM {table} ORDER BY sequence DESC LIMIT 1",
                [CHAIN_LOCK_KEY],
            )
            return cursor.fetchone()
    return AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()


# No savepoint: inside the caller's transaction the event commits or rolls back with the change
# it records (a failed append must fail the whole change anyway), and an append costs two
# round trips fewer.
@transaction.atomic(savepoint=False)
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
    last = _lock_chain_and_read_head()
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
