from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from agreements.models import FrameworkAgreement
from agreements.tasks import expire_frameworks
from audit.models import AuditEvent
from tests.factories import FrameworkFactory

pytestmark = pytest.mark.django_db


def _framework(status, *, end_offset_days):
    today = timezone.localdate()
    return FrameworkFactory(
        status=status, start_date=today - timedelta(days=400), end_date=today + timedelta(days=end_offset_days)
    )


def test_expire_frameworks_is_in_the_beat_schedule():
    schedules = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "agreements.tasks.expire_frameworks" in schedules


def test_live_framework_past_its_end_date_expires_and_others_stay():
    past_live = _framework(FrameworkAgreement.Status.LIVE, end_offset_days=-1)
    ends_today = _framework(FrameworkAgreement.Status.LIVE, end_offset_days=0)
    future_live = _framework(FrameworkAgreement.Status.LIVE, end_offset_days=30)
    past_open = _framework(FrameworkAgreement.Status.OPEN, end_offset_days=-5)
    past_terminated = _framework(FrameworkAgreement.Status.TERMINATED, end_offset_days=-5)

    result = expire_frameworks.delay().get()

    assert result == [past_live.pk]
    statuses = dict(FrameworkAgreement.objects.values_list("pk", "status"))
    assert statuses == {
        past_live.pk: "expired",
        ends_today.pk: "live",
        future_live.pk: "live",
        past_open.pk: "open",
        past_terminated.pk: "terminated",
    }
    event = AuditEvent.objects.get(action="framework.expired")
    assert event.target_id == str(past_live.pk)
    assert event.actor_id is None
    assert event.actor_name == "system"
    assert event.payload == {"from": "live", "to": "expired", "reason": "end date passed"}


def test_running_the_expiry_twice_is_harmless():
    past_live = _framework(FrameworkAgreement.Status.LIVE, end_offset_days=-10)

    first = expire_frameworks()
    events_after_first = AuditEvent.objects.count()
    second = expire_frameworks()

    assert first == [past_live.pk]
    assert second == []
    assert AuditEvent.objects.count() == events_after_first
    assert AuditEvent.objects.filter(action="framework.expired").count() == 1
    past_live.refresh_from_db()
    assert past_live.status == FrameworkAgreement.Status.EXPIRED
