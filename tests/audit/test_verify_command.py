from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from audit.verify import verify_chain
from tests.audit.helpers import record_events, tamper

pytestmark = pytest.mark.django_db


def run_verify() -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("audit_verify", stdout=out, stderr=StringIO())
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def event_id(sequence: int) -> int:
    return AuditEvent.objects.values_list("pk", flat=True).get(sequence=sequence)


def test_intact_chain_prints_count_and_head_and_succeeds():
    events = record_events(5)
    out, error = run_verify()
    assert error is None
    assert f"events: 5\nhead: {events[-1].hash}\n" in out
    assert "chain OK" in out


def test_altered_payload_is_reported_as_hash_mismatch_at_that_event():
    events = record_events(5)
    tamper("""UPDATE audit_auditevent SET payload = '{"n": 99}' WHERE sequence = 3""")

    out, error = run_verify()

    assert f"events: 5\nhead: {events[-1].hash}\n" in out
    assert error is not None and error.returncode == 1
    assert str(error).startswith(f"chain BROKEN at event #3 (id {event_id(3)}): hash_mismatch: ")
    assert verify_chain().as_dict()["first_broken"] == {
        "sequence": 3,
        "event_id": event_id(3),
        "reason": "hash_mismatch",
        "message": "Event #3 was altered: its stored hash does not match its contents.",
    }


def test_deleted_event_is_reported_as_a_sequence_gap_at_the_next_one():
    events = record_events(5)
    tamper("DELETE FROM audit_auditevent WHERE sequence = 3")

    out, error = run_verify()

    assert f"events: 4\nhead: {events[-1].hash}\n" in out
    assert str(error).startswith(f"chain BROKEN at event #4 (id {event_id(4)}): sequence_gap: ")
    assert verify_chain().first_broken.message == "Event #4 follows #2: events are missing or out of order."


def test_deleted_first_event_is_reported_as_a_gap():
    record_events(3)
    tamper("DELETE FROM audit_auditevent WHERE sequence = 1")
    _out, error = run_verify()
    assert str(error).startswith(f"chain BROKEN at event #2 (id {event_id(2)}): sequence_gap: ")


def test_swapped_events_are_reported_at_the_first_moved_position():
    events = record_events(5)
    tamper("UPDATE audit_auditevent SET sequence = 1000 WHERE sequence = 2")
    tamper("UPDATE audit_auditevent SET sequence = 2 WHERE sequence = 3")
    tamper("UPDATE audit_auditevent SET sequence = 3 WHERE sequence = 1000")

    out, error = run_verify()

    assert f"events: 5\nhead: {events[-1].hash}\n" in out
    assert str(error).startswith(f"chain BROKEN at event #2 (id {events[2].pk}): prev_hash_mismatch: ")
    assert verify_chain().first_broken.event_id == events[2].pk


def test_altered_hash_is_reported_as_hash_mismatch():
    record_events(5)
    tamper("UPDATE audit_auditevent SET hash = %s WHERE sequence = 4", ["a" * 64])
    _out, error = run_verify()
    assert str(error).startswith(f"chain BROKEN at event #4 (id {event_id(4)}): hash_mismatch: ")


def test_altered_and_consistently_rehashed_event_breaks_the_next_link():
    events = record_events(5)
    forged = AuditEvent.objects.get(sequence=3)
    forged.payload = {"n": 99}
    from audit import chain

    forged_hash = chain.hash_of_event(forged)
    tamper(
        """UPDATE audit_auditevent SET payload = '{"n": 99}', hash = %s WHERE sequence = 3""",
        [forged_hash],
    )

    _out, error = run_verify()

    assert str(error).startswith(f"chain BROKEN at event #4 (id {events[3].pk}): prev_hash_mismatch: ")
    assert verify_chain().first_broken.message == (
        f"Event #4 does not point at the event before it (previous hash {events[2].hash}, expected {forged_hash})."
    )


def test_altered_actor_snapshot_is_reported():
    record_events(3)
    tamper("UPDATE audit_auditevent SET actor_name = 'somebody-else' WHERE sequence = 1")
    _out, error = run_verify()
    assert str(error).startswith(f"chain BROKEN at event #1 (id {event_id(1)}): hash_mismatch: ")
