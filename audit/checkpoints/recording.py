"""Recording a checkpoint (any process) and writing the published file (one process only).

The file has one writer: the task ``audit.tasks.publish_checkpoints``, routed to the queue
``settings.AUDIT_CHECKPOINT_QUEUE`` (``CELERY_TASK_ROUTES``), which exactly one worker consumes with
concurrency 1 (``checkpoint-worker`` in ``docker-compose.yml``; docs/operations.md). Recording a
checkpoint, from the hourly beat task, the ``audit_checkpoint`` command or anywhere else, only
queues that task by name after commit; it never opens the file itself. In the embedded default
(no broker) tasks run eagerly, so the one process there is the writer. The file lock in
``checkpoint_publish`` is a second guard, not the design: with one writer nothing waits on it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import chain
from audit.checkpoints.records import (
    CHECKPOINT_HASH_MISMATCH,
    CHECKPOINT_LOCK_KEY,
    CHECKPOINT_RECORD_INVALID,
    CHECKPOINT_TABLE_MISMATCH,
    checkpoint_fields,
    checkpoint_file_path,
    checkpoint_hash,
    checkpoint_record_of,
)
from audit.models import AuditCheckpoint, AuditEvent
from audit.verify import verify_chain
from common.errors import Conflict
from common.tasks import enqueue_after_commit

PUBLISH_TASK = "audit.tasks.publish_checkpoints"


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
    (events appended meanwhile are left for the next one). After commit the publishing task is
    queued by name (``PUBLISH_TASK``, on the checkpoint queue), also when nothing new was
    recorded, so a write that failed earlier is caught up; the caller never opens the file.
    """
    _lock_checkpoints()
    enqueue_after_commit(PUBLISH_TASK)
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
    appended. Called only by the publishing task (the one writer, see the module docstring), or
    with an explicit ``path`` for a scratch copy. Lines already in the file are never rewritten. If the file's last line disagrees
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
