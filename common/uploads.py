"""Reading an uploaded CSV file within limits, with clear errors (docs/security.md).

``read_csv_upload`` is the one way the imports read a CSV: it refuses the whole file (raising
``ValidationFailed``, so nothing is kept) when it is too large, not UTF-8, malformed, has too many
rows, lacks a required column or has no rows. The callers then validate each row and write all
rows or none in one transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.errors import ValidationFailed

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_ROWS = 5000


def upload_max_bytes() -> int:
    return int(getattr(settings, "MARKETPLACE_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def upload_max_rows() -> int:
    return int(getattr(settings, "MARKETPLACE_UPLOAD_MAX_ROWS", DEFAULT_MAX_ROWS))


def _failed(message: str, hint: str, *, code: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={field: [hint]})


def _read_bytes(file, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes: enough to tell that a file is too large without reading it all."""
    if isinstance(file, str):
        return file.encode("utf-8")
    if isinstance(file, bytes | bytearray | memoryview):
        return bytes(file)
    size = getattr(file, "size", None)
    if size is not None and size > max_bytes:
        return b"\0" * (max_bytes + 1)  # declared too large: no need to read it
    if hasattr(file, "seek"):
        try:
            file.seek(0)
        except (OSError, ValueError):
            pass
    data = file.read(max_bytes + 1)
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _size(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + " " + unit
    return ngettext("%(n)s byte", "%(n)s bytes", size) % {"n": size}


def read_csv_upload(
    file,
    *,
    max_bytes: int | None = None,
    max_rows: int | None = None,
    required_columns: Iterable[str] = (),
    field: str = "file",
) -> list[dict[str, str]]:
    """Parse an uploaded CSV into a list of ``{column: value}`` rows, or refuse it whole.

    ``file`` is an uploaded file (anything with ``read``; its ``size`` is checked first when known),
    ``bytes`` or ``str``. Limits default to ``MARKETPLACE_UPLOAD_MAX_BYTES`` and
    ``MARKETPLACE_UPLOAD_MAX_ROWS``. Column names are stripped of surrounding spaces and matched to
    ``required_columns`` without regard to case; rows are keyed by the stripped header as written,
    with the required columns under their given names. Blank lines are skipped (as ``csv.DictReader``
    does); a missing cell is ""; a row with more cells than the header is refused.

    Raises ``ValidationFailed`` (``fields[field]`` says what to do) with code ``csv_too_large``,
    ``csv_encoding``, ``csv_malformed``, ``csv_columns``, ``csv_too_many_rows`` or ``csv_empty``.
    """
    max_bytes = upload_max_bytes() if max_bytes is None else max_bytes
    max_rows = upload_max_rows() if max_rows is None else max_rows
    required = list(required_columns)

    data = _read_bytes(file, max_bytes)
    if len(data) > max_bytes:
        raise _failed(
            _("The file is too large: at most %(size)s.") % {"size": _size(max_bytes)},
            _("Split the file into smaller files."), code="csv_too_large", field=field,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _failed(
            _("The file is not UTF-8 text."), _("Save the file as “CSV UTF-8” and upload it again."),
            code="csv_encoding", field=field,
        ) from None
    if "\x00" in text:
        raise _failed(
            _("The file is not a CSV text file."), _("Upload a CSV file saved as text."),
            code="csv_malformed", field=field,
        )
    if not text.strip():
        raise _failed(_("The file is empty."), _("Add a header line and at least one row."), code="csv_empty",
                      field=field)

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        header = [name.strip() for name in header]
        by_lower = {}
        for name in header:
            if name and name.lower() in by_lower:
                raise _failed(
                    _("The column “%(column)s” appears twice.") % {"column": name},
                    _("Keep one column of each name."), code="csv_columns", field=field,
                )
            by_lower[name.lower()] = name
        missing = [column for column in required if column.lower() not in by_lower]
        if missing:
            raise _failed(
                ngettext("The file misses the column: %(columns)s.", "The file misses the columns: %(columns)s.",
                         len(missing)) % {"columns": ", ".join(missing)},
                _("The first line must name the columns: %(columns)s.") % {"columns": ", ".join(required)},
                code="csv_columns", field=field,
            )
        # Required columns are returned under their given names, whatever their case in the file.
        names = list(header)
        for column in required:
            names[header.index(by_lower[column.lower()])] = column

        rows: list[dict[str, str]] = []
        for cells in reader:
            if not cells:  # a blank line, skipped as csv.DictReader does
                continue
            line = reader.line_num
            if len(cells) > len(names):
                raise _failed(
                    _("Line %(line)s has more cells than the header has columns.") % {"line": line},
                    _("Check the separators (commas) and quotes on line %(line)s.") % {"line": line},
                    code="csv_malformed", field=field,
                )
            if len(rows) >= max_rows:
                raise _failed(
                    ngettext("The file has too many rows: at most %(rows)s row.",
                             "The file has too many rows: at most %(rows)s rows.", max_rows) % {"rows": max_rows},
                    _("Split the file into smaller files."), code="csv_too_many_rows", field=field,
                )
            row = {name: (cells[index] if index < len(cells) else "") for index, name in enumerate(names) if name}
            rows.append(row)
    except csv.Error as error:
        raise _failed(
            _("The file is not valid CSV (line %(line)s): %(error)s.") % {"line": reader.line_num, "error": error},
            _("Save the file as CSV and upload it again."), code="csv_malformed", field=field,
        ) from None
    if not rows:
        raise _failed(_("The file has no rows."), _("Add at least one row under the header."), code="csv_empty",
                      field=field)
    return rows
