"""One error shape for the whole API:

``{"error": {"code": "<machine_code>", "message": "<human text>", "fields": {...}}}``
"""

from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import DomainError, error_body
from config.middleware import (
    DATABASE_ERRORS,
    RETRY_AFTER_SECONDS,
    database_unavailable_body,
    log_database_outage,
)
from config.security import lockout_message, login_lock_of


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{dotted path: [messages]}``: a list of items (``criteria``)
    is numbered like the rest of the API (``criteria.0.expected``); an item without errors is skipped."""
    if isinstance(detail, dict):
        result: dict[str, list[str]] = {}
        for key, value in detail.items():
            result.update(_flatten(value, f"{prefix}{key}."))
        return result
    field = prefix[:-1] or "non_field_errors"
    if isinstance(detail, list):
        if any(isinstance(item, dict | list) for item in detail):
            result = {}
            for index, item in enumerate(detail):
                result.update(_flatten(item, f"{prefix}{index}."))
            return result
        return {field: [str(item) for item in detail]} if detail else {}
    return {field: [str(detail)]}


def exception_handler(exc, context):
    if isinstance(exc, DATABASE_ERRORS):  # a database outage: retry shortly (config/middleware.py)
        request = context.get("request")
        log_database_outage(request, exc)
        return Response(
            database_unavailable_body(request), status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
        )
    if isinstance(exc, DomainError):
        return Response(
            error_body(code=exc.code, message=exc.message, fields=exc.fields, **exc.extra), status=exc.status
        )
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(
            error_body(code="validation_error", message=_("The request is not valid."), fields=fields),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.ValidationError | exceptions.AuthenticationFailed):
        locked_seconds = login_lock_of(context.get("request"))
        if locked_seconds:  # the credentials were refused because the username is locked (security.py)
            return Response(
                error_body(code="too_many_login_attempts", message=lockout_message(locked_seconds),
                           retry_after=locked_seconds),
                status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(locked_seconds)},
            )
    if isinstance(exc, exceptions.Throttled):
        seconds = max(1, math.ceil(exc.wait)) if exc.wait is not None else None
        message = (
            _("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": seconds}
            if seconds else _("Too many requests. Try again later.")
        )
        return Response(
            error_body(code="rate_limited", message=message, retry_after=seconds),
            status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(seconds)} if seconds else {},
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body(code="payload_too_large", message=_("The request is too large.")),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real server error: let Django log it and answer 500
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(code="validation_error", message=_("The request is not valid."), fields=_flatten(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(exc, "default_code", "error")
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            code = "not_authenticated" if isinstance(exc, exceptions.NotAuthenticated) else "authentication_failed"
        message = detail if isinstance(detail, str) else _("The request failed.")
        body = error_body(code=code, message=message, fields={} if isinstance(detail, str) else _flatten(detail))
    response.data = body
    return response
