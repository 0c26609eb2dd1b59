"""Pages of competitions (request for quotation), mounted under /competitions/: the list and the
detail (``browse``), drafting (``create``), the supplier's quote (``quote``), the buyer's evaluation
and award (``decide``), and the one-reason pages (``reasons``)."""

from marketplace.competitions.views.browse import (
    competition_detail,
    competition_list,
    competition_publish,
    question_answer,
    question_ask,
)
from marketplace.competitions.views.create import competition_create
from marketplace.competitions.views.decide import competition_award, competition_evaluate
from marketplace.competitions.views.quote import quote_form
from marketplace.competitions.views.reasons import competition_cancel, competition_no_award, quote_decline

__all__ = [
    "competition_award", "competition_cancel", "competition_create", "competition_detail", "competition_evaluate",
    "competition_list", "competition_no_award", "competition_publish", "question_answer", "question_ask",
    "quote_decline", "quote_form",
]
