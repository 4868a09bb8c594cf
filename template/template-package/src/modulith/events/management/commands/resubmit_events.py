"""`python manage.py resubmit_events`: queue every durable event delivery that is owed,
and delete completed publications older than EVENTS_KEEP_COMPLETED_DAYS.

The worker runs it with `--reclaim` when it starts (compose.yaml): claims whose
delivery no longer waits in the worker's queue (the previous worker died holding
them) are queued again at once; deliveries still waiting are left to the queue. The
worker's scheduler runs the same sweep every minute, which also retries failed
handlers when due.
"""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from modulith.events.delivery import sweep


class Command(BaseCommand):
    help = "Queue one delivery per due durable event publication; prune completed ones."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reclaim",
            action="store_true",
            help="at worker start: take over claims whose delivery no longer waits in the queue",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = sweep(reclaim=options["reclaim"])
        self.stdout.write(f"Resubmitted {count} event publication(s).")
