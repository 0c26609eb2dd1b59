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
    total = THREADS * APPENDS_PER_THREAD
    assert [row[0] for row in rows] == list(range(1, total + 1))
    assert rows[0][1] == chain.GENESIS_HASH
    assert all(rows[index][1] == rows[index - 1][2] for index in range(1, total))
    assert sorted(row[3] for row in rows) == sorted(
        f"{thread}-{number}" for thread in range(THREADS) for number in range(APPENDS_PER_THREAD)
    )
    assert verify_chain().as_dict() == {"ok": True, "events": total, "head": rows[-1][2]}
