import pytest
from django.db import DatabaseError, connection, transaction

from tests.audit.helpers import record_events, stored_rows
from tests.conftest import requires_postgres

pytestmark = [pytest.mark.django_db, requires_postgres]


def _raw(sql: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


def test_raw_update_is_rejected_by_the_trigger_and_the_row_is_unchanged():
    record_events(2)
    before = stored_rows()
    with pytest.raises(DatabaseError, match="audit events are append-only: UPDATE on audit_auditevent"):
        _raw("UPDATE audit_auditevent SET action = 'test.forged' WHERE sequence = 1")
    assert stored_rows() == before


def test_raw_delete_is_rejected_by_the_trigger_and_the_row_is_still_there():
    record_events(2)
    before = stored_rows()
    with pytest.raises(DatabaseError, match="audit events are append-only: DELETE on audit_auditevent"):
        _raw("DELETE FROM audit_auditevent WHERE sequence = 2")
    assert stored_rows() == before


def test_truncate_is_rejected_unless_the_test_only_escape_hatch_is_on():
    record_events(2)
    before = stored_rows()
    with pytest.raises(DatabaseError, match="audit events are append-only: TRUNCATE on audit_auditevent"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending FK checks first
            cursor.execute("SET LOCAL audit.allow_truncate = 'off'")
            cursor.execute("TRUNCATE audit_auditevent")
    assert stored_rows() == before


def test_both_triggers_are_installed_and_enabled():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
            "AND NOT tgisinternal ORDER BY tgname"
        )
        assert cursor.fetchall() == [("audit_auditevent_immutable", "O"), ("audit_auditevent_no_truncate", "O")]
