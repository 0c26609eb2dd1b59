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
