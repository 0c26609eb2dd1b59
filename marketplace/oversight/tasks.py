from celery import shared_task

from marketplace.oversight.services import red_flags_refresh


@shared_task(name="marketplace.oversight.tasks.refresh_red_flags")
def refresh_red_flags() -> dict:
    """Beat: recompute the red flags. Idempotent (one row per finding), so safe to run twice."""
    result = red_flags_refresh()
    return {"raised": result.raised, "confirmed": result.confirmed, "cleared": result.cleared}
