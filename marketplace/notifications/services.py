"""Notify every user of an organization, once per event, in-app and by e-mail after commit."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from agreements.models import Membership, Organization
from common.tasks import enqueue_after_commit
from marketplace.notifications.models import Notification


def in_notification_language():
    """Context for writing a notification's subject and body. A notification is stored once, for
    every member of the organization, so it is written in the deployment's language
    (``LANGUAGE_CODE``), never in the language of whichever request or metering client caused it."""
    return translation.override(settings.LANGUAGE_CODE)


def written_in_notification_language(function):
    """Decorator: run ``function`` inside ``in_notification_language()`` (a new context per call;
    one shared ``translation.override`` instance would not be safe across threads)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with in_notification_language():
            return function(*args, **kwargs)

    return wrapper


def notify_organization(
    *,
    organization: Organization,
    kind: str,
    subject: str,
    body: str,
    dedupe_key: str,
    link: str = "",
    target=None,
    roles: list[str] | None = None,
) -> list[Notification]:
    """Create one notification per member (optionally only some roles) unless already sent.

    ``dedupe_key`` names the event (e.g. ``order:12:threshold:80``); the unique constraint on
    (recipient, dedupe_key) makes a second call, even a concurrent one, a no-op for that user.
    Returns the notifications created by this call. E-mails go out after the commit.
    """
    members = Membership.objects.filter(organization=organization)
    if roles:
        members = members.filter(role__in=roles)
    user_ids = sorted(set(members.values_list("user_id", flat=True)))
    created: list[Notification] = []
    for user_id in user_ids:
        try:
            with transaction.atomic():
                created.append(
                    Notification.objects.create(
                        recipient_id=user_id, organization=organization, kind=kind, subject=str(subject),
                        body=str(body), link=link, dedupe_key=dedupe_key,
                        target_type=f"{target._meta.app_label}.{target._meta.model_name}" if target is not None else "",
                        target_id=str(target.pk) if target is not None else "",
                    )
                )
        except IntegrityError:
            continue  # already notified for this event
    if created:
        ids = [notification.pk for notification in created]
        enqueue_after_commit(EMAIL_TASK, ids)
    return created



EMAIL_TASK = "marketplace.notifications.tasks.send_notification_emails"


@transaction.atomic
def notification_email_send(*, notification_id: int) -> bool:
    """E-mail one notification unless it was already e-mailed or its recipient has no address.

    Safe to run twice, even at once: the row is locked and marked in the same transaction as the
    send, so a second run finds it marked. True when this call sent it.
    """
    notification = (
        Notification.objects.select_for_update().select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None or notification.emailed_at is not None or not notification.recipient.email:
        return False
    send_mail(notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL, [notification.recipient.email])
    notification.emailed_at = timezone.now()
    notification.save(update_fields=["emailed_at"])
    return True


def notifications_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark the user's unread notifications read: one (``notification_id``) or all. Only ever the
    user's own; returns how many changed (0 for someone else's id, or one already read)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())
