import pytest

from audit.models import AuditEvent
from tests.audit.helpers import record_events, stored_rows
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_changelist_lists_events_with_search_and_filters(admin_client_logged_in):
    record_events(3)
    response = admin_client_logged_in.get("/admin/audit/auditevent/", {"q": "test.event", "action": "test.event"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    assert b"Add audit event" not in response.content
    assert b"delete_selected" not in response.content


def test_add_is_forbidden(admin_client_logged_in):
    response = admin_client_logged_in.post("/admin/audit/auditevent/add/", {"action": "test.forged"})
    assert response.status_code == 403
    assert AuditEvent.objects.count() == 0


def test_change_page_is_read_only_and_a_post_changes_nothing(admin_client_logged_in):
    events = record_events(2)
    before = stored_rows()
    url = f"/admin/audit/auditevent/{events[0].pk}/change/"
    page = admin_client_logged_in.get(url)
    assert page.status_code == 200
    assert b'name="action"' not in page.content
    response = admin_client_logged_in.post(url, {"action": "test.forged"})
    assert response.status_code == 403
    assert stored_rows() == before


def test_delete_is_forbidden(admin_client_logged_in):
    events = record_events(2)
    before = stored_rows()
    response = admin_client_logged_in.post(f"/admin/audit/auditevent/{events[0].pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert stored_rows() == before
