import json
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from celery import current_app
from celery.signals import before_task_publish
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit import chain
from audit.checkpoints import (
    checkpoint_fields,
    checkpoint_file_path,
    checkpoint_hash,
    checkpoint_publish,
    checkpoint_record,
    verify_from_checkpoints,
)
from audit.models import AuditCheckpoint, AuditEvent, ImmutableEventError
from audit.tasks import publish_checkpoints, record_checkpoint
from audit.verify import verify_chain
from common.errors import Conflict
from tests.audit.helpers import record_events, tamper
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def checkpoint_dir(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    return settings.AUDIT_CHECKPOINT_DIR


def record_and_publish(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return checkpoint_record(**kwargs)


def file_lines() -> list[dict]:
    return [json.loads(line) for line in checkpoint_file_path().read_text().splitlines()]


def run_verify(*args) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=StringIO())
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def tamper_checkpoints(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditcheckpoint DISABLE TRIGGER audit_auditcheckpoint_immutable")
        cursor.execute(sql, params or [])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditcheckpoint ENABLE TRIGGER audit_auditcheckpoint_immutable")


def rewrite_history_from(sequence: int, *, action: str) -> None:
    """Alter one event and recompute every later hash and link, as a forger with database access
    would: a full verification then passes."""
    events = list(AuditEvent.objects.filter(sequence__gte=sequence - 1).order_by("sequence"))
    previous_hash = events[0].hash if events[0].sequence == sequence - 1 else chain.GENESIS_HASH
    for event in events:
        if event.sequence < sequence:
            continue
        if event.sequence == sequence:
            event.action = action
        event.prev_hash = previous_hash
        event.hash = chain.hash_of_event(event)
        tamper(
            "UPDATE audit_auditevent SET action = %s, prev_hash = %s, hash = %s WHERE sequence = %s",
            [event.action, event.prev_hash, event.hash, event.sequence],
        )
        previous_hash = event.hash


def test_checkpoint_records_the_head_and_is_idempotent(django_capture_on_commit_callbacks):
    events = record_events(5)

    checkpoint, created = record_and_publish(django_capture_on_commit_callbacks, now=NOW)
    again, created_again = record_and_publish(django_capture_on_commit_callbacks)

    assert created is True and created_again is False
    assert again.pk == checkpoint.pk
    assert AuditCheckpoint.objects.count() == 1
    assert (checkpoint.sequence, checkpoint.head_hash, checkpoint.event_count) == (5, events[-1].hash, 5)
    assert checkpoint.prev_hash == chain.GENESIS_HASH
    assert checkpoint.created_at == NOW
    fields = {
        "sequence": 5,
        "head_hash": events[-1].hash,
        "event_count": 5,
        "created_at": "2026-03-01T12:00:00.000000+00:00",
        "prev_hash": chain.GENESIS_HASH,
    }
    assert checkpoint.hash == checkpoint_hash(fields)
    assert file_lines() == [{**fields, "hash": checkpoint.hash}]


def test_checkpoint_of_an_empty_chain_records_nothing(django_capture_on_commit_callbacks):
    assert record_and_publish(django_capture_on_commit_callbacks) == (None, False)
    assert AuditCheckpoint.objects.count() == 0
    assert checkpoint_file_path().read_text() == ""


def test_checkpoints_chain_to_each_other_and_count_events(django_capture_on_commit_callbacks):
    record_events(3)
    first, _ = record_and_publish(django_capture_on_commit_callbacks)
    events = record_events(2)
    second, created = record_and_publish(django_capture_on_commit_callbacks)

    assert created is True
    assert (second.sequence, second.event_count, second.head_hash) == (5, 5, events[-1].hash)
    assert second.prev_hash == first.hash
    assert [line["sequence"] for line in file_lines()] == [3, 5]
    assert file_lines()[1]["prev_hash"] == file_lines()[0]["hash"]


def test_beat_task_records_and_publishes_once(django_capture_on_commit_callbacks):
    record_events(4)
    with django_capture_on_commit_callbacks(execute=True):
        assert record_checkpoint.delay().get() == 4
    with django_capture_on_commit_callbacks(execute=True):
        assert record_checkpoint.delay().get() == 4
    assert AuditCheckpoint.objects.count() == 1
    assert [line["sequence"] for line in file_lines()] == [4]


def test_publish_catches_up_a_file_that_missed_a_write():
    record_events(2)
    checkpoint_record()  # on_commit never runs inside the test transaction: the file missed it
    record_events(1)
    checkpoint_record()

    assert checkpoint_publish() == 2
    assert checkpoint_publish() == 0
    assert [line["sequence"] for line in file_lines()] == [2, 3]


def test_publish_refuses_when_the_file_disagrees_with_the_table(django_capture_on_commit_callbacks):
    record_events(2)
    record_and_publish(django_capture_on_commit_callbacks)
    path = checkpoint_file_path()
    forged = {**file_lines()[0], "hash": "f" * 64}
    path.write_text(json.dumps(forged) + "\n")
    record_events(1)
    checkpoint_record()

    with pytest.raises(Conflict) as raised:
        checkpoint_publish()

    assert raised.value.code == "checkpoint_table_mismatch"
    assert path.read_text() == json.dumps(forged) + "\n"


def test_checkpoint_is_refused_when_the_chain_is_broken():
    record_events(2)
    checkpoint_record()
    record_events(2)
    tamper("UPDATE audit_auditevent SET action = 'forged' WHERE sequence = 4")

    with pytest.raises(Conflict) as raised:
        checkpoint_record()

    assert raised.value.code == "hash_mismatch"
    assert list(AuditCheckpoint.objects.values_list("sequence", flat=True)) == [2]


def test_checkpoint_command_prints_the_checkpoint(django_capture_on_commit_callbacks):
    events = record_events(3)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("audit_checkpoint", stdout=out)
    checkpoint = AuditCheckpoint.objects.get()
    assert out.getvalue() == (
        f"checkpoint #3 recorded\nhead: {events[-1].hash}\nevents: 3\n"
        f"checkpoint hash: {checkpoint.hash}\nfile: {checkpoint_file_path()}\n"
    )


def test_honest_chain_passes_and_only_new_events_are_verified(django_capture_on_commit_callbacks):
    record_events(5)
    checkpoint, _ = record_and_publish(django_capture_on_commit_callbacks)
    events = record_events(3)

    out, error = run_verify("--from-checkpoint", "--checkpoint-file", str(checkpoint_file_path()))

    assert error is None
    assert (
        f"checkpoints: 1 (from {checkpoint_file_path()})\n"
        f"last checkpoint: #5 {checkpoint.head_hash}\n"
        "events verified after the checkpoint: 3\n"
        "events: 8\n"
        f"head: {events[-1].hash}\n"
    ) in out
    assert "chain OK: it extends every checkpoint" in out
    result = verify_from_checkpoints()
    assert (result.ok, result.source, result.checkpoints, result.events_verified, result.events) == (
        True, "database", 1, 3, 8,
    )


def test_without_checkpoints_the_whole_chain_is_verified():
    events = record_events(4)
    out, error = run_verify("--from-checkpoint")
    assert error is None
    assert "checkpoints: 0 (from database)\nlast checkpoint: none (the whole chain was verified)\n" in out
    assert f"events verified after the checkpoint: 4\nevents: 4\nhead: {events[-1].hash}\n" in out


def test_a_chain_rewritten_after_a_checkpoint_passes_full_verify_but_not_the_checkpoint(
    django_capture_on_commit_callbacks,
):
    record_events(5)
    checkpoint, _ = record_and_publish(django_capture_on_commit_callbacks)
    record_events(2)
    original = list(AuditEvent.objects.values_list("sequence", "hash"))

    rewrite_history_from(2, action="test.forged")

    assert verify_chain().ok is True  # the forgery is internally consistent
    assert AuditEvent.objects.get(sequence=2).action == "test.forged"
    _out, error = run_verify("--from-checkpoint", "--checkpoint-file", str(checkpoint_file_path()))
    assert error is not None and error.returncode == 1
    forged_hash = AuditEvent.objects.get(sequence=5).hash
    assert forged_hash != original[4][1]
    assert str(error) == (
        "chain BROKEN at #5: checkpoint_hash_mismatch: Event #5 no longer has the hash of checkpoint #5 "
        f"(stored {forged_hash}, checkpoint {checkpoint.head_hash}): the chain was rewritten."
    )


def test_a_rewritten_checkpoint_table_is_caught_against_the_published_file(django_capture_on_commit_callbacks):
    record_events(5)
    record_and_publish(django_capture_on_commit_callbacks)
    published = checkpoint_file_path().read_text()
    rewrite_history_from(3, action="test.forged")
    # The forger also rewrites the stored checkpoint so that it matches the forged head.
    head = AuditEvent.objects.get(sequence=5).hash
    stored = AuditCheckpoint.objects.get()
    fields = checkpoint_fields(
        sequence=5, head_hash=head, event_count=5, created_at=stored.created_at, prev_hash=stored.prev_hash
    )
    tamper_checkpoints(
        "UPDATE audit_auditcheckpoint SET head_hash = %s, hash = %s WHERE sequence = 5",
        [head, checkpoint_hash(fields)],
    )

    assert verify_from_checkpoints().ok is True  # the table alone was fooled
    _out, error = run_verify("--from-checkpoint", "--checkpoint-file", str(checkpoint_file_path()))

    assert str(error) == (
        "chain BROKEN at #5: checkpoint_table_mismatch: "
        "Stored checkpoint #5 is missing or differs from the published one."
    )
    assert checkpoint_file_path().read_text() == published


def test_deleting_the_newest_events_leaves_the_head_behind_the_checkpoint(django_capture_on_commit_callbacks):
    events = record_events(5)
    record_and_publish(django_capture_on_commit_callbacks)
    tamper("DELETE FROM audit_auditevent WHERE sequence >= 4")

    assert verify_chain().ok is True  # a shorter chain is still a valid chain
    out, error = run_verify("--from-checkpoint", "--checkpoint-file", str(checkpoint_file_path()))

    assert str(error) == (
        "chain BROKEN at #5: head_behind_checkpoint: "
        "The chain ends at event #3, behind checkpoint #5: events were removed."
    )
    assert f"events: 3\nhead: {events[2].hash}\n" in out


def test_an_event_deleted_before_the_checkpoint_is_caught_by_the_count(django_capture_on_commit_callbacks):
    record_events(5)
    record_and_publish(django_capture_on_commit_callbacks)
    tamper("DELETE FROM audit_auditevent WHERE sequence = 2")

    result = verify_from_checkpoints(checkpoint_file=checkpoint_file_path())

    assert result.ok is False
    assert result.problem.reason == "checkpoint_count_mismatch"
    assert result.problem.message == "Checkpoint #5 covered 5 events; 4 are stored up to it."


def test_an_altered_event_after_the_checkpoint_is_reported(django_capture_on_commit_callbacks):
    record_events(3)
    record_and_publish(django_capture_on_commit_callbacks)
    record_events(3)
    tamper("UPDATE audit_auditevent SET action = 'forged' WHERE sequence = 5")

    _out, error = run_verify("--from-checkpoint")

    assert str(error) == (
        "chain BROKEN at #5: hash_mismatch: Event #5 was altered: its stored hash does not match its contents."
    )


def test_the_checkpoint_event_itself_altered_is_reported(django_capture_on_commit_callbacks):
    record_events(3)
    record_and_publish(django_capture_on_commit_callbacks)
    tamper("UPDATE audit_auditevent SET action = 'forged' WHERE sequence = 3")

    result = verify_from_checkpoints(checkpoint_file=checkpoint_file_path())

    assert (result.ok, result.problem.reason, result.problem.sequence) == (False, "checkpoint_event_altered", 3)


def test_an_edited_checkpoint_file_is_reported(django_capture_on_commit_callbacks):
    record_events(3)
    record_and_publish(django_capture_on_commit_callbacks)
    path = checkpoint_file_path()
    line = {**file_lines()[0], "event_count": 2}
    path.write_text(json.dumps(line) + "\n")

    _out, error = run_verify("--from-checkpoint", "--checkpoint-file", str(path))

    assert str(error) == (
        "chain BROKEN at #3: checkpoint_record_invalid: "
        "Checkpoint #3 was altered: its hash does not match its contents."
    )


def test_a_missing_checkpoint_file_is_an_error():
    _out, error = run_verify("--from-checkpoint", "--checkpoint-file", "/nonexistent/checkpoints.jsonl")
    assert error.returncode == 2
    assert str(error) == "checkpoint file not found: /nonexistent/checkpoints.jsonl"


def test_checkpoints_cannot_be_changed_or_deleted_through_the_models():
    record_events(2)
    checkpoint, _ = checkpoint_record()
    checkpoint.event_count = 1
    with pytest.raises(ImmutableEventError):
        checkpoint.save()
    with pytest.raises(ImmutableEventError):
        checkpoint.delete()
    with pytest.raises(ImmutableEventError):
        AuditCheckpoint.objects.all().delete()
    assert AuditCheckpoint.objects.get().event_count == 2


@requires_postgres
def test_the_database_refuses_to_change_a_checkpoint():
    record_events(2)
    checkpoint_record()
    refused = "audit events are append-only: %s on audit_auditcheckpoint"
    with pytest.raises(DatabaseError, match=refused % "UPDATE"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditcheckpoint SET event_count = 1")
    with pytest.raises(DatabaseError, match=refused % "DELETE"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditcheckpoint")
    assert AuditCheckpoint.objects.get().event_count == 2


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_checkpoint_runs_record_the_head_once():
    import threading

    record_events(6)
    start = threading.Barrier(4)
    results, errors = [], []

    def run() -> None:
        try:
            start.wait()
            results.append(checkpoint_record()[1])
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert list(AuditCheckpoint.objects.values_list("sequence", "event_count")) == [(6, 6)]
    assert [line["sequence"] for line in file_lines()] == [6]


@pytest.mark.django_db(transaction=True)
def test_bench_verify_generates_checkpoints_and_times_both_verifications():
    out = StringIO()
    call_command("bench_verify", events=300, after=40, batch=100, stdout=out)

    text = out.getvalue()
    assert "checkpoint: #300 recorded in " in text
    assert "(verifies the events since the previous checkpoint first); scratch copy /" in text
    assert "full verify: 340 events in " in text and "ok=True" in text
    assert "from checkpoint: 1 checkpoint(s) checked, 40 events recomputed after #300 in " in text
    assert "summary (340 events, 40 after the last checkpoint):" in text
    assert AuditEvent.objects.count() == 340
    assert verify_chain().ok is True
    assert verify_from_checkpoints(checkpoint_file=checkpoint_file_path()).events_verified == 40


@pytest.fixture
def tasks_sent_to_the_broker(settings):
    """Tasks are published (to the test's broker) instead of running eagerly; yields what was published."""
    published = []

    def capture(sender=None, routing_key=None, **kwargs):
        published.append((sender, routing_key))

    settings.CELERY_TASK_ALWAYS_EAGER = False  # Celery reads its configuration from Django's settings
    before_task_publish.connect(capture, weak=False)
    yield published
    before_task_publish.disconnect(capture)


def take_messages(queue_name: str) -> list[str]:
    """The task names waiting on ``queue_name``, removing them from the broker."""
    names = []
    with current_app.connection_for_read() as broker, broker.SimpleQueue(queue_name) as queue:
        while True:
            try:
                message = queue.get(timeout=0.5)
            except queue.Empty:
                return names
            names.append(message.headers["task"])
            message.ack()


def test_recording_a_checkpoint_queues_the_publishing_task_on_the_checkpoint_queue(
    django_capture_on_commit_callbacks, tasks_sent_to_the_broker,
):
    record_events(2)
    take_messages("audit-checkpoints")  # nothing left over from another test

    with django_capture_on_commit_callbacks(execute=True):
        checkpoint, created = checkpoint_record()

    assert (checkpoint.sequence, created) == (2, True)
    assert tasks_sent_to_the_broker == [("audit.tasks.publish_checkpoints", "audit-checkpoints")]
    assert take_messages("audit-checkpoints") == ["audit.tasks.publish_checkpoints"]
    assert not checkpoint_file_path().exists()  # the caller's process wrote nothing


def test_the_checkpoint_command_leaves_the_file_to_the_checkpoint_worker(
    django_capture_on_commit_callbacks, tasks_sent_to_the_broker,
):
    record_events(1)
    take_messages("audit-checkpoints")

    with django_capture_on_commit_callbacks(execute=True):
        call_command("audit_checkpoint", stdout=StringIO())

    assert AuditCheckpoint.objects.get().sequence == 1
    assert take_messages("audit-checkpoints") == ["audit.tasks.publish_checkpoints"]
    assert not checkpoint_file_path().exists()


def test_both_checkpoint_tasks_are_routed_to_the_checkpoint_queue_and_nothing_else_is():
    router = current_app.amqp.router
    for name in ("audit.tasks.record_checkpoint", "audit.tasks.publish_checkpoints"):
        assert router.route({}, name)["queue"].name == "audit-checkpoints", name
    assert router.route({}, "marketplace.ping")["queue"].name == "celery"
    assert set(django_settings.CELERY_TASK_ROUTES) == {"audit.tasks.record_checkpoint", "audit.tasks.publish_checkpoints"}
    assert django_settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]["task"] == "audit.tasks.record_checkpoint"


def test_the_publishing_task_writes_the_file_and_is_safe_to_run_twice():
    record_events(3)
    checkpoint_record()  # inside the test transaction: the queued publish never ran

    assert publish_checkpoints.delay().get() == 1
    assert publish_checkpoints.delay().get() == 0
    assert [line["sequence"] for line in file_lines()] == [3]


def test_nothing_but_the_publishing_task_writes_the_checkpoint_file():
    """One writer: ``checkpoint_publish`` is called only by the task (and the benchmark's scratch copy)."""
    root = Path(__file__).resolve().parents[2]
    callers = sorted(
        path.relative_to(root).as_posix()
        for folder in ("audit", "agreements", "catalog", "common", "config", "marketplace")
        for path in (root / folder).rglob("*.py")
        if "checkpoint_publish(" in path.read_text()
    )
    assert callers == ["audit/checkpoints/recording.py", "audit/management/commands/bench_verify.py",
                       "audit/tasks.py"]
    assert "checkpoint_publish(path=copy)" in (root / "audit/management/commands/bench_verify.py").read_text()
    assert "on_commit(checkpoint_publish" not in (root / "audit/checkpoints/recording.py").read_text()
