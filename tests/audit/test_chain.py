from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from audit import chain
from audit.models import AuditEvent
from audit.services import audit_record
from audit.verify import verify_chain
from tests.conftest import requires_postgres
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [
        {
            "sequence": 1,
            "occurred_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
            "actor_id": None,
            "actor_name": "system",
            "organization_id": None,
            "organization_name": "",
            "action": "framework.open",
            "target_type": "agreements.frameworkagreement",
            "target_id": "7",
            "payload": {},
            "prev_hash": chain.GENESIS_HASH,
        },
        {
            "sequence": 123456,
            "occurred_at": datetime(2026, 3, 1, 4, 30, 0, 250, tzinfo=timezone(timedelta(hours=-5))),
            "actor_id": 31,
            "actor_name": 'ana "la jefa" núñez\n',
            "organization_id": 9,
            "organization_name": "Perú Compras \u2028 ✓",
            "action": "order.usage_recorded",
            "target_type": "marketplace.calloffordertest",
            "target_id": "abc/1",
            "payload": {"z": [1, 2.5, None, True, "é"], "a": {"y": "\\", "b": {}}, "amount": "12.50"},
            "prev_hash": "f" * 64,
        },
    ],
)
def test_fast_hash_equals_canonical_json_hash(fields):
    canonical = chain.compute_hash(chain.event_fields(**fields))
    texts = dict(fields, occurred_at=chain.timestamp_text(fields["occurred_at"]), payload=chain.payload_text(fields["payload"]))
    assert chain.hash_of_texts(*texts.values()) == canonical


def test_appends_link_each_event_to_the_previous_one():
    user = UserFactory(username="ana")
    organization = OrganizationFactory(name="Buyer One")

    first = audit_record(action="framework.open", actor=user, organization=organization, target_type="x.y", target_id=5)
    second = audit_record(action="framework.live", payload={"amount": Decimal("10.50"), "when": datetime(2026, 1, 1, tzinfo=UTC)})

    assert (first.sequence, first.prev_hash) == (1, chain.GENESIS_HASH)
    assert (second.sequence, second.prev_hash) == (2, first.hash)
    assert first.actor_name == "ana"
    assert (first.organization_id_snapshot, first.organization_name) == (organization.pk, "Buyer One")
    assert (first.target_type, first.target_id) == ("x.y", "5")
    assert second.actor_name == "system"
    assert second.payload == {"amount": "10.50", "when": "2026-01-01T00:00:00+00:00"}
    stored = AuditEvent.objects.get(sequence=2)
    assert stored.hash == chain.hash_of_event(stored) == second.hash
    result = verify_chain()
    assert result.as_dict() == {"ok": True, "events": 2, "head": second.hash}


def test_verify_empty_chain_is_ok_with_no_head():
    assert verify_chain().as_dict() == {"ok": True, "events": 0, "head": None}


def test_append_inside_a_failed_transaction_leaves_no_event():
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="test.event")
        raise RuntimeError("the change being recorded failed")

    assert AuditEvent.objects.count() == 0
    assert audit_record(action="test.event").sequence == 1


def test_verify_reports_progress_per_chunk():
    for number in range(5):
        audit_record(action="test.event", target_id=number)
    seen = []
    result = verify_chain(chunk_size=2, progress=seen.append)
    assert seen == [2, 4, 5]
    assert result.events == 5


@requires_postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 1, 10, 0, 0, 0, tzinfo=UTC),                   # no microseconds: still six digits
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),          # the last microsecond of a year
        datetime(2026, 6, 1, 0, 30, 0, 5, tzinfo=timezone(timedelta(hours=2))),  # another zone, previous day in UTC
        datetime(999, 1, 2, 3, 4, 5, 60, tzinfo=UTC),                    # a three-digit year
    ],
)
def test_postgresql_writes_the_same_time_text_as_python(moment):
    from django.db import connection

    from audit.verify import UtcIsoText

    with connection.cursor() as cursor:
        cursor.execute("SELECT " + UtcIsoText.template % {"expressions": "%s::timestamptz"}, [moment])
        assert cursor.fetchone()[0] == chain.timestamp_text(moment)
