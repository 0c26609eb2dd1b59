"""Verification split across processes reports exactly what the single pass reports."""

import pytest

from audit import verify
from audit.verify import verify_chain
from tests.audit.helpers import record_events, tamper
from tests.conftest import requires_postgres

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres]


@pytest.fixture(autouse=True)
def small_ranges(monkeypatch):
    monkeypatch.setattr(verify, "MIN_EVENTS_PER_WORKER", 5)


def _both():
    single = verify_chain(workers=1)
    split = verify_chain(workers=3)
    return single, split


def test_honest_chain_passes_in_parallel_with_the_same_count_and_head(monkeypatch):
    record_events(40)
    calls = []
    original = verify._verify_in_processes
    monkeypatch.setattr(verify, "_verify_in_processes", lambda *a, **k: calls.append(len(a[0])) or original(*a, **k))

    single, split = _both()

    assert calls == [3]  # the work really was split into three processes
    assert split == single
    assert (split.ok, split.events) == (True, 40)


@pytest.mark.parametrize(
    ("sql", "reason", "sequence"),
    [
        ("UPDATE audit_auditevent SET payload = '{\"n\": 999}' WHERE sequence = 31", "hash_mismatch", 31),
        ("DELETE FROM audit_auditevent WHERE sequence = 28", "sequence_gap", 29),
        ("UPDATE audit_auditevent SET prev_hash = repeat('a', 64) WHERE sequence = 14", "prev_hash_mismatch", 14),
    ],
    ids=["altered-late", "deleted-at-a-range-boundary", "relinked-early"],
)
def test_tampering_is_reported_at_the_same_event_as_the_single_pass(sql, reason, sequence):
    record_events(40)
    tamper(sql)

    single, split = _both()

    assert split == single
    assert split.ok is False
    assert (split.first_broken.reason, split.first_broken.sequence) == (reason, sequence)
