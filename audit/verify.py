"""Verification of the audit chain: recompute every hash and check every link.

The chain is read once, in ``sequence`` order, as plain tuples (``values_list`` + ``iterator``:
a server-side cursor on PostgreSQL), so memory stays flat however long the chain grows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.db import connection
from django.db.models import Func, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from audit import chain
from audit.models import AuditEvent

HASH_MISMATCH = "hash_mismatch"
PREV_HASH_MISMATCH = "prev_hash_mismatch"
SEQUENCE_GAP = "sequence_gap"

# Below this many events per process, forking costs more than it saves.
MIN_EVENTS_PER_WORKER = 10_000

# Column positions in the rows read for verification (the argument order of
# ``chain.hash_of_texts``, then the stored hash).
_SEQUENCE, _OCCURRED_AT, _PAYLOAD, _PREV_HASH, _HASH = 0, 1, 9, 10, 11


def _sqlite_timestamp_text(stored: str) -> str:
    """Canonical time from SQLite's stored text (naive UTC, ``str(datetime)``) without parsing.

    Any other spelling of the same instant yields a different text and so a hash mismatch: the
    row was not written by Django, which is itself tampering.
    """
    if len(stored) == 19:
        stored += ".000000"
    return stored[:10] + "T" + stored[11:] + "+00:00"


class UtcIsoText(Func):
    """PostgreSQL: the canonical time text (``chain.timestamp_text``) written by the server.

    ``to_char`` in the database costs far less than building a datetime in the driver and
    formatting it again in Python (about an eighth of a verification's time); a test compares
    both spellings.
    """

    template = chain.UTC_ISO_TEXT_SQL % "%(expressions)s"
    output_field = TextField()


def _rows(chunk_size: int, after_sequence: int = 0, until_sequence: int | None = None):
    """Stream the chain as tuples with the time and payload already in canonical text.

    The payload is read as its stored JSON text (no model-field conversion) and re-encoded
    canonically; the time is read as text too (SQLite's stored text, rewritten without parsing;
    on PostgreSQL the canonical text written by the server), which is much cheaper than
    parsing it into a datetime and formatting it again.
    """
    sqlite = connection.vendor == "sqlite"
    occurred_at = Cast("occurred_at", TextField()) if sqlite else UtcIsoText("occurred_at")
    events = AuditEvent.objects.filter(sequence__gt=after_sequence) if after_sequence else AuditEvent.objects.all()
    if until_sequence is not None:
        events = events.filter(sequence__lte=until_sequence)
    rows = (
        events.order_by("sequence")
        .values_list(
            "sequence",
            occurred_at,
            "actor_id",
            "actor_name",
            "organization_id_snapshot",
            "organization_name",
            "action",
            "target_type",
            "target_id",
            Cast("payload", TextField()),
            "prev_hash",
            "hash",
        )
        .iterator(chunk_size=chunk_size)
    )
    payload_text = chain.payload_text
    decode = json.JSONDecoder().raw_decode
    for sequence, occurred, actor_id, actor, org_id, org, action, target_type, target_id, payload, prev, stored in rows:
        yield (
            sequence,
            _sqlite_timestamp_text(occurred) if sqlite else occurred,
            actor_id,
            actor,
            org_id,
            org,
            action,
            target_type,
            target_id,
            "{}" if payload == "{}" else payload_text(decode(payload)[0]),
            prev,
            stored,
        )


@dataclass(frozen=True)
class BrokenLink:
    sequence: int
    event_id: int
    reason: str
    message: str


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    events: int
    head: str | None
    first_broken: BrokenLink | None = None

    def as_dict(self) -> dict:
        """``{"ok", "events", "head"}`` plus ``"first_broken"`` when the chain is broken."""
        data = {"ok": self.ok, "events": self.events, "head": self.head}
        if self.first_broken is not None:
            data["first_broken"] = asdict(self.first_broken)
        return data


def verify_chain(
    *,
    chunk_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    after: tuple[int, str] | None = None,
    workers: int = 1,
) -> ChainVerification:
    """Recompute the whole chain and report the first broken link.

    For each event, in sequence order: its ``sequence`` must follow the previous one by exactly 1
    (the first is 1), so a removed row shows up as a ``sequence_gap``; its ``prev_hash`` must equal
    the stored hash of the event before it (the genesis hash for the first), so a reordered or
    re-hashed row breaks the link (``prev_hash_mismatch``); and its stored ``hash`` must equal the
    hash recomputed from its fields (``hash_mismatch``), so any altered field is caught.

    After the first broken link the rest is only counted: ``events`` is always the number of
    stored events and ``head`` the stored hash of the last one (``None`` for an empty chain).
    ``progress`` is called with the running count after every ``chunk_size`` events.

    ``after=(sequence, hash)`` verifies only the events after ``sequence``, linked from ``hash``
    (a checkpoint, see ``audit.checkpoints``); ``events`` then counts those events only and
    ``head`` is ``hash`` when there are none.

    ``workers`` > 1 splits the events into that many contiguous sequence ranges verified by
    separate processes (PostgreSQL only, outside a transaction; otherwise one process). Each
    range starts from the stored hash of the event just before it, exactly as the single pass
    links every event to the stored hash before it, so the first broken link is the same.
    """
    after_sequence, previous_hash = after if after is not None else (0, chain.GENESIS_HASH)
    if workers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
        ranges = _split_ranges(after_sequence, previous_hash, workers)
        if len(ranges) > 1:
            return _verify_in_processes(ranges, chunk_size=chunk_size, progress=progress, after=after)
    count, head, first_broken = _verify_range(
        after_sequence=after_sequence, expected_sequence=after_sequence + 1, previous_hash=previous_hash,
        until_sequence=None, chunk_size=chunk_size, progress=progress,
    )
    if head is None and after is not None:
        head = previous_hash
    return ChainVerification(ok=first_broken is None, events=count, head=head, first_broken=first_broken)


def _verify_range(
    *,
    after_sequence: int,
    expected_sequence: int,
    previous_hash: str,
    until_sequence: int | None,
    chunk_size: int,
    progress: Callable[[int], None] | None,
) -> tuple[int, str | None, BrokenLink | None]:
    """Verify the events with ``after_sequence < sequence <= until_sequence``: (count, head, first broken)."""
    hash_of_texts = chain.hash_of_texts
    count = 0
    first_broken: BrokenLink | None = None
    head: str | None = None
    for row in _rows(chunk_size, after_sequence, until_sequence):
        count += 1
        stored_hash = row[_HASH]
        if first_broken is None:
            sequence = row[_SEQUENCE]
            prev_hash = row[_PREV_HASH]
            if sequence != expected_sequence:
                first_broken = _broken(row, SEQUENCE_GAP, expected=expected_sequence)
            elif prev_hash != previous_hash:
                first_broken = _broken(row, PREV_HASH_MISMATCH, expected=previous_hash)
            elif hash_of_texts(*row[:_HASH]) != stored_hash:
                first_broken = _broken(row, HASH_MISMATCH, expected=None)
            expected_sequence = sequence + 1
            previous_hash = stored_hash
        head = stored_hash
        if progress is not None and count % chunk_size == 0:
            progress(count)
    if progress is not None and count % chunk_size:
        progress(count)
    return count, head, first_broken


def _split_ranges(after_sequence: int, previous_hash: str, workers: int) -> list[dict]:
    """Contiguous ranges of about equal size, each with the stored (sequence, hash) just before it."""
    last = AuditEvent.objects.filter(sequence__gt=after_sequence).order_by("-sequence").values_list(
        "sequence", flat=True).first()
    if last is None or last - after_sequence < workers * MIN_EVENTS_PER_WORKER:
        return []
    size = -(-(last - after_sequence) // workers)
    ranges = []
    start_after, start_previous, start_expected = after_sequence, previous_hash, after_sequence + 1
    for index in range(workers):
        until = last if index == workers - 1 else after_sequence + size * (index + 1)
        ranges.append({"after_sequence": start_after, "expected_sequence": start_expected,
                       "previous_hash": start_previous, "until_sequence": until})
        if index < workers - 1:
            # The next range links from the stored event with the greatest sequence up to ``until``,
            # as the single pass would (a missing event at the boundary is still a sequence gap).
            boundary = AuditEvent.objects.filter(sequence__lte=until).order_by("-sequence").values_list(
                "sequence", "hash").first()
            start_after = until
            start_expected = (boundary[0] if boundary else 0) + 1
            start_previous = boundary[1] if boundary else chain.GENESIS_HASH
    return ranges


# Connection wrappers a forked worker inherited: kept referenced so that they are never closed or
# garbage-collected in the child (that would end the parent's sessions on the shared sockets).
_INHERITED_CONNECTIONS: list = []


def _fresh_connections_in_child() -> None:
    """Pool initializer: give the forked worker its own, empty connection storage.

    The parent's wrappers may still hold open sockets (for example in another thread or context);
    the child must neither use nor close them, only open new connections of its own.
    """
    from asgiref.local import Local
    from django.db import connections

    _INHERITED_CONNECTIONS.append(connections._connections)
    connections._connections = Local(connections.thread_critical)


def _verify_range_job(job: dict):
    from django.db import connections

    try:
        return _verify_range(chunk_size=job.pop("chunk_size"), progress=None, **job)
    finally:
        connections.close_all()  # the child's own connections only


def _verify_in_processes(ranges: list[dict], *, chunk_size: int, progress, after) -> ChainVerification:
    import multiprocessing

    from django.db import connections

    connections.close_all()  # children must open their own connections, never share the parent's
    with multiprocessing.get_context("fork").Pool(len(ranges), initializer=_fresh_connections_in_child) as pool:
        results = pool.map(_verify_range_job, [{**job, "chunk_size": chunk_size} for job in ranges])
    count = sum(result[0] for result in results)
    heads = [result[1] for result in results if result[1] is not None]
    head = heads[-1] if heads else (after[1] if after is not None else None)
    first_broken = next((result[2] for result in results if result[2] is not None), None)
    if progress is not None:
        progress(count)
    return ChainVerification(ok=first_broken is None, events=count, head=head, first_broken=first_broken)


def _broken(row: tuple, reason: str, *, expected) -> BrokenLink:
    sequence = row[_SEQUENCE]
    event_id = AuditEvent.objects.filter(sequence=sequence).values_list("pk", flat=True).first()
    if reason == SEQUENCE_GAP:
        message = _("Event #%(sequence)s follows #%(previous)s: events are missing or out of order.") % {
            "sequence": sequence,
            "previous": expected - 1,
        }
    elif reason == PREV_HASH_MISMATCH:
        message = _(
            "Event #%(sequence)s does not point at the event before it (previous hash %(found)s, expected %(expected)s)."
        ) % {"sequence": sequence, "found": row[_PREV_HASH], "expected": expected}
    else:
        message = _("Event #%(sequence)s was altered: its stored hash does not match its contents.") % {
            "sequence": sequence
        }
    return BrokenLink(sequence=sequence, event_id=event_id, reason=reason, message=message)
