"""Canonical encoding and hashing of audit events. Pure functions: no database access."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from json.encoder import encode_basestring as _json_string
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


def _json_number(text: str) -> float | int:
    """A JSON number with a fraction or exponent, as PostgreSQL's jsonb gives it back: jsonb keeps
    numbers as exact decimals, so a float with an integral value written ``1e+16`` reads back as
    ``10000000000000000`` (an int) and ``-0.0`` as ``0``; such values become ints here, before
    hashing, so the hash covers what is stored. Other floats read back as the same float."""
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("NaN and infinite numbers cannot be stored in an audit payload.")
    return int(value) if value.is_integer() and ("e" in text.lower() or value == 0) else value


def normalize_payload(payload: dict[str, Any] | None) -> dict[str, Any]:
    """Turn a payload into plain JSON types, exactly as it will read back from the database."""
    return json.loads(json.dumps(payload or {}, default=_default, sort_keys=True), parse_float=_json_number,
                      parse_constant=_json_number)


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


# PostgreSQL expression for ``timestamp_text`` of a timestamptz (``%s``: the column or value).
# The writer hashes it and the verifier reads it; a test compares it with the Python function.
UTC_ISO_TEXT_SQL = "to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"


def timestamp_text(occurred_at: datetime) -> str:
    """The canonical text of an event time: UTC, ISO 8601, always with microseconds."""
    return occurred_at.astimezone(UTC).isoformat(timespec="microseconds")


_PAYLOAD_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def _one_shot_payload_encoder():
    """The C encoder built once with the canonical options (``JSONEncoder.encode`` rebuilds it per
    call, which costs more than encoding a small payload). Payloads are plain JSON read back from
    the database, so the circular-reference check is left out. Pure-Python fallback otherwise."""
    try:
        from json.encoder import c_make_encoder

        encode = c_make_encoder(None, _default, _json_string, None, ":", ",", True, False, True)
        encode({"probe": [1]}, 0)
    except (ImportError, TypeError):
        return _PAYLOAD_ENCODER.encode
    return lambda payload: "".join(encode(payload, 0))


payload_text = _one_shot_payload_encoder()
payload_text.__doc__ = "The canonical text of a payload: sorted keys, no spaces, UTF-8 as is."


def canonical_frame(
    actor_id: int | None,
    actor_name: str,
    organization_id: int | None,
    organization_name: str,
    action: str,
    target_type: str,
    target_id: str,
    payload_canonical: str,
) -> tuple[str, str, str, str]:
    """The canonical text of an event around the three values that place it in the chain.

    ``f0 + occurred_at_text + f1 + prev_hash + f2 + str(sequence) + f3`` is exactly
    ``canonical_bytes(event_fields(...))`` decoded: the keys of ``event_fields`` in sorted order,
    strings escaped by the json module's own escaper, the payload already canonical
    (``payload_text``). Verification fills the frame in Python (``hash_of_texts``); on PostgreSQL
    the writer fills it in SQL once it holds the chain lock (``audit.services``). ``tests/audit``
    proves every way gives the same digest.
    """
    q = _json_string
    actor_id_text = "null" if actor_id is None else str(int(actor_id))
    organization_id_text = "null" if organization_id is None else str(int(organization_id))
    return (
        f'{{"action":{q(action)},"actor":{q(actor_name)},"actor_id":{actor_id_text},"occurred_at":"',
        f'","organization":{q(organization_name)},"organization_id":{organization_id_text},'
        f'"payload":{payload_canonical},"prev_hash":"',
        '","sequence":',
        f',"target_id":{q(target_id)},"target_type":{q(target_type)}}}',
    )


def hash_of_texts(
    sequence: int,
    occurred_at_text: str,
    actor_id: int | None,
    actor_name: str,
    organization_id: int | None,
    organization_name: str,
    action: str,
    target_type: str,
    target_id: str,
    payload_canonical: str,
    prev_hash: str,
) -> str:
    """The same digest as ``compute_hash(event_fields(...))``, built without the generic encoder:
    the time and payload come in canonical text (``timestamp_text``, ``payload_text``). The time
    and the previous hash need no escaping (digits, letters and ``-:.+T``; a stored value that
    did would fail to match anyway)."""
    f0, f1, f2, f3 = canonical_frame(actor_id, actor_name, organization_id, organization_name, action,
                                     target_type, target_id, payload_canonical)
    return hashlib.sha256(f"{f0}{occurred_at_text}{f1}{prev_hash}{f2}{int(sequence)}{f3}".encode()).hexdigest()


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
