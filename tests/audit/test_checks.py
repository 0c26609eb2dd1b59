import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from audit.access import reader_permission_class
from audit.checks import psycopg_errors, reader_permission_errors, sqlite_mode_warnings


def test_sqlite_without_immediate_transactions_is_warned():
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"}
    assert [warning.id for warning in sqlite_mode_warnings(database)] == ["audit.W001"]


def test_sqlite_with_immediate_transactions_and_postgresql_pass():
    immediate = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x", "OPTIONS": {"transaction_mode": "IMMEDIATE"}}
    assert sqlite_mode_warnings(immediate) == []
    assert sqlite_mode_warnings({"ENGINE": "django.db.backends.postgresql", "NAME": "x"}) == []


def test_postgresql_with_psycopg3_is_an_error_and_psycopg2_or_sqlite_pass():
    postgresql = {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}
    assert [error.id for error in psycopg_errors(postgresql, psycopg3=True)] == ["audit.E001"]
    assert psycopg_errors(postgresql, psycopg3=False) == []
    assert psycopg_errors({"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}, psycopg3=True) == []
    assert psycopg_errors(postgresql) == []  # this project's environment: psycopg2


def test_the_project_names_the_audit_reader_permission_in_settings():
    assert django_settings.AUDIT_READER_PERMISSION == "agreements.api.permissions.IsOversight"
    assert reader_permission_errors(django_settings.AUDIT_READER_PERMISSION) == []


@pytest.mark.parametrize("path", [None, "", "   "])
def test_a_missing_audit_reader_permission_is_a_system_check_error(path):
    errors = reader_permission_errors(path)

    assert [(error.id, error.msg) for error in errors] == [
        ("audit.E002", "AUDIT_READER_PERMISSION is not set: the audit trail does not know who may read it."),
    ]


@pytest.mark.parametrize("path", ["config.api.permissions.NoSuchPermission", "no_such_package.Permission",
                                  "config.api.permissions.SAFE_METHODS"])
def test_an_audit_reader_permission_that_is_not_a_permission_class_is_an_error(path):
    assert [error.id for error in reader_permission_errors(path)] == ["audit.E003"]


def test_the_system_check_refuses_to_start_without_the_reader_permission(settings):
    del settings.AUDIT_READER_PERMISSION

    with pytest.raises(SystemCheckError, match=r"audit\.E002"):
        call_command("check", stdout=StringIO(), stderr=StringIO())


def test_without_the_setting_the_audit_api_refuses_rather_than_guessing(settings):
    settings.AUDIT_READER_PERMISSION = ""
    with pytest.raises(ImproperlyConfigured, match="Set AUDIT_READER_PERMISSION"):
        reader_permission_class()


def test_audit_names_no_other_app():
    """The audit package imports only Django, DRF, Celery, the standard library and ``common``; the
    reader permission is named only in settings."""
    audit_dir = Path(__file__).resolve().parents[2] / "audit"
    other_apps = ("agreements", "catalog", "marketplace", "config")
    offenders = []
    for path in audit_dir.rglob("*.py"):
        text = path.read_text()
        for app in other_apps:
            if re.search(rf"^\s*(from|import)\s+{app}\b", text, re.MULTILINE) or f'"{app}.' in text:
                offenders.append((path.relative_to(audit_dir).as_posix(), app))
    assert offenders == []
