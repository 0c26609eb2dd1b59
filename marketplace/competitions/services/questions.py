"""Clarification questions: an invitee asks while the competition is open, the buyer answers to all."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from common.errors import Conflict, NotFound, ValidationFailed
from common.parsing import MAX_TEXT
from marketplace.competitions.models import ClarificationQuestion, Competition
from marketplace.competitions.services.access import lock_as_buyer, lock_as_invitee
from marketplace.competitions.services.notices import notify_answer, notify_question
from marketplace.competitions.services.rules import require_open_for_suppliers


@transaction.atomic
def question_ask(*, actor: User, competition_id: int, text: str) -> ClarificationQuestion:
    competition, organization, _invitation = lock_as_invitee(actor=actor, competition_id=competition_id)
    require_open_for_suppliers(competition, now=timezone.now())
    if not competition.clarifications_allowed:
        raise Conflict(_("This competition does not take clarification questions."), code="clarifications_not_allowed")
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise ValidationFailed(_("Write your question (at most %(max)s characters).") % {"max": MAX_TEXT},
                               fields={"text": [_("Write your question.")]})
    question = ClarificationQuestion.objects.create(competition=competition, supplier=organization, asked_by=actor,
                                                    text=text)
    audit_record(action="competition.question_asked", actor=actor, organization=organization, target=competition,
                 payload={"question": question.pk, "text": text})
    notify_question(competition=competition, question=question)
    return question


@transaction.atomic
def question_answer(*, actor: User, competition_id: int, question_id: int, answer: str) -> ClarificationQuestion:
    """Publish the answer to every invitee, without saying who asked."""
    competition, organization = lock_as_buyer(actor=actor, competition_id=competition_id)
    if competition.status != Competition.Status.PUBLISHED or timezone.now() >= competition.deadline:
        raise Conflict(_("Questions can only be answered while the competition is open."), code="competition_not_open")
    question = ClarificationQuestion.objects.select_for_update().filter(pk=question_id, competition=competition).first()
    if question is None:
        raise NotFound(_("No such question."))
    if question.answered_at is not None:
        raise Conflict(_("This question is already answered."), code="already_answered")
    answer = answer.strip()
    if not answer or len(answer) > MAX_TEXT:
        raise ValidationFailed(_("Write the answer (at most %(max)s characters).") % {"max": MAX_TEXT},
                               fields={"answer": [_("Write the answer.")]})
    question.answer, question.answered_by, question.answered_at = answer, actor, timezone.now()
    question.save(update_fields=["answer", "answered_by", "answered_at"])
    audit_record(action="competition.question_answered", actor=actor, organization=organization, target=competition,
                 payload={"question": question.pk, "answer": answer})
    notify_answer(competition=competition, question=question)
    return question
