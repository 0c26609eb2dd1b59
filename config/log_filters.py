"""Logging filters for the console: a refused request (4xx) is one line, so a real server error's
traceback stands out in the log."""

from __future__ import annotations

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """Drop the traceback Django attaches to a 4xx ``django.request`` record (a 403 from
    ``PermissionDenied``, a 404): the refusal is expected and its one-line message says what it was.
    Server errors (5xx) keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
