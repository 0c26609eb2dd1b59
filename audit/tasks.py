from celery import shared_task

from audit.checkpoints import checkpoint_record


@shared_task(name="audit.tasks.record_checkpoint")
def record_checkpoint() -> int | None:
    """Beat task: checkpoint the chain head and publish it to the checkpoint file; safe to run
    twice (an unmoved head records nothing). Returns the checkpoint's sequence."""
    checkpoint, _created = checkpoint_record()
    return checkpoint.sequence if checkpoint is not None else None
