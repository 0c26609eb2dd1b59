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
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import chain
from audit.models import AuditCheckpoint, AuditEvent
from audit.verify import verify_chain
from common.errors import Conflict

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


# --- Hashing -----------------------------------------------------------------------------------


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


# --- Recording and publishing --------------------------------------------------------------------


def checkpoint_file_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / CHECKPOINT_FILE_NAME


def _lock_checkpoints() -> None:
    """One recorder at a time on PostgreSQL (SQLite transactions already begin IMMEDIATE). The
    unique ``sequence`` and ``hash`` columns are the backstop."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHECKPOINT_LOCK_KEY])


@transaction.atomic
def checkpoint_record(*, now: datetime | None = None) -> tuple[AuditCheckpoint | None, bool]:
    """Record a checkpoint of the current chain head; ``(checkpoint, created)``.

    Idempotent: when the head has not moved since the last checkpoint, that checkpoint is
    returned with ``created=False`` (and ``(None, False)`` for an empty chain). Before recording,
    the events since the last checkpoint are verified, linked from its head hash, so a
    checkpoint only ever vouches for a chain that checked out; a broken chain raises
    ``Conflict`` and records nothing. The new checkpoint covers exactly the events verified
    (events appended meanwhile are left for the next one). The published file is brought up to
    date after commit (``checkpoint_publish``), also when nothing new was recorded, so a write
    that failed earlier is caught up.
    """
    _lock_checkpoints()
    transaction.on_commit(checkpoint_publish)
    last = AuditCheckpoint.objects.order_by("-sequence").first()
    if last is not None:
        stored = AuditEvent.objects.filter(sequence=last.sequence).values_list("hash", flat=True).first()
        if stored != last.head_hash:
            raise Conflict(
                _("The chain no longer extends checkpoint #%(sequence)s: no checkpoint recorded.")
                % {"sequence": last.sequence},
                code=CHECKPOINT_HASH_MISMATCH,
            )
    after = (last.sequence, last.head_hash) if last is not None else None
    result = verify_chain(after=after)
    if not result.ok:
        raise Conflict(
            _("The audit chain is broken (%(message)s): no checkpoint recorded.")
            % {"message": result.first_broken.message},
            code=result.first_broken.reason,
        )
    if result.events == 0:
        return last, False
    previous_count = last.event_count if last is not None else 0
    fields = checkpoint_fields(
        sequence=(last.sequence if last is not None else 0) + result.events,
        head_hash=result.head,
        event_count=previous_count + result.events,
        created_at=now or timezone.now(),
        prev_hash=last.hash if last is not None else chain.GENESIS_HASH,
    )
    checkpoint = AuditCheckpoint(
        sequence=fields["sequence"],
        head_hash=fields["head_hash"],
        event_count=fields["event_count"],
        created_at=datetime.fromisoformat(fields["created_at"]),
        prev_hash=fields["prev_hash"],
        hash=checkpoint_hash(fields),
    )
    checkpoint.save(force_insert=True)
    return checkpoint, True


@contextlib.contextmanager
def _exclusive(handle) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: the single beat scheduler is the only writer anyway.
        yield
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def checkpoint_publish(*, path: Path | None = None) -> int:
    """Append to the published file every stored checkpoint it does not have yet; the number
    appended. Lines already in the file are never rewritten. If the file's last line disagrees
    with the stored checkpoint of the same sequence, nothing is appended and ``Conflict`` is
    raised: one of the two was changed, and the file must not be made to agree."""
    path = path or checkpoint_file_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle, _exclusive(handle):
        handle.seek(0)
        last_line = None
        for line in handle:
            if line.strip():
                last_line = line
        last_sequence = 0
        if last_line is not None:
            try:
                last_record = json.loads(last_line)
                last_sequence = int(last_record["sequence"])
            except (ValueError, KeyError, TypeError) as error:
                raise Conflict(
                    _("The checkpoint file %(path)s ends with an unreadable line.") % {"path": path},
                    code=CHECKPOINT_RECORD_INVALID,
                ) from error
            stored = AuditCheckpoint.objects.filter(sequence=last_sequence).first()
            if stored is None or stored.hash != last_record.get("hash"):
                raise Conflict(
                    _("Checkpoint #%(sequence)s in %(path)s differs from the stored one: nothing published.")
                    % {"sequence": last_sequence, "path": path},
                    code=CHECKPOINT_TABLE_MISMATCH,
                )
        new = list(AuditCheckpoint.objects.filter(sequence__gt=last_sequence).order_by("sequence"))
        handle.seek(0, os.SEEK_END)
        for checkpoint in new:
            handle.write(json.dumps(checkpoint_record_of(checkpoint), sort_keys=True, separators=(",", ":")) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return len(new)


# --- Verifying from checkpoints ------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointProblem:
    reason: str
    sequence: int | None
    message: str


@dataclass(frozen=True)
class CheckpointVerification:
    ok: bool
    source: str
    checkpoints: int
    checkpoint_sequence: int | None
    checkpoint_hash: str | None
    events_verified: int
    events: int
    head: str | None
    problem: CheckpointProblem | None = None

    def as_dict(self) -> dict:
        data = asdict(self)
        if self.problem is None:
            data.pop("problem")
        return data


class _Failed(Exception):
    def __init__(self, reason: str, sequence: int | None, message: str) -> None:
        super().__init__(message)
        self.problem = CheckpointProblem(reason=reason, sequence=sequence, message=message)


def read_checkpoint_file(path: Path) -> list[dict[str, Any]]:
    """The checkpoints of a published file, in order. Raises ``_Failed`` on an unreadable line."""
    records = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
            except ValueError as error:
                raise _Failed(
                    CHECKPOINT_RECORD_INVALID, None,
                    _("Line %(line)s of %(path)s is not a checkpoint.") % {"line": number, "path": path},
                ) from error
            records.append(record)
    return records


def _check_checkpoint_chain(records: list[dict[str, Any]]) -> None:
    """Each record's hash matches its fields and points at the one before; sequences increase."""
    previous_hash = chain.GENESIS_HASH
    previous_sequence = 0
    for record in records:
        try:
            fields = checkpoint_fields(
                sequence=record["sequence"],
                head_hash=record["head_hash"],
                event_count=record["event_count"],
                created_at=record["created_at"],
                prev_hash=record["prev_hash"],
            )
            sequence = fields["sequence"]
        except (KeyError, TypeError, ValueError) as error:
            raise _Failed(CHECKPOINT_RECORD_INVALID, None, _("A checkpoint lacks a field.")) from error
        if checkpoint_hash(fields) != record.get("hash"):
            raise _Failed(
                CHECKPOINT_RECORD_INVALID, sequence,
                _("Checkpoint #%(sequence)s was altered: its hash does not match its contents.")
                % {"sequence": sequence},
            )
        if fields["prev_hash"] != previous_hash or sequence <= previous_sequence:
            raise _Failed(
                CHECKPOINT_RECORD_INVALID, sequence,
                _("Checkpoint #%(sequence)s does not follow the checkpoint before it.") % {"sequence": sequence},
            )
        previous_hash, previous_sequence = record["hash"], sequence


