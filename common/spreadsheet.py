"""Text written into CSV files people open in a spreadsheet: a cell a spreadsheet would run as a
formula (``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM(...)``) is prefixed with ``'`` so it shows as text
(OWASP "CSV injection"). Numbers and phone numbers such as "+51 1 222 2222" or "-12.50" stay as they are."""

from __future__ import annotations

import re
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-][0-9 ().-]*")


def spreadsheet_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(row: list[Any]) -> list[Any]:
    """Every text cell of a CSV row made safe; other values as they are."""
    return [spreadsheet_safe(cell) for cell in row]
