"""On PostgreSQL, a trigger makes audit rows immutable at the database level.

UPDATE and DELETE are refused row by row, TRUNCATE per statement, whoever asks, with a clear
message. A superuser can still ``ALTER TABLE audit_auditevent DISABLE TRIGGER ...``; the tests do
exactly that to tamper on purpose and prove that ``audit_verify`` notices.

The one escape hatch is TRUNCATE when the setting ``audit.allow_truncate`` is ``on``. It exists
for test databases only, where Django empties every table between transactional tests
(``tests/conftest.py`` sets it on the throw-away test database). Never set it in production.
On other databases (SQLite) this migration does nothing: the model guards are the protection.
"""

from django.db import migrations

CREATE_SQL = """
CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('audit.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation',
              HINT = 'Audit events can never be changed or removed; append a new event instead.';
END;
$$;

DROP TRIGGER IF EXISTS audit_auditevent_immutable ON audit_auditevent;
CREATE TRIGGER audit_auditevent_immutable
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();

DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_auditevent_immutable ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_refuse_change();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_SQL, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger, elidable=False),
    ]