def _compare_with_table(records: list[dict[str, Any]]) -> None:
    """Every published checkpoint is still stored, unchanged (the table can be tampered with too)."""
    stored = dict(
        AuditCheckpoint.objects.filter(sequence__in=[record["sequence"] for record in records]).values_list(
            "sequence", "hash"
        )
    )
    for record in records:
        if stored.get(record["sequence"]) != record["hash"]:
            raise _Failed(
                CHECKPOINT_TABLE_MISMATCH, record["sequence"],
                _("Stored checkpoint #%(sequence)s is missing or differs from the published one.")
                % {"sequence": record["sequence"]},
            )


def _check_chain_extends(records: list[dict[str, Any]], head_sequence: int) -> None:
    """The event at each checkpoint's sequence still carries the checkpoint's head hash and its
    own contents still hash to it; the last checkpoint's events are all still there."""
    by_sequence = {}
    sequences = [record["sequence"] for record in records]
    for start in range(0, len(sequences), 1000):
        for event in AuditEvent.objects.filter(sequence__in=sequences[start:start + 1000]):
            by_sequence[event.sequence] = event
    for record in records:
        sequence = record["sequence"]
        event = by_sequence.get(sequence)
        if event is None:
            if head_sequence < sequence:
                raise _Failed(
                    HEAD_BEHIND_CHECKPOINT, sequence,
                    _("The chain ends at event #%(head)s, behind checkpoint #%(sequence)s: events were removed.")
                    % {"head": head_sequence, "sequence": sequence},
                )
            raise _Failed(
                CHECKPOINT_EVENT_MISSING, sequence,
                _("Event #%(sequence)s of a checkpoint is missing.") % {"sequence": sequence},
            )
        if event.hash != record["head_hash"]:
            raise _Failed(
                CHECKPOINT_HASH_MISMATCH, sequence,
                _(
                    "Event #%(sequence)s no longer has the hash of checkpoint #%(sequence)s "
                    "(stored %(found)s, checkpoint %(expected)s): the chain was rewritten."
                ) % {"sequence": sequence, "found": event.hash, "expected": record["head_hash"]},
            )
        if chain.hash_of_event(event) != event.hash:
            raise _Failed(
                CHECKPOINT_EVENT_ALTERED, sequence,
                _("Event #%(sequence)s was altered: its stored hash does not match its contents.")
                % {"sequence": sequence},
            )
    last = records[-1]
    count = AuditEvent.objects.filter(sequence__lte=last["sequence"]).count()
    if count != last["event_count"]:
        raise _Failed(
            CHECKPOINT_COUNT_MISMATCH, last["sequence"],
            _("Checkpoint #%(sequence)s covered %(expected)s events; %(found)s are stored up to it.")
            % {"sequence": last["sequence"], "expected": last["event_count"], "found": count},
        )


