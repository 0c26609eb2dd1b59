import pytest

from audit.models import AuditEvent, ImmutableEventError
from tests.audit.helpers import record_events, stored_rows

pytestmark = pytest.mark.django_db


def test_saving_an_existing_event_is_refused_and_changes_nothing():
    record_events(2)
    before = stored_rows()
    event = AuditEvent.objects.get(sequence=1)
    event.action = "test.forged"
    with pytest.raises(ImmutableEventError, match="append-only"):
        event.save()
    assert stored_rows() == before


def test_deleting_an_event_is_refused_and_changes_nothing():
    record_events(2)
    before = stored_rows()
    with pytest.raises(ImmutableEventError, match="append-only"):
        AuditEvent.objects.get(sequence=2).delete()
    assert stored_rows() == before


def test_queryset_update_is_refused_and_changes_nothing():
    record_events(2)
    before = stored_rows()
    with pytest.raises(ImmutableEventError, match="append-only"):
        AuditEvent.objects.filter(sequence=1).update(action="test.forged")
    assert stored_rows() == before


def test_queryset_delete_is_refused_and_changes_nothing():
    record_events(2)
    before = stored_rows()
    with pytest.raises(ImmutableEventError, match="append-only"):
        AuditEvent.objects.all().delete()
    assert stored_rows() == before
    assert AuditEvent.objects.count() == 2
