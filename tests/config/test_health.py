"""/healthz (process up, touches nothing) and /readyz (database, migrations, cache, broker)."""

import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once
BROKEN_CACHE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": UNREACHABLE_REDIS}}


def _refuse_every_query(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")


def test_healthz_answers_ok_without_the_database_or_the_cache(django_assert_num_queries):
    with override_settings(CACHES=BROKEN_CACHE), connection.execute_wrapper(_refuse_every_query):
        with django_assert_num_queries(0):
            response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_readyz_is_ready_when_every_part_answers():
    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "cache": "ok", "broker": "not used"},
    }
    assert "no-store" in response["Cache-Control"]


def test_readyz_is_public_and_answers_head_but_refuses_post():
    client = Client()  # signed out

    assert client.head("/readyz").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.post("/readyz").status_code == 405
    assert client.post("/healthz").status_code == 405


def test_readyz_is_not_ready_when_the_database_does_not_answer():
    with connection.execute_wrapper(_refuse_every_query):
        response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "not_ready",
        "checks": {
            "database": "unreachable: the database did not answer",
            "migrations": "not checked: the database is unreachable",
            "cache": "ok",
            "broker": "not used",
        },
    }


def test_readyz_is_not_ready_while_a_migration_is_unapplied():
    latest = MigrationRecorder.Migration.objects.filter(app="marketplace").order_by("-id").first()
    latest.delete()  # as if the new code's migration had not been run yet

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "not_ready"
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": "not applied: 1 migration(s) waiting for 'manage.py migrate'",
        "cache": "ok",
        "broker": "not used",
    }


FALLING_BACK_CACHE = {"default": {"BACKEND": "config.cache.FallbackRedisCache", "LOCATION": UNREACHABLE_REDIS}}


@pytest.mark.parametrize(("caches", "reason"), [
    (BROKEN_CACHE, "unreachable: the cache did not answer"),
    # The production backend keeps sign-ins working from memory, and readiness still says Redis is down.
    (FALLING_BACK_CACHE, "unreachable: limits are counted in this process's memory until it answers"),
])
def test_readyz_is_not_ready_when_the_cache_does_not_answer(caches, reason):
    with override_settings(CACHES=caches):
        response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "cache": reason, "broker": "not used"}


def test_readyz_is_not_ready_when_the_broker_refuses_connections():
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=UNREACHABLE_REDIS):
        response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "not_ready",
        "checks": {
            "database": "ok", "migrations": "ok", "cache": "ok",
            "broker": "unreachable: the task broker did not accept a connection",
        },
    }


@pytest.mark.broker
def test_readyz_checks_a_real_broker_when_one_is_configured(settings):
    if settings.CELERY_BROKER_URL.startswith("memory://"):
        pytest.skip("needs a real Celery broker: set CELERY_BROKER_URL; CI does")
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["marketplace.example.org"])
def test_readyz_sent_as_the_compose_health_check_is_not_redirected():
    client = Client()
    as_the_proxy = {"HTTP_HOST": "marketplace.example.org", "HTTP_X_FORWARDED_PROTO": "https"}

    assert client.get("/readyz", **as_the_proxy).status_code == 200
    assert client.get("/readyz", HTTP_HOST="marketplace.example.org").status_code == 301
