from celery import shared_task

from agreements.services import frameworks_expire_due


@shared_task(name="agreements.tasks.expire_frameworks")
def expire_frameworks() -> list[int]:
    """Beat task: live frameworks past their end date become expired."""
    return frameworks_expire_due()
