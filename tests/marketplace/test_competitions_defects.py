"""Defects of issue 12 in competitions, each pinned by a test that failed before its fix:

* a wrong role answered NotFound where every other service answers Forbidden;
* the close task queued with an ETA at the deadline (redelivered by Redis after the visibility
  timeout) next to the one-minute sweep: the sweep alone closes;
* a read (page or API, even an auditor's) closed an overdue competition, appending audit events
  and sending notifications.
"""

from unittest import mock

import pytest
from celery.app.task import Task
from django.test import Client

from audit.models import AuditEvent
from common.errors import Forbidden, NotFound
from marketplace.competitions import services, tasks
from marketplace.competitions.models import Competition, QuoteEvaluation
from marketplace.competitions.tasks import close_overdue_competitions
from marketplace.notifications.models import Notification
from tests.conftest import client_for
from tests.marketplace.factories_competitions import (
    close,
    create_competition,
    evaluate_as,
    pass_deadline,
    publish,
    submit,
)

pytestmark = pytest.mark.django_db


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Forbidden for a wrong role that can see the competition; NotFound for one that cannot ----------

def test_a_supplier_who_can_see_the_competition_is_forbidden_the_buyer_services(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    with pytest.raises(Forbidden) as error:
        services.competition_cancel(actor=supplier_user, competition_id=competition.pk, reason="Mine now")
    assert error.value.code == "not_a_buyer"
    competition.refresh_from_db()
    assert competition.status == Competition.Status.PUBLISHED
    assert competition.outcome_reason == ""


def test_oversight_is_forbidden_the_buyer_and_the_supplier_services(buyer_user, supplier_user, auditor_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    events = AuditEvent.objects.count()
    with pytest.raises(Forbidden):
        services.competition_cancel(actor=auditor_user, competition_id=competition.pk, reason="x")
    with pytest.raises(Forbidden) as error:
        services.quote_decline(actor=auditor_user, competition_id=competition.pk, reason="x")
    assert error.value.code == "not_a_supplier"
    assert AuditEvent.objects.count() == events
    assert Competition.objects.get(pk=competition.pk).status == Competition.Status.PUBLISHED


def test_who_cannot_see_the_competition_gets_not_found(buyer_user, other_buyer_user, supplier_user, lot):
    draft = create_competition(buyer_user, lot)
    with pytest.raises(NotFound):
        services.competition_cancel(actor=other_buyer_user, competition_id=draft.pk, reason="x")
    with pytest.raises(NotFound):  # suppliers cannot see a draft
        services.quote_decline(actor=supplier_user, competition_id=draft.pk, reason="x")
    assert Competition.objects.get(pk=draft.pk).status == Competition.Status.DRAFT


def test_api_answers_403_to_a_wrong_role_and_404_to_who_cannot_see(
    buyer_user, other_buyer_user, supplier_user, auditor_user, lot
):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    quote = submit(supplier_user, competition, "0.20", "0.08")
    close(competition)
    body = {"evaluations": [{"quote": quote.pk}]}
    path = f"/api/v1/competitions/{competition.pk}/evaluate/"
    refused = client_for(supplier_user).post(path, body, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_a_buyer")
    assert client_for(other_buyer_user).post(path, body, format="json").status_code == 404
    assert client_for(auditor_user).post(path, body, format="json").status_code == 403
    assert QuoteEvaluation.objects.count() == 0
    assert Competition.objects.get(pk=competition.pk).evaluated_at is None


# --- one closing mechanism: the sweep ---------------------------------------------------------------

def test_publishing_queues_no_task_and_the_sweep_closes_an_overdue_competition_once(
    buyer_user, supplier_user, lot, django_capture_on_commit_callbacks
):
    competition = create_competition(buyer_user, lot)
    with mock.patch.object(Task, "apply_async", autospec=True) as apply_async:
        with django_capture_on_commit_callbacks(execute=True):
            publish(buyer_user, competition)
    queued = [call.args[0].name for call in apply_async.call_args_list]
    assert [name for name in queued if "competitions" in name] == []
    assert [call.kwargs["eta"] for call in apply_async.call_args_list if "eta" in call.kwargs] == []
    assert Competition.objects.get(pk=competition.pk).status == Competition.Status.PUBLISHED

    assert close_overdue_competitions.delay().get() == 0  # not due yet
    pass_deadline(competition)
    assert close_overdue_competitions.delay().get() == 1
    assert close_overdue_competitions.delay().get() == 0
    competition.refresh_from_db()
    assert competition.status == Competition.Status.CLOSED
    assert AuditEvent.objects.filter(action="competition.closed", target_id=str(competition.pk)).count() == 1
    assert Notification.objects.filter(kind="competition.closed", recipient=buyer_user).count() == 1


def test_the_close_task_queued_at_the_deadline_is_gone():
    assert not hasattr(tasks, "close_competition")


# --- reads never write --------------------------------------------------------------------------------

def test_reading_an_overdue_competition_shows_it_closed_and_writes_nothing(
    buyer_user, supplier_user, auditor_user, lot
):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    submit(supplier_user, competition, "0.20", "0.08")
    pass_deadline(competition)
    events, notifications = AuditEvent.objects.count(), Notification.objects.count()

    for user in (auditor_user, buyer_user):
        page = _browser(user).get(f"/competitions/{competition.pk}/")
        assert page.status_code == 200
        assert "Closed (quotes opened)" in page.content.decode()
        detail = client_for(user).get(f"/api/v1/competitions/{competition.pk}/").json()
        assert (detail["status"], detail["quotes_opened"]) == ("closed", True)
        assert len(detail["quotes"]) == 1
        listed = client_for(user).get("/api/v1/competitions/?status=closed").json()
        assert [row["id"] for row in listed["results"]] == [competition.pk]
        quotes = client_for(user).get(f"/api/v1/competitions/{competition.pk}/quotes/").json()
        assert quotes["quotes_opened"] is True

    assert AuditEvent.objects.count() == events
    assert Notification.objects.count() == notifications
    assert Competition.objects.get(pk=competition.pk).status == Competition.Status.PUBLISHED


def test_evaluating_an_overdue_competition_closes_it_first_in_the_same_transaction(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    quote = submit(supplier_user, competition, "0.20", "0.08")
    pass_deadline(competition)
    evaluate_as(actor=buyer_user, competition_id=competition.pk,
                                  evaluations=[{"quote": quote.pk}])
    competition.refresh_from_db()
    assert competition.status == Competition.Status.CLOSED
    assert competition.evaluated_at is not None
    assert list(AuditEvent.objects.filter(target_id=str(competition.pk)).order_by("pk")
                .values_list("action", flat=True))[-2:] == ["competition.closed", "competition.evaluated"]
