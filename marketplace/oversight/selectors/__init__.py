"""The auditor's reads: the selection log, the trail of one selection, its check, the red flags.

Everything here is for oversight users only (``require_oversight`` raises ``Forbidden`` for anyone
else) and writes nothing: checking a trail recomputes hashes in memory and compares them.
"""

from marketplace.oversight.selectors.access import require_oversight
from marketplace.oversight.selectors.flags import red_flags, red_flags_by_buyer
from marketplace.oversight.selectors.log_filters import DEFAULT_SORT, SORTS, LogFilters, parse_log_filters
from marketplace.oversight.selectors.selection_log import (
    CSV_COLUMNS,
    csv_column_labels,
    log_choices,
    log_csv_row,
    log_row,
    selection_log,
)
from marketplace.oversight.selectors.trail import Trail, TrailStep, selection_trail
from marketplace.oversight.selectors.trail_check import Check, TrailCheck, trail_check
from marketplace.oversight.selectors.trail_events import describe_event

__all__ = [
    "CSV_COLUMNS", "DEFAULT_SORT", "SORTS", "Check", "LogFilters", "Trail", "TrailCheck", "TrailStep",
    "csv_column_labels", "describe_event", "log_choices", "log_csv_row", "log_row", "parse_log_filters",
    "red_flags", "red_flags_by_buyer", "require_oversight", "selection_log", "selection_trail", "trail_check",
]
