"""Verifying the chain from its checkpoints (see ``audit.checkpoints`` for what this proves)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from audit import chain
from audit.checkpoints.records import (
    CHECKPOINT_COUNT_MISMATCH,
    CHECKPOINT_EVENT_ALTERED,
    CHECKPOINT_EVENT_MISSING,
    CHECKPOINT_HASH_MISMATCH,
    CHECKPOINT_RECORD_INVALID,
    CHECKPOINT_TABLE_MISMATCH,
    HEAD_BEHIND_CHECKPOINT,
    checkpoint_fields,
    checkpoint_hash,
    checkpoint_record_of,
)
from audit.models import AuditCheckpoint, AuditEvent
from audit.verify import verify_chain


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
    is verified. See ``audit.checkpoints`` for what this does and does not prove.
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
