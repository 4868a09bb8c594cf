"""`python manage.py resubmit_events`: queue every durable event delivery that is owed,
and delete completed publications older than EVENTS_KEEP_COMPLETED_DAYS.

The worker runs it with `--reclaim` when it starts (compose.yaml): claims older than
EVENTS_CLAIM_SECONDS (their delivery was lost) are queued again at once, and younger
ones, whose delivery is still in the queue, are left to it. The worker's scheduler
runs the same sweep every minute, which also retries failed handlers when due.
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
            help="at worker start: take over claims older than EVENTS_CLAIM_SECONDS now",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = sweep(reclaim=options["reclaim"])
        self.stdout.write(f"Resubmitted {count} event publication(s).")
