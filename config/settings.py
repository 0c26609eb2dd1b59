"""Settings for the framework-agreement marketplace.

Everything that differs between a laptop, CI and production comes from the environment:

- ``DATABASE_URL``: unset means the embedded default (an SQLite file in ``var/``).
- ``CELERY_BROKER_URL``: unset means tasks run eagerly in-process.
- ``DJANGO_DEBUG``, ``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS``, ``DJANGO_CSRF_TRUSTED_ORIGINS``.

With debug off a secret key is required: start-up fails with a clear message otherwise.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug-mode-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "audit",
    "agreements",
    "catalog",
    "marketplace",
    "config",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The buying side's rooms (marketplace/<subdomain>/): one Django app, "marketplace", so model labels stay
# "marketplace.<model>" as the audit chain hashes them.
MARKETPLACE_SUBDOMAINS = ("selection", "competitions", "orders", "oversight", "notifications", "ocds")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The base layout and error pages come from config/templates (the "config" app); each buying
        # subdomain keeps its templates beside its code (marketplace/<subdomain>/templates).
        "DIRS": [BASE_DIR / "marketplace" / subdomain / "templates" for subdomain in MARKETPLACE_SUBDOMAINS],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.organization",
            ],
        },
    },
]

# Database: the embedded default is an SQLite file; DATABASE_URL selects PostgreSQL.
DEFAULT_SQLITE_PATH = BASE_DIR / "var" / "marketplace.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        # Same as the embedded default: writers serialized by BEGIN IMMEDIATE (audit chain, caps).
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
else:
    DEFAULT_SQLITE_PATH.parent.mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DEFAULT_SQLITE_PATH,
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
FORMAT_MODULE_PATH = ["config.formats"]  # es: 1.234,50 (see config/formats/es)
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security: strict in production, relaxed only where DEBUG serves plain HTTP locally.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG

# REST framework: token and session auth, one error shape, OpenAPI 3.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Framework-agreement e-catalog marketplace API",
    "DESCRIPTION": "Frameworks, catalog search, selection, call-off orders, audit and open contracting data.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets whose field names ("status", "method") repeat across models: one stable enum name each,
    # so `spectacular --fail-on-warn` passes and generated clients do not get hash-suffixed names.
    "ENUM_NAME_OVERRIDES": {
        "CompetitionMethodEnum": "marketplace.competitions.models.Competition.Method",
        "RequirementStatusEnum": "marketplace.selection.models.Requirement.Status",
        "SavedSearchStatusEnum": "marketplace.selection.models.SavedSearch.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.add_error_responses",
    ],
}

# Celery: eager in the embedded default, Redis when CELERY_BROKER_URL is set.
_broker = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not _broker)
if not _broker and not CELERY_TASK_ALWAYS_EAGER:
    raise ImproperlyConfigured(
        "CELERY_TASK_ALWAYS_EAGER is off but CELERY_BROKER_URL is not set: tasks would be sent nowhere. "
        "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) or leave CELERY_TASK_ALWAYS_EAGER unset."
    )
# Unset (eager tasks): the in-process transport stands in for a broker, so kombu never falls back
# to its default (an AMQP server on localhost) nor warns "No hostname was supplied". A worker or
# beat refuses to start on it (config/celery.py): it would receive nothing.
CELERY_BROKER_URL = _broker or "memory://localhost/"
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", _broker or None)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "expire-frameworks": {"task": "agreements.tasks.expire_frameworks", "schedule": 3600.0},
    # Daily, idempotent: rebuilds last month's statements, so a missed run or a late usage is caught up.
    "monthly-order-statements": {"task": "marketplace.orders.tasks.generate_monthly_statements", "schedule": 86400.0},
}

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "marketplace@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_short": {"()": "config.log_filters.ClientErrorsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["client_errors_short"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    # Django's own default console handler would print each django.* record a second time.
    "loggers": {"django": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING"),
                           "propagate": False}},
}

# Marketplace rules with documented defaults (docs/decisions.md).
MARKETPLACE = {
    "OCID_PREFIX": os.environ.get("MARKETPLACE_OCID_PREFIX", "ocds-mkt000"),
}
WHITENOISE_AUTOREFRESH = DEBUG

# The one mechanism that closes competitions: every minute, each published one whose deadline passed.
CELERY_BEAT_SCHEDULE["close-overdue-competitions"] = {
    "task": "marketplace.competitions.tasks.close_overdue_competitions", "schedule": 60.0,
}

# Red flags for oversight (marketplace.oversight.services; every threshold explained in docs/red-flags.md).
# Any key left out takes its default; amounts and shares are decimal strings.
MARKETPLACE_RED_FLAGS = {
    "NOT_LOWEST_MIN_DIFFERENCE": "0.00",  # flag an award costing more than the lowest by more than this
    "REPEATED_DIRECT_AWARDS_MAX": 3,  # flag the (n+1)th direct award of one buyer to one supplier...
    "REPEATED_DIRECT_AWARDS_WINDOW_DAYS": 90,  # ...within this many days
    "SPLIT_PURCHASE_THRESHOLD": "50000.00",  # orders each below this, together above it...
    "SPLIT_PURCHASE_WINDOW_DAYS": 30,  # ...within this many days
    "CAP_RAISE_MAX_SHARE": "0.20",  # flag a cap raised by more than this share of the original
    "LATE_USAGE_DAYS": 3,  # flag accepted usage posted this close to (or after) the order end
    "PRICE_RAISE_WINDOW_DAYS": 30,  # flag a listing price raised within this many days before an award
}
CELERY_BEAT_SCHEDULE["refresh-red-flags"] = {"task": "marketplace.oversight.tasks.refresh_red_flags", "schedule": 3600.0}

# Who may read the audit trail: audit names no other app, so the project names the permission class
# (required: the system check audit.E002 refuses to start without it).
AUDIT_READER_PERMISSION = "agreements.api.permissions.IsOversight"
# Audit chain checkpoints: the beat task records the chain head hourly; the publishing task appends it to
# a JSON-lines file in this folder (audit-checkpoints.jsonl), the copy to publish outside the database.
# Both run only on the "audit-checkpoints" queue, which exactly one worker consumes with concurrency 1
# (docker-compose.yml: checkpoint-worker), so the file has one writer (docs/operations.md).
AUDIT_CHECKPOINT_DIR = Path(os.environ.get("AUDIT_CHECKPOINT_DIR", "") or BASE_DIR / "var" / "checkpoints")
AUDIT_CHECKPOINT_QUEUE = "audit-checkpoints"
CELERY_BEAT_SCHEDULE["audit-checkpoint"] = {"task": "audit.tasks.record_checkpoint", "schedule": 3600.0}
CELERY_TASK_ROUTES = {
    "audit.tasks.record_checkpoint": {"queue": AUDIT_CHECKPOINT_QUEUE},
    "audit.tasks.publish_checkpoints": {"queue": AUDIT_CHECKPOINT_QUEUE},
}

# --------------------------------------------------------------------------- Hardening (docs/security.md)

# Content security policy (django-csp): no inline scripts or styles anywhere; the API docs pages relax
# it for themselves only (config/security.py).
INSTALLED_APPS.append("csp")
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
MIDDLEWARE.insert(0, "config.security.RequestSizeLimitMiddleware")
# A database outage answers 503 with Retry-After, never 500 (config/middleware.py).
MIDDLEWARE.insert(MIDDLEWARE.index("csp.middleware.CSPMiddleware") + 1, "config.middleware.DatabaseOutageMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
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
    },
}
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Caches: the login-failure counts and the API rate limits live here. LocMemCache is per process:
# production with several web processes must set CACHE_URL (or REDIS_URL) to a Redis database of its own.
CACHE_URL = os.environ.get("CACHE_URL", "") or os.environ.get("REDIS_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            # Redis, with a per-process memory cache in its place while it cannot be reached (config/cache.py).
            "BACKEND": "config.cache.FallbackRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "marketplace",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "marketplace"}}

# Login throttling: after this many failures for one username from one address, that pair is locked.
AUTHENTICATION_BACKENDS = ["config.security.ThrottledModelBackend"]
MARKETPLACE_LOGIN_FAILURE_LIMIT = int(os.environ.get("MARKETPLACE_LOGIN_FAILURE_LIMIT", "5"))
MARKETPLACE_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("MARKETPLACE_LOGIN_LOCKOUT_SECONDS", "900"))
# Number of reverse proxies in front of the web processes whose X-Forwarded-For is trusted (0: none).
MARKETPLACE_TRUSTED_PROXIES = int(os.environ.get("MARKETPLACE_TRUSTED_PROXIES", "0"))

# API rate limits on writes, per token (config/api/throttling.py).
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["config.api.throttling.WriteRateThrottle"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "write": os.environ.get("MARKETPLACE_API_WRITE_RATE", "600/min"),
    "usage": os.environ.get("MARKETPLACE_API_USAGE_RATE", "6000/min"),
}
REST_FRAMEWORK["NUM_PROXIES"] = MARKETPLACE_TRUSTED_PROXIES or None

# Uploads (CSV imports, common/uploads.py): bytes and rows per file. Request bodies above
# MARKETPLACE_REQUEST_MAX_BYTES are refused with 413 before a view reads them.
MARKETPLACE_UPLOAD_MAX_BYTES = int(os.environ.get("MARKETPLACE_UPLOAD_MAX_BYTES", str(2 * 1024 * 1024)))
MARKETPLACE_UPLOAD_MAX_ROWS = int(os.environ.get("MARKETPLACE_UPLOAD_MAX_ROWS", "5000"))
MARKETPLACE_REQUEST_MAX_BYTES = int(
    os.environ.get("MARKETPLACE_REQUEST_MAX_BYTES", str(MARKETPLACE_UPLOAD_MAX_BYTES + 512 * 1024))
)
DATA_UPLOAD_MAX_MEMORY_SIZE = MARKETPLACE_REQUEST_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = MARKETPLACE_REQUEST_MAX_BYTES

# Oversight users read everything and change nothing: every unsafe request of theirs is refused with
# 403 before a view runs (config/api/permissions.py; tests/marketplace/test_readonly_oversight.py).
REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"] = [
    *REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"], "config.api.permissions.RefuseOversightWrites",
]
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "config.api.permissions.OversightReadOnlyMiddleware")
