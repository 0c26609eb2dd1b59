from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from marketplace.models import Notification


@shared_task(name="marketplace.tasks.send_notification_emails")
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail each notification not yet e-mailed. Safe to run twice: the row is locked and marked."""
    sent = 0
    for notification_id in notification_ids:
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update().select_related("recipient").filter(pk=notification_id).first()
            )
            if notification is None or notification.emailed_at is not None or not notification.recipient.email:
                continue
            send_mail(notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL, [notification.recipient.email])
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
            sent += 1
    return sent


@shared_task(name="marketplace.tasks.generate_monthly_statements")
def generate_monthly_statements(month: str | None = None) -> int:
    """Statements for the previous calendar month (or ``month`` as YYYY-MM). Safe to run twice:
    each (order, month) statement is rebuilt with the same figures."""
    from datetime import timedelta

    from marketplace.services.orders import statements_generate_for_month

    if month is None:
        first_of_this_month = timezone.localdate().replace(day=1)
        month = (first_of_this_month - timedelta(days=1)).strftime("%Y-%m")
    return statements_generate_for_month(month=month)


@shared_task(name="marketplace.tasks.close_competition")
def close_competition(competition_id: int) -> bool:
    """Close one competition at its deadline. Queued with ``eta=deadline`` at publication; it
    re-checks the deadline (an eager run happens at once and must do nothing) and is idempotent."""
    from marketplace.services.competitions import competition_close

    return competition_close(competition_id=competition_id)


@shared_task(name="marketplace.tasks.close_overdue_competitions")
def close_overdue_competitions() -> int:
    """Beat sweep: close every published competition whose deadline passed (catches missed etas)."""
    from marketplace.services.competitions import close_overdue

    return close_overdue()


@shared_task(name="marketplace.tasks.refresh_red_flags")
def refresh_red_flags() -> dict:
    """Beat: recompute the red flags. Idempotent (one row per finding), so safe to run twice."""
    from marketplace.services.flags import red_flags_refresh

    result = red_flags_refresh()
    return {"raised": result.raised, "confirmed": result.confirmed, "cleared": result.cleared}
