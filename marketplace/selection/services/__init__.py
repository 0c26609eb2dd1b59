"""Writes of the buyer's selection, by job: ``requirements`` (the need), ``criteria`` (its lines and
estimates), ``searches`` (save, refine, end, export) and ``awards`` (award or no award); ``access``
holds who may act and the row locks. Re-exported here for the callers outside selection."""

from marketplace.selection.services.access import requirement_check_editable
from marketplace.selection.services.awards import award_direct, award_none
from marketplace.selection.services.criteria import (
    requirement_criterion_add,
    requirement_criterion_remove,
    requirement_estimate_remove,
    requirement_estimate_set,
)
from marketplace.selection.services.requirements import requirement_create, requirement_details, requirement_update
from marketplace.selection.services.searches import (
    DEFAULT_FROZEN_LIMIT,
    entries_hash_of,
    query_summary,
    search_export_record,
    search_freeze,
    search_save,
    search_update,
)

__all__ = [
    "DEFAULT_FROZEN_LIMIT", "award_direct", "award_none", "entries_hash_of", "query_summary",
    "requirement_check_editable", "requirement_create", "requirement_criterion_add", "requirement_criterion_remove",
    "requirement_details", "requirement_estimate_remove", "requirement_estimate_set", "requirement_update",
    "search_export_record", "search_freeze", "search_save", "search_update",
]
