from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from audit.access import READER_PERMISSION_SETTING


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


@checks.register()
def reader_permission_is_set(app_configs, **kwargs):
    """Audit names no other app: the project says who may read the trail (``audit.access``)."""
    return reader_permission_errors(getattr(settings, READER_PERMISSION_SETTING, None))


def reader_permission_errors(path: object) -> list[checks.CheckMessage]:
    if not isinstance(path, str) or not path.strip():
        return [
            checks.Error(
                f"{READER_PERMISSION_SETTING} is not set: the audit trail does not know who may read it.",
                hint=f"Set {READER_PERMISSION_SETTING} in the settings to the dotted path of a DRF permission "
                "class, e.g. 'agreements.api.permissions.IsOversight'.",
                id="audit.E002",
            )
        ]
    try:
        permission = import_string(path)
    except ImportError as error:
        return [
            checks.Error(
                f"{READER_PERMISSION_SETTING} = {path!r} cannot be imported: {error}",
                hint="Name an existing DRF permission class by its dotted path.",
                id="audit.E003",
            )
        ]
    if not (isinstance(permission, type) and callable(getattr(permission, "has_permission", None))):
        return [
            checks.Error(
                f"{READER_PERMISSION_SETTING} = {path!r} is not a permission class (it has no has_permission).",
                hint="Name a subclass of rest_framework.permissions.BasePermission.",
                id="audit.E003",
            )
        ]
    return []
