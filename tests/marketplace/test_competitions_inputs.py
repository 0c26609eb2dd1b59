"""The competition inputs are read with common.parsing: one set of rules, every refusal at once."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from common.errors import ValidationFailed
from marketplace.competitions.inputs import (
    AwardInput,
    CompetitionDraft,
    LineSpec,
    QuoteScoring,
    ScoreInput,
    read_award,
    read_competition_draft,
    read_evaluations,
    read_quote,
)


def test_a_draft_is_read_into_typed_values():
    draft = read_competition_draft({
        "requirement": "7", "lines": [{"unit": " vCPU-hour ", "quantity": "12.5"}],
        "deadline": "2030-03-01T10:00:00Z", "method": "lowest_price",
    })
    assert draft == CompetitionDraft(requirement_id=7, lines=(LineSpec(unit="vCPU-hour", quantity=Decimal("12.500000")),),
                                     deadline=datetime(2030, 3, 1, 10, tzinfo=UTC))


def test_a_draft_reports_every_field_it_cannot_read_at_once():
    with pytest.raises(ValidationFailed) as error:
        read_competition_draft({
            "requirement": "x", "lines": [{"unit": "", "quantity": "1.1234567"}], "deadline": "tomorrow",
            "method": "weighted", "price_weight": "100", "criteria": [{"name": "Support", "weight": "0"}],
        })
    assert error.value.message == "The competition is not valid."
    assert error.value.fields == {
        "requirement": ["Choose one from the list."],
        "price_weight": ["Enter a whole number from 1 to 99."],
        "lines.0.unit": ["Enter the unit, such as vCPU-hour."],
        "lines.0.quantity": ["Enter a number with at most 6 decimal places."],
        "criteria.0.weight": ["Enter a whole number from 1 to 99."],
        "deadline": ["Enter a date and time in ISO 8601, e.g. 2026-03-01T10:00."],
    }


def test_a_quote_body_that_is_not_a_list_of_lines_is_refused():
    with pytest.raises(ValidationFailed) as error:
        read_quote({"lines": "0.20", "delivery_terms": "5 days"})
    assert error.value.fields == {"lines": ["Send a list of objects."]}


def test_scores_are_read_from_0_to_100_and_a_rejected_quote_needs_its_reason():
    assert read_evaluations([{"quote": 3, "scores": [{"criterion": 4, "score": "85.5", "justification": "Good"}]}]) == (
        QuoteScoring(quote_id=3, scores=(ScoreInput(criterion_id=4, score=Decimal("85.50"), justification="Good"),)),)
    with pytest.raises(ValidationFailed) as error:
        read_evaluations([{"quote": 3, "scores": [{"criterion": 4, "score": "100.01", "justification": "x"}]},
                          {"quote": 5, "rejected": True, "rejection_reason": " "}])
    assert error.value.fields == {"quotes.3.scores.4.score": ["Enter a score from 0 to 100."],
                                  "quotes.5.rejection_reason": ["Give the reason for rejecting."]}


def test_an_award_term_may_end_on_its_start_day_but_not_before():
    assert read_award({"quote": "9", "justification": "Best", "start": "2030-01-31", "end": "2030-01-31"}) == AwardInput(
        quote_id=9, justification="Best", start=date(2030, 1, 31), end=date(2030, 1, 31))
    with pytest.raises(ValidationFailed) as error:
        read_award({"quote": "9", "justification": "Best", "start": "2030-01-31", "end": "2030-01-30"})
    assert error.value.fields == {"end": ["Enter a date on or after the start date."]}
