"""Canonical encoding and hashing of audit events. Pure functions: no database access."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

GENESIS_HASH = "0" * 64


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def normalize_payload(payload: dict[str, Any] | None) -> dict[str, Any]:
    """Turn a payload into plain JSON types, exactly as it will read back from the database."""
    return json.loads(json.dumps(payload or {}, default=_default, sort_keys=True))


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default).encode()


def event_fields(
    *,
    sequence: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_name: str,
    organization_id: int | None,
    organization_name: str,
    action: str,
    target_type: str,
    target_id: str,
    payload: dict[str, Any],
    prev_hash: str,
) -> dict[str, Any]:
    return {
        "sequence": sequence,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor": actor_name,
        "organization_id": organization_id,
        "organization": organization_name,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "payload": payload,
        "prev_hash": prev_hash,
    }


def compute_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(fields)).hexdigest()


def hash_of_event(event: Any) -> str:
    """Recompute the hash of a stored ``AuditEvent`` (or any object with the same attributes)."""
    return compute_hash(
        event_fields(
            sequence=event.sequence,
            occurred_at=event.occurred_at,
            actor_id=event.actor_id,
            actor_name=event.actor_name,
            organization_id=event.organization_id_snapshot,
            organization_name=event.organization_name,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            payload=event.payload,
            prev_hash=event.prev_hash,
        )
    )


def digest_of(value: Any) -> str:
    """SHA-256 of any JSON-able value in canonical form (used for snapshot hashes in payloads)."""
    return hashlib.sha256(canonical_bytes(normalize_payload({"v": value})["v"] if value is not None else None)).hexdigest()
