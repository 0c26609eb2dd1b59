"""Queueing a task by its name after the caller's transaction commits.

Services never import task modules (tasks import services, so the other way would be a cycle):
they name the task. In the embedded default the task runs eagerly at commit; with a broker it is
sent to a worker. The registry is filled on first use from every app's and subdomain's ``tasks``
module (``config/celery.py``), so a web process that imported none of them still finds the task.
"""

from __future__ import annotations

import threading

from celery import current_app
from django.db import transaction

# Threads of one process (a threaded server, a concurrency test) may all miss the task at once;
# Celery marks the modules imported before it has finished importing them, so a second thread
# would find the registry still empty. One thread fills it, the others wait.
_registry_lock = threading.Lock()


def send_task(name: str, *args) -> None:
    app = current_app
    if name not in app.tasks:
        with _registry_lock:
            if name not in app.tasks:
                app.loader.import_default_modules()
    app.tasks[name].apply_async(args=list(args))


def enqueue_after_commit(name: str, *args) -> None:
    """Send the task ``name`` with ``args`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: send_task(name, *args))
