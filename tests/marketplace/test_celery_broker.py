"""The real broker path: a worker process on Redis runs a task sent from here and returns its result."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")

pytestmark = [
    pytest.mark.broker,
    pytest.mark.skipif(
        not BROKER_URL,
        reason="needs a real Celery broker: set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/15); CI does",
    ),
]


def _broker_app():
    """A Celery app configured like production (broker, result backend, not eager), separate from the test one."""
    from celery import Celery

    app = Celery("marketplace-broker-test", broker=BROKER_URL, backend=BROKER_URL)
    app.conf.task_always_eager = False
    return app


def test_worker_process_runs_ping_through_redis(tmp_path):
    from celery.result import allow_join_result

    queue = f"broker-test-{uuid.uuid4().hex[:12]}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_RESULT_BACKEND": BROKER_URL,
    }
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1",
             "--queues", queue, "--hostname", f"{queue}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel=INFO"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    app = _broker_app()
    try:
        assert app.conf.task_always_eager is False
        result = app.send_task("marketplace.ping", args=["broker-check"], queue=queue)
        # The worker may take a few seconds to boot; the message waits in Redis until it does.
        # Celery keeps one process-wide "inside a task" flag that eager tasks set and restore around
        # themselves; eager tasks run by concurrent threads in earlier tests can leave it set, and
        # result.get() would then refuse. This process is not a worker, so waiting here is allowed.
        with allow_join_result():
            assert result.get(timeout=60) == "pong:broker-check"
        assert result.state == "SUCCESS"
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
        app.close()
    assert "marketplace.ping" in log_path.read_text()
