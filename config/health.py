"""Health endpoints for the load balancer and the compose health checks (docs/operations.md, "Checks").

- ``GET /healthz``: the process is up. Touches nothing (no database, no cache): 200 ``{"status": "ok"}``.
- ``GET /readyz``: the process can serve: the database answers a trivial query, no migration is left
  unapplied, the cache stores and returns a key, the Celery broker accepts a connection (unless tasks run
  eagerly in-process, "not used"). 200 ``{"status": "ready", "checks": {...}}`` or 503
  ``{"status": "not_ready", "checks": {...}}`` with each failing check's reason in plain words; the
  details of a failure go to the log, not to this public answer.

Both are public, GET or HEAD only, and never cached.
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

logger = logging.getLogger(__name__)

OK = "ok"
NOT_USED = "not used"
BROKER_TIMEOUT_SECONDS = 2


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


def check_database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means "not ready"; the reason goes to the log
        logger.warning("Readiness: database unreachable: %s", error)
        return "unreachable: the database did not answer"
    return OK


def check_migrations() -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:
        logger.warning("Readiness: migrations could not be read: %s", error)
        return "unknown: the applied migrations could not be read"
    if plan:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _backwards in plan)
        logger.warning("Readiness: unapplied migrations: %s", names)
        return f"not applied: {len(plan)} migration(s) waiting for 'manage.py migrate'"
    return OK


def check_cache() -> str:
    key, token = "readyz-probe", secrets.token_hex(8)
    try:
        cache.set(key, token, timeout=30)
        answered = cache.get(key)
    except Exception as error:
        logger.warning("Readiness: cache unreachable: %s", error)
        return "unreachable: the cache did not answer"
    if getattr(cache, "is_falling_back", False):  # config.cache.FallbackRedisCache stood in for Redis
        return "unreachable: limits are counted in this process's memory until it answers"
    return OK if answered == token else "not working: the cache did not return what was stored"


def check_broker() -> str:
    url = str(settings.CELERY_BROKER_URL)
    if settings.CELERY_TASK_ALWAYS_EAGER or url.startswith("memory://"):
        return NOT_USED  # tasks run in-process (the embedded default)
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                     timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as error:
        logger.warning("Readiness: broker unreachable: %s", error)
        return "unreachable: the task broker did not accept a connection"
    return OK


@never_cache
@require_safe
def readyz(request):
    database = check_database()
    checks = {
        "database": database,
        "migrations": check_migrations() if database == OK else "not checked: the database is unreachable",
        "cache": check_cache(),
        "broker": check_broker(),
    }
    ready = all(result in (OK, NOT_USED) for result in checks.values())
    return JsonResponse({"status": "ready" if ready else "not_ready", "checks": checks}, status=200 if ready else 503)
