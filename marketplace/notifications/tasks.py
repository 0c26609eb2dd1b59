from celery import shared_task

from marketplace.notifications.services import notification_email_send


@shared_task(name="marketplace.notifications.tasks.send_notification_emails")
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail each notification not yet e-mailed; safe to run twice (see ``notification_email_send``)."""
    return sum(notification_email_send(notification_id=notification_id) for notification_id in notification_ids)
