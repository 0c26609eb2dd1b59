"""Checkpoint tasks. Both are routed to the checkpoint queue (``settings.CELERY_TASK_ROUTES``,
``AUDIT_CHECKPOINT_QUEUE``), which one worker consumes with concurrency 1, so the published file
has exactly one writer (``audit.checkpoints.recording``)."""

from celery import shared_task

from audit.checkpoints import PUBLISH_TASK, checkpoint_publish, checkpoint_record


@shared_task(name="audit.tasks.record_checkpoint")
def record_checkpoint() -> int | None:
    """Beat task: checkpoint the chain head (the publishing task follows after commit); safe to
    run twice (an unmoved head records nothing). Returns the checkpoint's sequence."""
    checkpoint, _created = checkpoint_record()
    return checkpoint.sequence if checkpoint is not None else None


@shared_task(name=PUBLISH_TASK)
def publish_checkpoints() -> int:
    """The one writer of the published checkpoint file: appends the stored checkpoints it lacks;
    safe to run twice (the second run appends nothing). Returns the number of lines appended."""
    return checkpoint_publish()
