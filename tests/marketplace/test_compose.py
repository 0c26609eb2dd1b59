"""docker-compose.yml and the Dockerfile describe the production topology (Docker itself does not run here)."""

from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parents[2]
DJANGO_SERVICES = ["web", "worker", "beat"]
SHARED_VARIABLES = ["DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS"]


@pytest.fixture(scope="module")
def services():
    with open(BASE_DIR / "docker-compose.yml") as handle:
        return yaml.safe_load(handle)["services"]


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
    assert "/api/v1/frameworks/" in " ".join(web["healthcheck"]["test"])


def test_worker_and_beat_run_celery(services):
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]


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
