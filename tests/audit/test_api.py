import pytest

from audit.models import AuditEvent
from audit.services import audit_record
from tests.audit.helpers import tamper
from tests.conftest import client_for
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

EVENTS_URL = "/api/v1/audit/events/"
VERIFY_URL = "/api/v1/audit/verify/"


def as_json_time(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


@pytest.fixture
def trail(db):
    ana = UserFactory(username="ana")
    buyer_org = OrganizationFactory(name="Buyer One")
    other_org = OrganizationFactory(name="Buyer Two")
    return [
        audit_record(action="framework.open", actor=ana, organization=buyer_org, target_type="agreements.frameworkagreement", target_id=7, payload={"from": "draft"}),
        audit_record(action="framework.live", target_type="agreements.frameworkagreement", target_id=7),
        audit_record(action="order.activate", organization=other_org, target_type="marketplace.callofforder", target_id=3),
    ]


def test_auditor_reads_every_event_with_exact_contents(auditor_user, trail):
    first, second, third = trail
    response = client_for(auditor_user).get(EVENTS_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["previous"] is None and body["next"] is None
    assert body["results"] == [
        {
            "sequence": 1,
            "occurred_at": as_json_time(first.occurred_at),
            "actor": "ana",
            "actor_id": first.actor_id,
            "organization": {"id": first.organization_id_snapshot, "name": "Buyer One"},
            "action": "framework.open",
            "target_type": "agreements.frameworkagreement",
            "target_id": "7",
            "payload": {"from": "draft"},
            "prev_hash": "0" * 64,
            "hash": first.hash,
        },
        {
            "sequence": 2,
            "occurred_at": as_json_time(second.occurred_at),
            "actor": "system",
            "actor_id": None,
            "organization": None,
            "action": "framework.live",
            "target_type": "agreements.frameworkagreement",
            "target_id": "7",
            "payload": {},
            "prev_hash": first.hash,
            "hash": second.hash,
        },
        {
            "sequence": 3,
            "occurred_at": as_json_time(third.occurred_at),
            "actor": "system",
            "actor_id": None,
            "organization": {"id": third.organization_id_snapshot, "name": "Buyer Two"},
            "action": "order.activate",
            "target_type": "marketplace.callofforder",
            "target_id": "3",
            "payload": {},
            "prev_hash": second.hash,
            "hash": third.hash,
        },
    ]


def sequences(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [event["sequence"] for event in response.json()["results"]]


def test_filters_by_action_target_actor_organization_and_time(auditor_user, trail):
    client = client_for(auditor_user)
    assert sequences(client.get(EVENTS_URL, {"action": "framework.live"})) == [2]
    assert sequences(client.get(EVENTS_URL, {"target_type": "agreements.frameworkagreement"})) == [1, 2]
    assert sequences(client.get(EVENTS_URL, {"target_type": "marketplace.callofforder", "target_id": "3"})) == [3]
    assert sequences(client.get(EVENTS_URL, {"actor": "ana"})) == [1]
    assert sequences(client.get(EVENTS_URL, {"organization": trail[2].organization_id_snapshot})) == [3]
    after = as_json_time(trail[1].occurred_at)
    assert sequences(client.get(EVENTS_URL, {"occurred_after": after})) == [2, 3]
    assert sequences(client.get(EVENTS_URL, {"occurred_before": after})) == [1]
    assert sequences(client.get(EVENTS_URL, {"action": "nothing.like.this"})) == []


def test_cursor_pagination_walks_the_trail_in_sequence_order(auditor_user, trail):
    client = client_for(auditor_user)
    page = client.get(EVENTS_URL, {"page_size": 2})
    assert sequences(page) == [1, 2]
    assert page.json()["previous"] is None
    following = client.get(page.json()["next"])
    assert sequences(following) == [3]
    assert following.json()["next"] is None


def test_bad_filter_value_is_400_with_error_shape(auditor_user, trail):
    response = client_for(auditor_user).get(EVENTS_URL, {"occurred_after": "yesterday", "organization": "x"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["message"] == "The request is not valid."
    assert set(body["error"]["fields"]) == {"occurred_after", "organization"}


def test_bad_cursor_is_404_with_error_shape(auditor_user, trail):
    response = client_for(auditor_user).get(EVENTS_URL, {"cursor": "not-a-cursor"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("url", [EVENTS_URL, VERIFY_URL])
@pytest.mark.parametrize("who", ["buyer_user", "supplier_user", "authority_user"])
def test_non_oversight_users_are_forbidden(request, url, who, trail):
    response = client_for(request.getfixturevalue(who)).get(url)
    assert response.status_code == 403
    assert response.json() == {
        "error": {"code": "permission_denied", "message": "Only oversight users (auditors) can read this.", "fields": {}}
    }


@pytest.mark.parametrize("url", [EVENTS_URL, VERIFY_URL])
def test_anonymous_is_401(api_client, url, trail):
    response = api_client.get(url)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_verify_endpoint_reports_an_intact_chain(auditor_user, trail):
    response = client_for(auditor_user).get(VERIFY_URL)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "events": 3, "head": trail[2].hash}


def test_verify_endpoint_names_the_first_broken_link(auditor_user, trail):
    tamper("UPDATE audit_auditevent SET target_id = '8' WHERE sequence = 2")
    response = client_for(auditor_user).get(VERIFY_URL)
    assert response.status_code == 200
    assert response.json() == {
        "ok": False,
        "events": 3,
        "head": trail[2].hash,
        "first_broken": {
            "sequence": 2,
            "event_id": trail[1].pk,
            "reason": "hash_mismatch",
            "message": "Event #2 was altered: its stored hash does not match its contents.",
        },
    }


def test_reader_permission_comes_from_settings(settings, buyer_user, trail):
    settings.AUDIT_READER_PERMISSION = "rest_framework.permissions.IsAuthenticated"
    response = client_for(buyer_user).get(EVENTS_URL)
    assert sequences(response) == [1, 2, 3]


def test_events_visible_to_is_empty_for_non_readers(buyer_user, auditor_user, trail):
    from audit.selectors import events_visible_to

    assert list(events_visible_to(user=buyer_user)) == []
    assert list(events_visible_to(user=auditor_user).values_list("sequence", flat=True)) == [1, 2, 3]
    assert AuditEvent.objects.count() == 3
