from marketplace.models.selection import (  # noqa: F401
    Award,
    Requirement,
    RequirementCriterion,
    RequirementEstimate,
    SavedSearch,
    SearchSnapshotEntry,
)
