"""Who may read the audit trail, decided without importing any other app.

The rule lives with the parties: the project names it in the setting ``AUDIT_READER_PERMISSION``
(a dotted path to a DRF permission class, ``agreements.api.permissions.IsOversight`` in
``config/settings.py``), imported when first asked, so ``audit`` keeps no import of another app.
There is no default: a project that installs ``audit`` without naming its readers fails the
system check ``audit.E002`` (``audit/checks.py``) rather than guessing who may read.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

READER_PERMISSION_SETTING = "AUDIT_READER_PERMISSION"


def reader_permission_path() -> str:
    path = getattr(settings, READER_PERMISSION_SETTING, "")
    if not isinstance(path, str) or not path.strip():
        raise ImproperlyConfigured(
            f"Set {READER_PERMISSION_SETTING} to the dotted path of the DRF permission class that decides who "
            "may read the audit trail (e.g. 'agreements.api.permissions.IsOversight')."
        )
    return path


def reader_permission_class():
    return import_string(reader_permission_path())


def can_read_audit(user) -> bool:
    """True when ``user`` passes the configured reader permission (it only looks at the user)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(reader_permission_class()().has_permission(SimpleNamespace(user=user), None))
