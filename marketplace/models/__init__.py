from marketplace.models.competitions import (  # noqa: F401
    ClarificationQuestion,
    Competition,
    CompetitionLine,
    CriterionScore,
    Invitation,
    QualityCriterion,
    Quote,
    QuoteEvaluation,
    QuoteLine,
    QuoteResponse,
)
from marketplace.models.flags import RedFlag  # noqa: F401
from marketplace.models.notifications import Notification  # noqa: F401
from marketplace.models.orders import (  # noqa: F401
    CallOffOrder,
    CapAmendment,
    OrderLine,
    Statement,
    ThresholdCrossing,
    UsageRecord,
)
from marketplace.models.selection import (  # noqa: F401
    Award,
    Requirement,
    RequirementCriterion,
    RequirementEstimate,
    SavedSearch,
    SearchSnapshotEntry,
)
