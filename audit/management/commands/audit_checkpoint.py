from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import checkpoint_file_path, checkpoint_record
from common.errors import DomainError


class Command(BaseCommand):
    help = (
        "Record a checkpoint of the audit chain head (after verifying the events since the last one) "
        "and append it to the published checkpoint file. Does nothing new when the head has not moved."
    )

    def handle(self, *args, **options):
        try:
            checkpoint, created = checkpoint_record()
        except DomainError as error:
            raise CommandError(f"checkpoint failed: {error.code}: {error.message}", returncode=1) from error
        if checkpoint is None:
            self.stdout.write("the audit chain is empty: nothing to checkpoint")
            return
        state = "recorded" if created else "unchanged (the head has not moved)"
        self.stdout.write(f"checkpoint #{checkpoint.sequence} {state}")
        self.stdout.write(f"head: {checkpoint.head_hash}")
        self.stdout.write(f"events: {checkpoint.event_count}")
        self.stdout.write(f"checkpoint hash: {checkpoint.hash}")
        self.stdout.write(f"file: {checkpoint_file_path()}")
