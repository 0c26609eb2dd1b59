"""Every write about competitions (requests for quotation among a lot's admitted suppliers).

Each service is atomic, locks the competition row it changes (``access``), checks the lifecycle
table on ``Competition``, records an audit event in the same transaction and notifies on the way.
They take typed input (``marketplace.competitions.inputs``): creation (``create``), publication and
cancellation (``publish``), clarification questions (``questions``), quotes (``quotes``), closing at
the deadline (``closing``), evaluation and ranking (``evaluation``), the decision (``award``).
"""

from marketplace.competitions.services.award import competition_award, competition_no_award
from marketplace.competitions.services.closing import close_overdue, competition_close
from marketplace.competitions.services.create import competition_create
from marketplace.competitions.services.evaluation import competition_evaluate
from marketplace.competitions.services.publish import competition_cancel, competition_publish
from marketplace.competitions.services.questions import question_answer, question_ask
from marketplace.competitions.services.quotes import quote_decline, quote_submit
from marketplace.competitions.services.rules import require_quotes_opened

__all__ = [
    "close_overdue", "competition_award", "competition_cancel", "competition_close", "competition_create",
    "competition_evaluate", "competition_no_award", "competition_publish", "question_answer", "question_ask",
    "quote_decline", "quote_submit", "require_quotes_opened",
]
