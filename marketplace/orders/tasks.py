from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from marketplace.orders.services import statements_generate_for_month


@shared_task(name="marketplace.orders.tasks.generate_monthly_statements")
def generate_monthly_statements(month: str | None = None) -> int:
    """Statements for the previous calendar month (or ``month`` as YYYY-MM). Safe to run twice:
    each (order, month) statement is rebuilt with the same figures."""
    if month is None:
        first_of_this_month = timezone.localdate().replace(day=1)
        month = (first_of_this_month - timedelta(days=1)).strftime("%Y-%m")
    return statements_generate_for_month(month=month)
