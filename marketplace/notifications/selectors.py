"""Reads of a user's own in-app notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from marketplace.notifications.models import Notification


def notifications_of(*, user) -> QuerySet[Notification]:
    """The user's notifications, newest first (never anyone else's)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_count(*, user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
