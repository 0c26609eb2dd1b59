from celery import shared_task


@shared_task(name="marketplace.competitions.tasks.close_competition")
def close_competition(competition_id: int) -> bool:
    """Close one competition at its deadline. Queued with ``eta=deadline`` at publication; it
    re-checks the deadline (an eager run happens at once and must do nothing) and is idempotent."""
    from marketplace.competitions.services import competition_close

    return competition_close(competition_id=competition_id)


@shared_task(name="marketplace.competitions.tasks.close_overdue_competitions")
def close_overdue_competitions() -> int:
    """Beat sweep: close every published competition whose deadline passed (catches missed etas)."""
    from marketplace.competitions.services import close_overdue

    return close_overdue()