def verify_from_checkpoints(
    *,
    checkpoint_file: Path | None = None,
    chunk_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> CheckpointVerification:
    """Prove the chain extends every earlier checkpoint, then verify only the events after the last.

    The checkpoints come from ``checkpoint_file`` (a published copy: it is checked against the
    stored table too) or, without it, from the table. With no checkpoint at all the whole chain
    is verified. See the module docstring for what this does and does not prove.
    """
    source = str(checkpoint_file) if checkpoint_file is not None else "database"
    records: list[dict[str, Any]] = []
    head_row = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    head_sequence = head_row[0] if head_row else 0

    def failed(problem: CheckpointProblem) -> CheckpointVerification:
        last = records[-1] if records else None
        return CheckpointVerification(
            ok=False, source=source, checkpoints=len(records),
            checkpoint_sequence=last["sequence"] if last else None,
            checkpoint_hash=last["head_hash"] if last else None,
            events_verified=0, events=head_sequence, head=head_row[1] if head_row else None, problem=problem,
        )

    try:
        if checkpoint_file is not None:
            records = read_checkpoint_file(checkpoint_file)
        else:
            records = [checkpoint_record_of(checkpoint) for checkpoint in AuditCheckpoint.objects.order_by("sequence")]
        _check_checkpoint_chain(records)
        if checkpoint_file is not None:
            _compare_with_table(records)
        if records:
            _check_chain_extends(records, head_sequence)
    except _Failed as failure:
        return failed(failure.problem)

    last = records[-1] if records else None
    after = (last["sequence"], last["head_hash"]) if last else None
    result = verify_chain(chunk_size=chunk_size, progress=progress, after=after)
    problem = None
    if not result.ok:
        broken = result.first_broken
        problem = CheckpointProblem(reason=broken.reason, sequence=broken.sequence, message=broken.message)
    return CheckpointVerification(
        ok=result.ok,
        source=source,
        checkpoints=len(records),
        checkpoint_sequence=last["sequence"] if last else None,
        checkpoint_hash=last["head_hash"] if last else None,
        events_verified=result.events,
        events=(last["event_count"] if last else 0) + result.events,
        head=result.head,
        problem=problem,
    )
