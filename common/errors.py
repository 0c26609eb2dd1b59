"""Domain errors. Services raise these; the API and the pages turn them into answers.

Each error carries a stable machine ``code``, a human ``message`` and optional per-field
messages, and maps to one HTTP status. Services never import anything from the web layer.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.fields = fields or {}
        self.extra = extra or {}


class ValidationFailed(DomainError):
    status = 400
    code = "validation_error"


class Forbidden(DomainError):
    status = 403
    code = "permission_denied"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


def error_body(*, code: str, message: str, fields: dict | None = None, **extra) -> dict:
    """The API's one error shape: ``{"error": {"code", "message", "fields", ...}}``."""
    body = {"code": code, "message": str(message), "fields": fields or {}}
    body.update(extra)
    return {"error": body}
