"""A database that goes away for a moment: 503 with ``Retry-After``, never 500 (docs/operations.md).

``DatabaseOutageMiddleware`` turns a ``django.db.OperationalError`` or ``InterfaceError`` raised by a view
(or while rendering its template) into a 503: the API's error shape under ``/api/``, the self-contained
``503.html`` page elsewhere, in the user's language. The API's exception handler (config/api/errors.py)
answers the same for DRF views. A database error raised outside a view (a middleware reading the session
user, the session saved after the view) has already become Django's 500 when it reaches this middleware:
``got_request_exception`` marks the request, and the middleware answers 503 instead. The failed request's
transaction has been rolled back; connections recover by themselves (``CONN_HEALTH_CHECKS``) on the next
request.
"""

from __future__ import annotations

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from common.errors import error_body

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
# Writes that carry an idempotency key: the client may send the same request again, it counts once.
IDEMPOTENT_WRITE_VIEWS = frozenset({"api-order-usage"})
OUTAGE_ATTRIBUTE = "_marketplace_database_unavailable"


def _is_idempotent_write(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return request.method == "POST" and match is not None and match.view_name in IDEMPOTENT_WRITE_VIEWS


def database_unavailable_message(request) -> str:
    seconds = RETRY_AFTER_SECONDS
    if request is not None and _is_idempotent_write(request):
        return _(
            "The database is unavailable for a moment. Send the same request again in %(seconds)s seconds "
            "with the same idempotency key: a reading is recorded at most once."
        ) % {"seconds": seconds}
    return _("The database is unavailable for a moment. Try again in %(seconds)s seconds.") % {"seconds": seconds}


def database_unavailable_body(request) -> dict:
    return error_body(code="database_unavailable", message=database_unavailable_message(request))


def log_database_outage(request, exc: BaseException) -> None:
    path = getattr(request, "path", "?")
    logger.warning("Database unavailable during %s %s: %s", getattr(request, "method", "?"), path, exc)


def database_unavailable_response(request) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        response = JsonResponse(database_unavailable_body(request), status=503)
    else:
        page = loader.render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, OUTAGE_ATTRIBUTE, False):
            return database_unavailable_response(request)
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        log_database_outage(request, exception)
        return database_unavailable_response(request)


def _mark_database_outage(sender, request=None, **kwargs):
    """Django sends this while handling an uncaught exception (still the current one) before its 500."""
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, DATABASE_ERRORS):
        setattr(request, OUTAGE_ATTRIBUTE, True)


got_request_exception.connect(_mark_database_outage, dispatch_uid="config.middleware.mark_database_outage")
