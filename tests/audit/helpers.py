"""Tampering helpers: change audit rows behind the application's back, as an attacker would."""

from django.db import connection

from audit.services import audit_record


def record_events(count: int, **kwargs) -> list:
    return [
        audit_record(action="test.event", target_type="tests.item", target_id=number, payload={"n": number}, **kwargs)
        for number in range(1, count + 1)
    ]


def tamper(sql: str, params: list | None = None) -> None:
    """Run raw SQL on the audit table; on PostgreSQL first disable the immutability trigger the way a
    superuser would, and re-enable it afterwards."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks from this test's inserts must run before ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_immutable")
        cursor.execute(sql, params or [])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_immutable")


def stored_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sequence, action, target_id, prev_hash, hash FROM audit_auditevent ORDER BY sequence"
        )
        return cursor.fetchall()
