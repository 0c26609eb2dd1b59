"""The one writer of audit events."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from audit import chain
from audit.models import AuditEvent

# Any constant: the advisory lock that serializes appends on PostgreSQL.
CHAIN_LOCK_KEY = 7_310_001


def _append_sqlite(*, actor, actor_name: str, organization_id: int | None, organization_name: str,
                   action: str, target_type: str, target_id: str, payload: dict[str, Any]) -> AuditEvent:
    """SQLite: transactions begin IMMEDIATE (see settings), so writers are already serialized when
    the head is read; the hash is computed in Python. The unique ``sequence`` and ``hash`` columns
    are the backstop: a stale head could only fail the insert, never fork the chain."""
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    sequence, prev_hash = (last[0] + 1, last[1]) if last else (1, chain.GENESIS_HASH)
    event = AuditEvent(
        sequence=sequence, occurred_at=timezone.now(), actor=actor, actor_name=actor_name,
        organization_id_snapshot=organization_id, organization_name=organization_name, action=action,
        target_type=target_type, target_id=target_id, payload=payload, prev_hash=prev_hash,
    )
    event.hash = chain.hash_of_event(event)
    event.save(force_insert=True)
    return event


_INSERT_COLUMNS = ("sequence", "occurred_at", "actor_id", "actor_name", "organization_id_snapshot",
                   "organization_name", "action", "target_type", "target_id", "payload", "prev_hash", "hash")


def _append_postgresql(*, actor, actor_name: str, organization_id: int | None, organization_name: str,
                       action: str, target_type: str, target_id: str, payload: dict[str, Any]) -> AuditEvent:
    """Lock, read the head, place, time, hash and insert the event in one round trip.

    Everything that does not depend on the chain's position is encoded before the lock, in
    Python: the canonical text around the time, the previous hash and the sequence
    (``chain.canonical_frame``). Holding the lock, the server fills in those three values and
    hashes (``sha256``), so no Python work and no further round trip happens while other writers
    queue; the lock is held from this statement to the caller's commit. The time is the
    database's clock read after the lock is granted (``clock_timestamp()``, in a MATERIALIZED
    step so it is read once), so times never go backwards along the chain. The verifier
    recomputes every hash in Python and so checks this SQL on every run.
    """
    f0, f1, f2, f3 = chain.canonical_frame(actor.pk if actor else None, actor_name, organization_id,
                                           organization_name, action, target_type, target_id,
                                           chain.payload_text(payload))
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    time_text = chain.UTC_ISO_TEXT_SQL % "placed.occurred_at"
    sql = f"""
        SELECT pg_advisory_xact_lock(%(lock)s);
        WITH head AS MATERIALIZED (
            SELECT sequence, hash FROM {table} ORDER BY sequence DESC LIMIT 1
        ), placed AS MATERIALIZED (
            SELECT COALESCE((SELECT sequence FROM head), 0) + 1 AS sequence,
                   COALESCE((SELECT hash FROM head), %(genesis)s) AS prev_hash,
                   clock_timestamp() AS occurred_at
        )
        INSERT INTO {table} ({", ".join(_INSERT_COLUMNS)})
        SELECT placed.sequence, placed.occurred_at, %(actor_id)s, %(actor_name)s, %(organization_id)s,
               %(organization_name)s, %(action)s, %(target_type)s, %(target_id)s, %(payload)s::jsonb,
               placed.prev_hash,
               encode(sha256(convert_to(%(f0)s || {time_text} || %(f1)s || placed.prev_hash || %(f2)s
                                        || placed.sequence::text || %(f3)s, 'UTF8')), 'hex')
        FROM placed
        RETURNING id, sequence, occurred_at, prev_hash, hash
    """
    params = {
        "lock": CHAIN_LOCK_KEY, "genesis": chain.GENESIS_HASH, "actor_id": actor.pk if actor else None,
        "actor_name": actor_name, "organization_id": organization_id, "organization_name": organization_name,
        "action": action, "target_type": target_type, "target_id": target_id,
        "payload": json.dumps(payload), "f0": f0, "f1": f1, "f2": f2, "f3": f3,
    }
    with connection.cursor() as cursor:
        # Two statements in one round trip, so the head is read with a snapshot taken after the
        # lock is granted; psycopg2 leaves the cursor on the last one's rows (a system check,
        # audit.checks, refuses another driver).
        cursor.execute(sql, params)
        pk, sequence, occurred_at, prev_hash, digest = cursor.fetchone()
    event = AuditEvent(
        pk=pk, sequence=sequence, occurred_at=occurred_at, actor=actor, actor_name=actor_name,
        organization_id_snapshot=organization_id, organization_name=organization_name, action=action,
        target_type=target_type, target_id=target_id, payload=payload, prev_hash=prev_hash, hash=digest,
    )
    event._state.adding, event._state.db = False, connection.alias
    return event


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
    append = _append_postgresql if connection.vendor == "postgresql" else _append_sqlite
    return append(
        actor=actor_obj,
        actor_name=actor_obj.get_username() if actor_obj else "system",
        organization_id=getattr(organization, "pk", None),
        organization_name=getattr(organization, "name", "") or "",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        payload=chain.normalize_payload(payload),
    )
