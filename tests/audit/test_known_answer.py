"""Known answers for the audit hash: a change to the canonical encoding must fail here, never pass silently.

The literals were computed once from the code and checked by hand: the canonical text is JSON with the
keys of ``audit.chain.event_fields`` sorted, no spaces, strings escaped by the json module (``\\"``,
``\\n``) with non-ASCII characters kept as UTF-8, the time in UTC with microseconds, and the payload in
the same canonical form; the hash is the SHA-256 of that text's UTF-8 bytes, in lowercase hex. If one of
these tests fails, every hash already stored would stop verifying: change the encoding only with a
migration of the chain, never by editing the literals.
"""

import hashlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection

from audit import chain
from audit.models import AuditEvent
from audit.services import audit_record
from tests.conftest import requires_postgres
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EVENT = SimpleNamespace(
    sequence=42,
    occurred_at=datetime(2026, 3, 1, 9, 30, 15, 250, tzinfo=timezone(timedelta(hours=-5))),  # Lima time
    actor_id=7,
    actor_name='ana "la jefa" núñez',
    organization_id_snapshot=3,
    organization_name="Perú Compras",
    action="order.usage_recorded",
    target_type="marketplace.callofforder",
    target_id="15",
    payload={"quantity": "2.500000", "amount": "12.50", "lines": [1, 2.5, None, True], "note": "año\n✓"},
    prev_hash="a" * 64,
)

CANONICAL_TEXT = (
    '{"action":"order.usage_recorded","actor":"ana \\"la jefa\\" núñez","actor_id":7,'
    '"occurred_at":"2026-03-01T14:30:15.000250+00:00","organization":"Perú Compras","organization_id":3,'
    '"payload":{"amount":"12.50","lines":[1,2.5,null,true],"note":"año\\n✓","quantity":"2.500000"},'
    '"prev_hash":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","sequence":42,'
    '"target_id":"15","target_type":"marketplace.callofforder"}'
)
KNOWN_HASH = "5d87e56a26491d9e652e6872d8f31c0d2a2b37cad10055440e53bb52934b9d8d"


def fields_of(event) -> dict:
    return chain.event_fields(
        sequence=event.sequence, occurred_at=event.occurred_at, actor_id=event.actor_id,
        actor_name=event.actor_name, organization_id=event.organization_id_snapshot,
        organization_name=event.organization_name, action=event.action, target_type=event.target_type,
        target_id=event.target_id, payload=event.payload, prev_hash=event.prev_hash,
    )


def test_the_literal_hash_is_the_sha256_of_the_literal_text():
    assert hashlib.sha256(CANONICAL_TEXT.encode("utf-8")).hexdigest() == KNOWN_HASH


def test_the_canonical_text_of_a_fixed_event_is_known():
    assert chain.canonical_bytes(fields_of(EVENT)) == CANONICAL_TEXT.encode("utf-8")


def test_the_hash_of_a_fixed_event_is_known():
    assert chain.hash_of_event(EVENT) == KNOWN_HASH


def test_the_fast_path_gives_the_known_hash():
    """The text-based path that verification and the PostgreSQL writer use."""
    frame = chain.canonical_frame(
        EVENT.actor_id, EVENT.actor_name, EVENT.organization_id_snapshot, EVENT.organization_name,
        EVENT.action, EVENT.target_type, EVENT.target_id, chain.payload_text(EVENT.payload),
    )
    time_text = chain.timestamp_text(EVENT.occurred_at)
    assert time_text == "2026-03-01T14:30:15.000250+00:00"
    assert f"{frame[0]}{time_text}{frame[1]}{EVENT.prev_hash}{frame[2]}{EVENT.sequence}{frame[3]}" == CANONICAL_TEXT
    assert chain.hash_of_texts(
        EVENT.sequence, time_text, EVENT.actor_id, EVENT.actor_name, EVENT.organization_id_snapshot,
        EVENT.organization_name, EVENT.action, EVENT.target_type, EVENT.target_id,
        chain.payload_text(EVENT.payload), EVENT.prev_hash,
    ) == KNOWN_HASH


# The first event of a chain written through ``audit_record``; only the time is the writer's
# (the database's clock on PostgreSQL), so it is filled in where ``<occurred_at>`` stands.
APPENDED_TEXT = (
    '{"action":"order.usage_recorded","actor":"ana \\"la jefa\\" núñez","actor_id":7,'
    '"occurred_at":"<occurred_at>","organization":"Perú Compras","organization_id":3,'
    '"payload":{"amount":"12.50","lines":[1,2.5,null,true],"note":"año\\n✓","quantity":"2.500000"},'
    '"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","sequence":1,'
    '"target_id":"15","target_type":"marketplace.callofforder"}'
)


def append_the_fixed_event() -> AuditEvent:
    actor = UserFactory(pk=7, username='ana "la jefa" núñez')
    return audit_record(
        action="order.usage_recorded",
        actor=actor,
        organization=SimpleNamespace(pk=3, name="Perú Compras"),
        target_type="marketplace.callofforder",
        target_id=15,
        payload={"quantity": Decimal("2.500000"), "amount": Decimal("12.50"), "lines": [1, 2.5, None, True],
                 "note": "año\n✓"},
    )


def assert_stored_as_the_known_text(returned: AuditEvent) -> None:
    stored = AuditEvent.objects.get(pk=returned.pk)
    expected_text = APPENDED_TEXT.replace("<occurred_at>", chain.timestamp_text(stored.occurred_at))
    expected_hash = hashlib.sha256(expected_text.encode("utf-8")).hexdigest()
    assert (stored.sequence, stored.prev_hash) == (1, chain.GENESIS_HASH)
    assert chain.canonical_bytes(fields_of(stored)).decode("utf-8") == expected_text
    assert stored.hash == returned.hash == expected_hash
    assert chain.hash_of_event(stored) == expected_hash


def test_an_appended_event_is_hashed_as_the_known_text():
    assert_stored_as_the_known_text(append_the_fixed_event())


@requires_postgres
@pytest.mark.postgres
def test_the_database_hashes_an_appended_event_as_the_known_text():
    """On PostgreSQL the server fills in the time, previous hash and sequence and hashes with
    ``sha256`` (``audit.services._append_postgresql``): it must give the Python digest."""
    assert connection.vendor == "postgresql"
    assert_stored_as_the_known_text(append_the_fixed_event())
