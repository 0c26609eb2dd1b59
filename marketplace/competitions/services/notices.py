"""What the competition services tell buyers and suppliers (in each recipient's language)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from agreements.models import Organization
from marketplace.competitions.models import ClarificationQuestion, Competition, Invitation
from marketplace.competitions.services.rules import deadline_text
from marketplace.notifications.services import (
    in_notification_language,
    notify_organization,
    written_in_notification_language,
)


def _link(competition: Competition) -> str:
    return f"/competitions/{competition.pk}/"


def notify_invited(*, competition: Competition, buyer: Organization, suppliers: list[Organization]) -> None:
    deadline = deadline_text(competition)
    for supplier in suppliers:
        with in_notification_language():
            notify_organization(
                organization=supplier, kind="competition.invited",
                subject=_("Request for quotation: %(title)s") % {"title": competition.title},
                body=_("%(buyer)s asks the suppliers of %(lot)s to quote for \"%(title)s\" by %(deadline)s.") % {
                    "buyer": buyer.name, "lot": competition.lot, "title": competition.title, "deadline": deadline},
                dedupe_key=f"competition:{competition.pk}:invited:{supplier.pk}", link=_link(competition),
                target=competition,
            )


def notify_question(*, competition: Competition, question: ClarificationQuestion) -> None:
    with in_notification_language():
        notify_organization(
            organization=competition.organization, kind="competition.question",
            subject=_("A clarification question on %(title)s") % {"title": competition.title},
            body=_("A supplier asked: %(text)s") % {"text": question.text},
            dedupe_key=f"competition:{competition.pk}:question:{question.pk}", link=_link(competition),
            target=competition,
        )


def notify_answer(*, competition: Competition, question: ClarificationQuestion) -> None:
    for invitation in Invitation.objects.filter(competition=competition).select_related("supplier"):
        with in_notification_language():
            notify_organization(
                organization=invitation.supplier, kind="competition.answer",
                subject=_("Clarification published: %(title)s") % {"title": competition.title},
                body=_("Question: %(question)s\nAnswer: %(answer)s") % {"question": question.text,
                                                                      "answer": question.answer},
                dedupe_key=f"competition:{competition.pk}:answer:{question.pk}", link=_link(competition),
                target=competition,
            )


def notify_closed(*, competition: Competition, quote_count: int) -> None:
    with in_notification_language():
        notify_organization(
            organization=competition.organization, kind="competition.closed",
            subject=_("Quotes opened: %(title)s") % {"title": competition.title},
            body=_("The deadline passed; %(count)s quote(s) can now be evaluated.") % {"count": quote_count},
            dedupe_key=f"competition:{competition.pk}:closed", link=_link(competition), target=competition,
        )


def notify_cancelled(*, competition: Competition, reason: str) -> None:
    with in_notification_language():
        for invitation in Invitation.objects.filter(competition=competition).select_related("supplier"):
            notify_organization(
                organization=invitation.supplier, kind="competition.cancelled",
                subject=_("Cancelled: %(title)s") % {"title": competition.title},
                body=_("The buyer cancelled this request for quotation. Reason: %(reason)s") % {"reason": reason},
                dedupe_key=f"competition:{competition.pk}:cancelled", link=_link(competition), target=competition,
            )


@written_in_notification_language
def notify_outcome(*, competition: Competition, winner_id: int | None) -> None:
    suppliers = Organization.objects.filter(quotes__competition=competition, quotes__is_current=True).distinct()
    for supplier in suppliers:
        if winner_id is None:
            body = _("No award was made for \"%(title)s\". Reason: %(reason)s") % {
                "title": competition.title, "reason": competition.outcome_reason}
        elif supplier.pk == winner_id:
            body = _("Your quote for \"%(title)s\" was selected. A draft call-off order follows.") % {
                "title": competition.title}
        else:
            body = _("Your quote for \"%(title)s\" was not selected. The contract went to another supplier.") % {
                "title": competition.title}
        notify_organization(
            organization=supplier, kind="competition.outcome",
            subject=_("Outcome of %(title)s") % {"title": competition.title}, body=body,
            dedupe_key=f"competition:{competition.pk}:outcome", link=_link(competition), target=competition,
        )
