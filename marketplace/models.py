from marketplace.competitions.models import (  # noqa: F401
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
from marketplace.notifications.models import Notification  # noqa: F401
from marketplace.orders.models import (  # noqa: F401
    CallOffOrder,
    CapAmendment,
    OrderLine,
    Statement,
    ThresholdCrossing,
    UsageRecord,
)
from marketplace.oversight.models import RedFlag  # noqa: F401
from marketplace.selection.models import (  # noqa: F401
    Award,
    Requirement,
    RequirementCriterion,
    RequirementEstimate,
    SavedSearch,
    SearchSnapshotEntry,
)
