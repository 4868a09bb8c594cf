"""`python manage.py resubmit_events`: queue every durable event delivery that is owed,
and delete completed publications older than EVENTS_KEEP_COMPLETED_DAYS.

The worker runs it with `--reclaim` when it starts (compose.yaml): claims whose
delivery no longer waits in the worker's queue (the previous worker died holding
them) are queued again at once; deliveries still waiting are left to the queue. If
the queue cannot be reached then, it exits non-zero, so the worker does not start (and
compose starts it again). The worker's scheduler runs the same sweep every minute,
which also retries failed handlers when due.
"""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from modulith.events.delivery import QueueUnreachableError, sweep


class Command(BaseCommand):
    help = "Queue one delivery per due durable event publication; prune completed ones."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reclaim",
            action="store_true",
            help="at worker start: take over claims whose delivery no longer waits in the queue",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = sweep(reclaim=options["reclaim"])
        except QueueUnreachableError as error:
            raise CommandError(f"{error}; nothing was lost, start the worker again") from error
        self.stdout.write(f"Resubmitted {count} event publication(s).")
