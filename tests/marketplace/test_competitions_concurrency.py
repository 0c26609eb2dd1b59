import threading

import pytest
from django.db import connection

from audit.models import AuditEvent
from marketplace.competitions import services
from marketplace.competitions.models import Competition, Quote
from tests.conftest import requires_postgres
from tests.marketplace.factories_competitions import create_competition, pass_deadline, publish, quote_as, quote_lines


def _run_in_threads(*targets):
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def wrap(target):
        def run():
            try:
                barrier.wait()
                target()
            except BaseException as error:  # noqa: BLE001 - collected and asserted by the test
                errors.append(error)
            finally:
                connection.close()
        return run

    threads = [threading.Thread(target=wrap(target)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_replacements_leave_exactly_one_current_quote(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))

    def quote(price):
        return lambda: quote_as(actor=supplier_user, competition_id=competition.pk,
                                             lines=quote_lines(competition, price, "0.08"), delivery_terms="5 days")

    errors = _run_in_threads(quote("0.20"), quote("0.19"), quote("0.18"), quote("0.17"))
    assert errors == []
    assert Quote.objects.filter(competition=competition).count() == 4
    assert Quote.objects.filter(competition=competition, is_current=True).count() == 1
    chain = Quote.objects.filter(competition=competition, replaces__isnull=False).count()
    assert chain == 3


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_task_and_sweep_closing_at_once_close_exactly_once(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    pass_deadline(competition)
    results = []
    errors = _run_in_threads(
        lambda: results.append(services.competition_close(competition_id=competition.pk)),
        lambda: results.append(services.close_overdue()),
        lambda: results.append(services.competition_close(competition_id=competition.pk)),
    )
    assert errors == []
    assert sorted(int(r) for r in results) == [0, 0, 1]
    assert Competition.objects.get(pk=competition.pk).status == Competition.Status.CLOSED
    assert AuditEvent.objects.filter(action="competition.closed").count() == 1
