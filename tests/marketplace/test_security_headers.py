"""Security headers on pages and API answers, the docs pages' own policy, production cookies, request size."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

BASE_DIR = Path(__file__).resolve().parents[2]

STRICT_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
}


def policy_of(response) -> dict[str, list[str]]:
    directives = [part.strip() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: values for name, *values in (directive.split() for directive in directives)}


def assert_common_headers(response):
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_a_page_has_the_strict_policy_and_the_security_headers():
    response = Client().get("/accounts/login/")

    assert response.status_code == 200
    assert policy_of(response) == STRICT_POLICY
    assert_common_headers(response)


@pytest.mark.django_db
def test_an_api_answer_has_the_strict_policy_and_the_security_headers(api_client):
    response = api_client.get("/api/v1/me/")

    assert response.status_code == 401
    assert policy_of(response) == STRICT_POLICY
    assert_common_headers(response)


@pytest.mark.django_db
def test_swagger_docs_load_their_script_from_a_file_and_allow_inline_styles_only():
    page = Client().get("/api/v1/docs/")
    script = Client().get("/api/v1/docs/?script=")

    html = page.content.decode()
    assert page.status_code == 200
    assert policy_of(page) == STRICT_POLICY | {"style-src": ["'self'", "'unsafe-inline'"]}
    assert_common_headers(page)
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []  # every script has a src
    assert '<script src="/api/v1/docs/?script="></script>' in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert script.status_code == 200
    assert script["Content-Type"] == "application/javascript"
    assert "SwaggerUIBundle(" in script.content.decode()
    assert '"/api/v1/schema/"' in script.content.decode()


@pytest.mark.django_db
def test_redoc_needs_no_inline_script_and_gets_a_worker_from_blob():
    page = Client().get("/api/v1/redoc/")

    assert page.status_code == 200
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", page.content.decode()) == []
    assert policy_of(page) == STRICT_POLICY | {
        "style-src": ["'self'", "'unsafe-inline'"], "worker-src": ["'self'", "blob:"],
    }


def test_base_layout_has_no_inline_script_or_style():
    html = (BASE_DIR / "config/templates/base.html").read_text()
    login = (BASE_DIR / "config/templates/registration/login.html").read_text()

    for text in (html, login):
        assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", text) == []
        assert "<style" not in text
        assert " style=" not in text
        assert re.findall(r"\son[a-z]+=", text) == []


@pytest.mark.django_db
@override_settings(MARKETPLACE_REQUEST_MAX_BYTES=1000)
def test_a_request_body_above_the_limit_is_refused_with_413_before_any_view(api_client):
    body = "x" * 1001

    api = api_client.post("/api/v1/auth/token/", body, content_type="application/json")
    page = Client().post("/accounts/login/", body, content_type="application/x-www-form-urlencoded")
    small = api_client.post("/api/v1/auth/token/", {"username": "a", "password": "b"}, format="json")

    assert api.status_code == 413
    assert api.json() == {
        "error": {"code": "payload_too_large", "message": "The request is too large: at most 1000 bytes.", "fields": {}}
    }
    assert page.status_code == 413
    assert small.status_code == 400


PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "CSRF_COOKIE_HTTPONLY": settings.CSRF_COOKIE_HTTPONLY,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "CACHES": settings.CACHES["default"]["BACKEND"],
    "CACHE_LOCATION": settings.CACHES["default"]["LOCATION"],
    "MIDDLEWARE": settings.MIDDLEWARE,
    "AUTHENTICATION_BACKENDS": settings.AUTHENTICATION_BACKENDS,
    "THROTTLE_RATES": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    "LOGIN": [settings.MARKETPLACE_LOGIN_FAILURE_LIMIT, settings.MARKETPLACE_LOGIN_LOCKOUT_SECONDS],
    "UPLOAD": [settings.MARKETPLACE_UPLOAD_MAX_BYTES, settings.MARKETPLACE_UPLOAD_MAX_ROWS],
}))
"""


def _settings(**env_vars):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "DJANGO_SETTINGS_MODULE": "config.settings", **env_vars}
    result = subprocess.run([sys.executable, "-c", PRINT_SETTINGS], cwd=BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_make_cookies_secure(tmp_path):
    values = _settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
                       DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")

    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["MIDDLEWARE"][:3] == [
        "config.security.RequestSizeLimitMiddleware",
        "django.middleware.security.SecurityMiddleware",
        "csp.middleware.CSPMiddleware",
    ]
    assert values["AUTHENTICATION_BACKENDS"] == ["config.security.ThrottledModelBackend"]


def test_defaults_without_environment():
    values = _settings()

    assert values["SESSION_COOKIE_SECURE"] is False  # debug serves plain HTTP locally
    assert values["CACHES"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["THROTTLE_RATES"] == {"write": "600/min", "usage": "6000/min"}
    assert values["LOGIN"] == [5, 900]
    assert values["UPLOAD"] == [2 * 1024 * 1024, 5000]


def test_cache_url_or_redis_url_selects_redis_with_its_fallback():
    # Redis, with a memory cache of the process in its place while it is unreachable (config/cache.py).
    assert _settings(CACHE_URL="redis://127.0.0.1:6379/11")["CACHES"] == "config.cache.FallbackRedisCache"
    values = _settings(REDIS_URL="redis://127.0.0.1:6379/12")

    assert values["CACHES"] == "config.cache.FallbackRedisCache"
    assert values["CACHE_LOCATION"] == "redis://127.0.0.1:6379/12"


def test_limits_come_from_the_environment():
    values = _settings(MARKETPLACE_API_WRITE_RATE="10/min", MARKETPLACE_API_USAGE_RATE="20/min",
                       MARKETPLACE_LOGIN_FAILURE_LIMIT="3", MARKETPLACE_LOGIN_LOCKOUT_SECONDS="60",
                       MARKETPLACE_UPLOAD_MAX_BYTES="1000", MARKETPLACE_UPLOAD_MAX_ROWS="10")

    assert values["THROTTLE_RATES"] == {"write": "10/min", "usage": "20/min"}
    assert values["LOGIN"] == [3, 60]
    assert values["UPLOAD"] == [1000, 10]
