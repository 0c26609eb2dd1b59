"""Hardening that cuts across the apps (docs/security.md).

- Login throttling: after ``MARKETPLACE_LOGIN_FAILURE_LIMIT`` failed sign-ins (default 5) for one
  username from one client address, that pair is locked for ``MARKETPLACE_LOGIN_LOCKOUT_SECONDS``
  (default 900, 15 minutes); while locked even the right password is refused. A success resets the
  count. It is enforced in the authentication backend, so the sign-in page, the admin sign-in and
  ``POST /api/v1/auth/token/`` all share it. The counts live in the ``default`` cache: production with
  several web processes must point ``CACHE_URL`` at Redis, or each process counts on its own.
- Request size: ``RequestSizeLimitMiddleware`` refuses bodies above ``MARKETPLACE_REQUEST_MAX_BYTES``
  (413) before any view reads them.
- The API documentation pages get their own, relaxed content security policy (``api_docs_view``,
  ``api_redoc_view``); every other response carries the strict one from ``CONTENT_SECURITY_POLICY``.
"""

from __future__ import annotations

import hashlib
import math
import time

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

LOCK_ATTRIBUTE = "_marketplace_login_locked_until"


# --------------------------------------------------------------------------- login throttling


def _now() -> float:
    return time.time()


def failure_limit() -> int:
    return int(getattr(settings, "MARKETPLACE_LOGIN_FAILURE_LIMIT", 5))


def lockout_seconds() -> int:
    return int(getattr(settings, "MARKETPLACE_LOGIN_LOCKOUT_SECONDS", 900))


def client_ip(request) -> str:
    """The client address: ``REMOTE_ADDR``, or, behind ``MARKETPLACE_TRUSTED_PROXIES`` proxies, the
    address that the outermost trusted proxy saw (the same rule as DRF's ``NUM_PROXIES``)."""
    meta = request.META
    proxies = int(getattr(settings, "MARKETPLACE_TRUSTED_PROXIES", 0))
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return meta.get("REMOTE_ADDR", "") or "unknown"


def _attempt_key(username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}\x00{ip}".encode()).hexdigest()
    return f"login-attempts:{digest}"


def _lock_key(username: str, ip: str) -> str:
    return _attempt_key(username, ip).replace("login-attempts:", "login-lock:", 1)


def login_locked_for(*, username: str, ip: str) -> int:
    """Seconds left on the lock of this username from this address, 0 when not locked."""
    until = cache.get(_lock_key(username, ip))
    if until is None:
        return 0
    return max(1, math.ceil(until - _now()))


def login_failed(*, username: str, ip: str) -> int:
    """Count one failure; lock the pair when the limit is reached. Returns the lock's seconds (or 0)."""
    key, window = _attempt_key(username, ip), lockout_seconds()
    cache.add(key, 0, timeout=window)  # the count of failures starts with the first one and lasts a window
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        failures = 1
    if failures < failure_limit():
        return 0
    cache.set(_lock_key(username, ip), _now() + window, timeout=window)
    cache.delete(key)
    return window


def login_succeeded(*, username: str, ip: str) -> None:
    cache.delete(_attempt_key(username, ip))


def _http_request(request):
    return getattr(request, "_request", request)  # a DRF Request wraps the Django one


def login_lock_of(request) -> int:
    """Seconds left on the lock that refused a sign-in during this request (0 if none did)."""
    if request is None:
        return 0
    until = getattr(_http_request(request), LOCK_ATTRIBUTE, None)
    return max(1, math.ceil(until - _now())) if until else 0


def _mark_locked(request, seconds: int) -> None:
    setattr(_http_request(request), LOCK_ATTRIBUTE, _now() + seconds)


def lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-in attempts. Sign-in for this account is locked; try again in %(minutes)s minute.",
        "Too many failed sign-in attempts. Sign-in for this account is locked; try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


class ThrottledModelBackend(ModelBackend):
    """The model backend, refusing a username from a client address that failed too often.

    Only sign-ins that come with a request are counted (pages, the admin, the token endpoint);
    ``authenticate()`` without a request (management commands, tests' ``client.login``) is not throttled.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if request is None or username is None or password is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        ip = client_ip(_http_request(request))
        seconds = login_locked_for(username=str(username), ip=ip)
        if seconds:
            _mark_locked(request, seconds)
            raise PermissionDenied  # authenticate() stops here: no other backend, no password check
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            seconds = login_failed(username=str(username), ip=ip)
            if seconds:
                _mark_locked(request, seconds)
        else:
            login_succeeded(username=str(username), ip=ip)
        return user


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            seconds = login_lock_of(self.request)
            if seconds:
                raise ValidationError(lockout_message(seconds), code="too_many_login_attempts") from None
            raise


class ThrottledLoginView(LoginView):
    """The sign-in page; answers 429 with the lockout message while the username is locked."""

    authentication_form = ThrottledAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        seconds = login_lock_of(self.request)
        if seconds:
            response.status_code = 429
            response["Retry-After"] = str(seconds)
        return response


# --------------------------------------------------------------------------- request size


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than ``MARKETPLACE_REQUEST_MAX_BYTES`` (413).

    Django limits form fields (``DATA_UPLOAD_MAX_MEMORY_SIZE``) but neither uploaded files nor the raw
    bodies that DRF parsers stream; this stops an oversized body before anything reads it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = int(getattr(settings, "MARKETPLACE_REQUEST_MAX_BYTES", 0) or 0)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit and length > limit:
            message = _("The request is too large: at most %(size)s bytes.") % {"size": limit}
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"error": {"code": "payload_too_large", "message": message, "fields": {}}}, status=413
                )
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


# --------------------------------------------------------------------------- API documentation pages

# Swagger UI: the split view serves its start-up script as a separate file, so no inline script is
# needed; the UI sets style attributes at run time and has one inline <style>, hence 'unsafe-inline'
# for styles on this page only.
api_docs_view = csp_update({"style-src": [UNSAFE_INLINE]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)
# Redoc (without REDOC_UI_SETTINGS it needs no inline script) injects <style> elements and runs a
# web worker from a blob: URL.
api_redoc_view = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
    SpectacularRedocView.as_view(url_name="api-schema")
)
