"""What a checkpoint is: its canonical fields, its hash, its published line and the file's place."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from audit import chain
from audit.models import AuditCheckpoint

CHECKPOINT_FILE_NAME = "audit-checkpoints.jsonl"
# Any constant other than the append lock: serializes checkpoint recording on PostgreSQL without
# holding up appends.
CHECKPOINT_LOCK_KEY = 7_310_002

# Reasons a verification from checkpoints can fail (besides the chain's own reasons from
# ``audit.verify``: sequence_gap, prev_hash_mismatch, hash_mismatch).
CHECKPOINT_RECORD_INVALID = "checkpoint_record_invalid"
CHECKPOINT_TABLE_MISMATCH = "checkpoint_table_mismatch"
HEAD_BEHIND_CHECKPOINT = "head_behind_checkpoint"
CHECKPOINT_EVENT_MISSING = "checkpoint_event_missing"
CHECKPOINT_HASH_MISMATCH = "checkpoint_hash_mismatch"
CHECKPOINT_EVENT_ALTERED = "checkpoint_event_altered"
CHECKPOINT_COUNT_MISMATCH = "checkpoint_count_mismatch"

def checkpoint_fields(
    *, sequence: int, head_hash: str, event_count: int, created_at: datetime | str, prev_hash: str
) -> dict[str, Any]:
    """The canonical content of a checkpoint, as hashed and as written to the file."""
    created = created_at if isinstance(created_at, str) else chain.timestamp_text(created_at)
    return {
        "sequence": int(sequence),
        "head_hash": head_hash,
        "event_count": int(event_count),
        "created_at": created,
        "prev_hash": prev_hash,
    }


def checkpoint_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(chain.canonical_bytes(fields)).hexdigest()


def checkpoint_record_of(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    """The published line of a stored checkpoint: its fields plus its hash."""
    fields = checkpoint_fields(
        sequence=checkpoint.sequence,
        head_hash=checkpoint.head_hash,
        event_count=checkpoint.event_count,
        created_at=checkpoint.created_at,
        prev_hash=checkpoint.prev_hash,
    )
    return {**fields, "hash": checkpoint.hash}


def checkpoint_file_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / CHECKPOINT_FILE_NAME
