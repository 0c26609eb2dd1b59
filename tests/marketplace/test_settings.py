"""The production settings guard, checked in fresh processes with a clean environment."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "HOST": db.get("HOST", ""),
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "CSRF_TRUSTED_ORIGINS": settings.CSRF_TRUSTED_ORIGINS,
    "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
    "CELERY_TASK_ALWAYS_EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
}))
"""


def _run(args, **env_vars):
    """Run python with only PATH/HOME and the given variables: nothing leaks in from the test run."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "DJANGO_SETTINGS_MODULE": "config.settings", **env_vars}
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _settings(**env_vars):
    result = _run(["-c", PRINT_SETTINGS], **env_vars)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _production_env(tmp_path):
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "marketplace.example.org",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://marketplace.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}",
    }


def test_debug_off_without_a_secret_key_fails_with_a_clear_message():
    result = _run(["manage.py", "check"], DJANGO_DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_debug_off_with_an_empty_secret_key_also_fails():
    result = _run(["manage.py", "check"], DJANGO_DEBUG="0", DJANGO_SECRET_KEY="")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_deploy_security_checks_pass_with_the_documented_production_variables(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy", "--tag", "security", "--fail-level", "WARNING"], **_production_env(tmp_path)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_full_deploy_check_passes_with_the_documented_production_variables(tmp_path):
    # All deploy checks at the default level (errors fail). Warnings from other apps' checks, such as
    # drf-spectacular's schema hints, are printed but are not settings problems; security ones must be absent.
    result = _run(["manage.py", "check", "--deploy"], **_production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "(security." not in result.stdout + result.stderr


def test_deploy_check_warns_about_a_weak_secret_key(tmp_path):
    env = _production_env(tmp_path) | {"DJANGO_SECRET_KEY": "short"}

    result = _run(["manage.py", "check", "--deploy", "--tag", "security", "--fail-level", "WARNING"], **env)

    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


def test_production_settings_are_strict(tmp_path):
    values = _settings(**_production_env(tmp_path))

    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["marketplace.example.org"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://marketplace.example.org"]
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000


def test_embedded_default_is_sqlite_with_eager_tasks():
    values = _settings()

    assert values["DEBUG"] is True
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"] == str(BASE_DIR / "var" / "marketplace.sqlite3")
    # In-process transport: nothing is sent anywhere (kombu's own default would be AMQP on localhost).
    assert values["CELERY_BROKER_URL"] == "memory://localhost/"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True


def test_database_url_selects_postgresql():
    values = _settings(DATABASE_URL="postgres://market:secret@db.internal:5432/marketplace")

    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert values["NAME"] == "marketplace"
    assert values["HOST"] == "db.internal"


def test_broker_url_turns_off_eager_tasks_and_is_the_result_backend():
    values = _settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/4")

    assert values["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/4"
    assert values["CELERY_RESULT_BACKEND"] == "redis://127.0.0.1:6379/4"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False


@pytest.mark.parametrize("value,expected", [("0", False), ("false", False), ("1", True), ("yes", True)])
def test_django_debug_values(value, expected):
    env = {"DJANGO_DEBUG": value, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    assert _settings(**env)["DEBUG"] is expected


def test_tasks_not_eager_without_a_broker_is_a_clear_start_up_error():
    result = _run(["manage.py", "check"], CELERY_TASK_ALWAYS_EAGER="0")

    assert result.returncode != 0
    assert "CELERY_BROKER_URL is not set: tasks would be sent nowhere" in result.stderr


def test_a_worker_refuses_to_start_without_a_broker():
    celery = str(Path(sys.executable).with_name("celery"))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    result = subprocess.run([celery, "-A", "config", "worker", "--pool=solo", "--loglevel=error"],
                            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode != 0
    assert "Set CELERY_BROKER_URL" in result.stdout + result.stderr
