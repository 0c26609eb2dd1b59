"""Competition tasks. One mechanism closes at the deadline: this sweep, run by beat every minute
(``config/settings.py``). No task is queued for the deadline itself: an ETA task could be redelivered
by Redis after the visibility timeout, and the sweep made it redundant."""

from celery import shared_task

from marketplace.competitions.services import close_overdue


@shared_task(name="marketplace.competitions.tasks.close_overdue_competitions")
def close_overdue_competitions() -> int:
    """Close every published competition whose deadline passed; running it twice closes nothing twice."""
    return close_overdue()
