"""Who may read the audit trail, decided without importing any other app.

The rule lives with the parties (``agreements``): by default oversight users read everything.
It reaches audit as a DRF permission class named by the setting ``AUDIT_READER_PERMISSION``
and imported lazily, so ``audit`` keeps no import of another project app.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_READER_PERMISSION = "config.api.permissions.IsOversight"


def reader_permission_class():
    return import_string(getattr(settings, "AUDIT_READER_PERMISSION", DEFAULT_READER_PERMISSION))


def can_read_audit(user) -> bool:
    """True when ``user`` passes the configured reader permission (it only looks at the user)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(reader_permission_class()().has_permission(SimpleNamespace(user=user), None))
