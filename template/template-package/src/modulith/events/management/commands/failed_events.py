"""`python manage.py failed_events`: list, retry or purge durable events that failed.

A publication fails once its handler has failed EVENTS_MAX_ATTEMPTS times. Fix the
cause, then retry (every failed one, or those named by id); purge what must never
be delivered. The admin offers the same under Domain events > Event publications.
"""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from modulith.events.delivery import resubmit_due, retry_failed
from modulith.events.models import EventPublication


class Command(BaseCommand):
    help = "List durable event publications that failed; --retry or --purge them."

    def add_arguments(self, parser: ArgumentParser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--retry", action="store_true", help="deliver them again")
        action.add_argument("--purge", action="store_true", help="delete them for good")
        parser.add_argument("ids", nargs="*", help="only these publications (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = EventPublication.objects.filter(failed_at__isnull=False).order_by("failed_at")
        if options["ids"]:
            failed = failed.filter(pk__in=options["ids"])
        if options["retry"]:
            retried = retry_failed(failed)
            resubmit_due()
            self.stdout.write(f"Queued {retried} failed publication(s) again.")
        elif options["purge"]:
            purged, _ = failed.delete()
            self.stdout.write(f"Purged {purged} failed publication(s).")
        else:
            for publication in failed:
                self.stdout.write(
                    f"{publication.pk}  {publication.failed_at:%Y-%m-%d %H:%M}  "
                    f"{publication.event_name} -> {publication.subscriber}\n"
                    f"    {publication.attempts} attempts, last error: {publication.last_error}"
                )
            self.stdout.write(f"{len(failed)} failed publication(s).")
