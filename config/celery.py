import os

from celery import Celery
from celery.signals import beat_init, worker_init
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's tasks module, and each buying subdomain's (marketplace/<subdomain>/tasks.py).
app.autodiscover_tasks()
app.autodiscover_tasks(lambda: [f"marketplace.{name}" for name in settings.MARKETPLACE_SUBDOMAINS])


@worker_init.connect
@beat_init.connect
def refuse_the_in_process_transport(sender=None, **kwargs):
    """Without CELERY_BROKER_URL tasks run eagerly in the web process; a worker or beat started
    then would sit on the in-process transport and never see a task (beat's jobs would vanish)."""
    if str(app.conf.broker_url or "").startswith("memory://"):
        raise SystemExit("Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) before starting a Celery worker or "
                         "beat: without it tasks run in the web process and nothing would reach this one.")


@app.task(name="marketplace.ping")
def ping(value: str) -> str:
    """Round-trip check used by the broker test and by operators: returns what it was given."""
    return f"pong:{value}"
