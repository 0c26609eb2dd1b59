from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.database)
def sqlite_appends_are_serialized(app_configs, **kwargs):
    """Audit appends read the chain head and then insert; on SQLite only BEGIN IMMEDIATE makes that
    safe between concurrent writers (a deferred transaction cannot upgrade its lock and fails)."""
    return sqlite_mode_warnings(settings.DATABASES.get("default", {}))


def sqlite_mode_warnings(database: dict) -> list[checks.CheckMessage]:
    if not database.get("ENGINE", "").endswith("sqlite3"):
        return []
    if database.get("OPTIONS", {}).get("transaction_mode") == "IMMEDIATE":
        return []
    return [
        checks.Warning(
            "SQLite without OPTIONS['transaction_mode'] = 'IMMEDIATE': concurrent audit appends may fail "
            "with 'database is locked'.",
            hint="Set DATABASES['default']['OPTIONS']['transaction_mode'] = 'IMMEDIATE' (the embedded default does).",
            id="audit.W001",
        )
    ]


@checks.register()
def postgresql_driver_is_psycopg2(app_configs, **kwargs):
    """The PostgreSQL append (audit.services) sends two statements in one round trip and reads the
    last one's rows, which is how psycopg2 behaves; psycopg 3 leaves the cursor on the first."""
    return psycopg_errors(settings.DATABASES.get("default", {}))


def psycopg_errors(database: dict, *, psycopg3: bool | None = None) -> list[checks.CheckMessage]:
    if not database.get("ENGINE", "").endswith("postgresql"):
        return []
    if psycopg3 is None:
        from django.db.backends.postgresql.psycopg_any import is_psycopg3 as psycopg3
    if not psycopg3:
        return []
    return [
        checks.Error(
            "Django is using psycopg 3; the audit chain writer needs psycopg2 (as pinned in requirements.txt).",
            hint="Uninstall psycopg (3) or install the pinned psycopg2-binary.",
            id="audit.E001",
        )
    ]
