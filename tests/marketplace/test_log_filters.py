"""The console log: a refused request is one line; a server error keeps its traceback."""

import logging
import sys

from config.log_filters import ClientErrorsWithoutTraceback


def _record(status_code: int, name: str = "django.request") -> logging.LogRecord:
    try:
        raise PermissionError("refused")
    except PermissionError:
        record = logging.LogRecord(name, logging.WARNING, __file__, 1, "Forbidden: /x/", None, sys.exc_info())
    record.status_code = status_code
    return record


def test_a_4xx_request_record_loses_its_traceback_and_a_5xx_keeps_it():
    keep = ClientErrorsWithoutTraceback()
    forbidden, server_error, other = _record(403), _record(500), _record(403, name="marketplace.tasks")

    assert all(keep.filter(record) for record in (forbidden, server_error, other))
    assert forbidden.exc_info is None
    assert server_error.exc_info is not None and other.exc_info is not None


def test_a_refused_page_is_one_line_on_the_console(client, django_user_model):
    import io

    console = next(handler for handler in logging.getLogger("django").handlers
                   if isinstance(handler, logging.StreamHandler))
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        client.force_login(django_user_model.objects.create_user("nobody", password="x"))
        response = client.get("/oversight/flags/")
    finally:
        console.setStream(previous)

    assert response.status_code == 403
    assert "Forbidden (Permission denied): /oversight/flags/" in stream.getvalue()
    assert "Traceback" not in stream.getvalue()
    assert stream.getvalue().count("Forbidden") == 1
