import threading

import pytest
from django.db import connection

from audit import chain
from audit.models import AuditEvent
from audit.services import audit_record
from audit.verify import verify_chain
from tests.conftest import requires_postgres

THREADS = 8
APPENDS_PER_THREAD = 25


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_the_chain_linear():
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def append_many(thread_number: int) -> None:
        try:
            start.wait()
            for number in range(APPENDS_PER_THREAD):
                audit_record(action="test.concurrent", target_type="tests.thread", target_id=f"{thread_number}-{number}")
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=append_many, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    rows = list(AuditEvent.objects.order_by("sequence").values_list("sequence", "prev_hash", "hash", "target_id"))
    times = list(AuditEvent.objects.order_by("sequence").values_list("occurred_at", flat=True))
    assert times == sorted(times)  # the time is read after the chain lock: it never goes backwards
    total = THREADS * APPENDS_PER_THREAD
    assert [row[0] for row in rows] == list(range(1, total + 1))
    assert rows[0][1] == chain.GENESIS_HASH
    assert all(rows[index][1] == rows[index - 1][2] for index in range(1, total))
    assert sorted(row[3] for row in rows) == sorted(
        f"{thread}-{number}" for thread in range(THREADS) for number in range(APPENDS_PER_THREAD)
    )
    assert verify_chain().as_dict() == {"ok": True, "events": total, "head": rows[-1][2]}


@requires_postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"quote": 'say "hi"', "backslash": "a\\b", "newline": "one\ntwo", "tab": "\t", "control": "\u0001"},
        {"ñandú": "Perú Compras — año", "emoji": "\U0001F4B8", "cjk": "政府采购", "rtl": "مناقصة"},
        {"nested": {"b": [1, 2.5, None, True, False], "a": {"z": "", "y": -1}}, "big": 12345678901234567890},
        {"amount": "12.50", "keys": {"10": 1, "9": 2, "a b": 3}},
        # Floats as jsonb keeps them: 1e16 reads back as an int, -0.0 as 0, 1e-05 as the same float.
        {"big": 1e16, "negative_zero": -0.0, "small": 1e-05, "weight": 0.3, "whole": 2.0, "huge": 1.5e300},
    ],
)
def test_the_hash_written_by_postgresql_is_the_python_canonical_hash(payload):
    from tests.factories import OrganizationFactory, UserFactory

    actor = UserFactory(username="josé.o'brien")
    organization = OrganizationFactory(name='Municipalidad "Lima" — Área de TI')

    event = audit_record(action="test.unicode", actor=actor, organization=organization, target_type="tests.thing",
                         target_id="ñ/1", payload=payload)

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.hash == event.hash == chain.hash_of_event(stored)
    assert (stored.sequence, stored.prev_hash, stored.occurred_at) == (event.sequence, event.prev_hash, event.occurred_at)
    assert stored.payload == event.payload
