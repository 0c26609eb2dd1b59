"""Checkpoints of the audit chain, their published file, and incremental verification.

A checkpoint records the chain's head (sequence, hash, number of events) at one moment. The
checkpoints form a chain of their own (each stores the previous checkpoint's hash), are stored in
``AuditCheckpoint`` and are appended, one JSON object per line, to a file outside the database
(``settings.AUDIT_CHECKPOINT_DIR``/``audit-checkpoints.jsonl``). That file is what gets published:
once a copy is out of the operator's hands, the database can no longer be rewritten unnoticed.

``verify_from_checkpoints`` then proves that the chain still extends every earlier checkpoint (the
event at each checkpoint's sequence still carries that checkpoint's head hash) and recomputes only
the events after the last one. A rewrite of history that recomputes every later hash passes a full
``verify_chain`` but changes the hash at the next checkpoint, so it is caught here. What the
incremental check does not do is recompute the events between checkpoints: an event altered
without re-hashing anything is only caught by the full verification, which should still run on
a schedule (``audit_verify`` without ``--from-checkpoint``).

``records``: the fields, hash and file name; ``recording``: recording, and the file's one writer;
``verification``: ``verify_from_checkpoints``.
"""

from audit.checkpoints.recording import PUBLISH_TASK, checkpoint_publish, checkpoint_record
from audit.checkpoints.records import (
    CHECKPOINT_COUNT_MISMATCH,
    CHECKPOINT_EVENT_ALTERED,
    CHECKPOINT_EVENT_MISSING,
    CHECKPOINT_FILE_NAME,
    CHECKPOINT_HASH_MISMATCH,
    CHECKPOINT_RECORD_INVALID,
    CHECKPOINT_TABLE_MISMATCH,
    HEAD_BEHIND_CHECKPOINT,
    checkpoint_fields,
    checkpoint_file_path,
    checkpoint_hash,
    checkpoint_record_of,
)
from audit.checkpoints.verification import (
    CheckpointProblem,
    CheckpointVerification,
    read_checkpoint_file,
    verify_from_checkpoints,
)

__all__ = [
    "CHECKPOINT_COUNT_MISMATCH",
    "CHECKPOINT_EVENT_ALTERED",
    "CHECKPOINT_EVENT_MISSING",
    "CHECKPOINT_FILE_NAME",
    "CHECKPOINT_HASH_MISMATCH",
    "CHECKPOINT_RECORD_INVALID",
    "CHECKPOINT_TABLE_MISMATCH",
    "HEAD_BEHIND_CHECKPOINT",
    "PUBLISH_TASK",
    "CheckpointProblem",
    "CheckpointVerification",
    "checkpoint_fields",
    "checkpoint_file_path",
    "checkpoint_hash",
    "checkpoint_publish",
    "checkpoint_record",
    "checkpoint_record_of",
    "read_checkpoint_file",
    "verify_from_checkpoints",
]
