"""docker-compose.yml and the Dockerfile describe the production topology (Docker itself does not run here)."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[2]
DJANGO_SERVICES = ["web", "worker", "checkpoint-worker", "beat"]
SHARED_VARIABLES = ["DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS"]


@pytest.fixture(scope="module")
def compose():
    with open(BASE_DIR / "docker-compose.yml") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def test_compose_has_the_five_services(services):
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)


def test_postgres_and_redis_images_and_healthchecks(services):
    assert services["postgres"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["image"] == "redis:7"
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_web_runs_gunicorn_and_has_a_healthcheck(services):
    web = services["web"]
    assert web["command"][:2] == ["gunicorn", "config.wsgi:application"]
    test = web["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    script = test[3]
    # Readiness, not a page: 503 (urlopen raises, the check fails) until database, cache and broker answer.
    assert "urllib.request.Request('http://127.0.0.1:8000/readyz', " in script
    # Sent as the TLS proxy would: an allowed host and HTTPS, or SECURE_SSL_REDIRECT answers 301 instead.
    assert "headers={'Host': host, 'X-Forwarded-Proto': 'https'}" in script
    assert "host = os.environ['DJANGO_ALLOWED_HOSTS'].split(',')[0]" in script
    assert web["healthcheck"]["timeout"] == "10s"


def test_worker_and_beat_run_celery(services):
    assert services["worker"]["command"] == ["celery", "-A", "config", "worker", "-Q", "celery", "--loglevel=INFO"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]


def test_one_checkpoint_worker_alone_consumes_the_checkpoint_queue_and_owns_the_volume(compose, services):
    """The audit checkpoint file has one writer (docs/operations.md): the worker of the queue the
    checkpoint tasks are routed to, one process, with the file's folder on a named volume."""
    checkpoint_worker = services["checkpoint-worker"]
    assert checkpoint_worker["command"] == [
        "celery", "-A", "config", "worker", "-Q", "audit-checkpoints", "--concurrency", "1", "--loglevel=INFO",
    ]
    assert checkpoint_worker["volumes"] == ["audit-checkpoints:/app/var/checkpoints"]
    assert checkpoint_worker["environment"]["AUDIT_CHECKPOINT_DIR"] == "/app/var/checkpoints"
    assert "audit-checkpoints" in compose["volumes"]
    assert "deploy" not in checkpoint_worker  # no replicas
    consumers = [name for name, service in services.items() if "audit-checkpoints" in service.get("command", [])]
    assert consumers == ["checkpoint-worker"]
    mounting = [name for name, service in services.items()
                if any(str(volume).startswith("audit-checkpoints:") for volume in service.get("volumes", []))]
    assert mounting == ["checkpoint-worker"]
    for name, service in services.items():
        command = service.get("command", [])
        if "worker" in command:
            assert "-Q" in command, f"{name} must name its queues, or it would consume the checkpoint queue too"
    assert {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} == {"audit-checkpoints"}


@pytest.mark.parametrize("name", DJANGO_SERVICES)
def test_django_services_wait_for_healthy_postgres_and_redis(services, name):
    depends_on = services[name]["depends_on"]
    assert depends_on["postgres"] == {"condition": "service_healthy"}
    assert depends_on["redis"] == {"condition": "service_healthy"}
    assert depends_on["migrate"] == {"condition": "service_completed_successfully"}


@pytest.mark.parametrize("name", DJANGO_SERVICES + ["migrate"])
def test_django_services_share_the_production_environment(services, name):
    environment = services[name]["environment"]
    for variable in SHARED_VARIABLES:
        assert variable in environment, variable
    assert environment["DJANGO_DEBUG"] == "0"
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in environment["DATABASE_URL"]
    assert environment["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert environment["CACHE_URL"] == "redis://redis:6379/1"
    # No default secret: compose refuses to start without one.
    assert environment["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")
    assert environment == services["web"]["environment"]


def test_dockerfile_builds_a_gunicorn_image_with_static_files():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert dockerfile.startswith("# ") and "FROM python:3.11-slim" in dockerfile
    assert "pip install -r requirements.txt" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert 'CMD ["gunicorn", "config.wsgi:application"' in dockerfile
    assert "USER marketplace" in dockerfile


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "var/", "*.sqlite3"):
        assert entry in ignored
