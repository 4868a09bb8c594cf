"""`python manage.py resubmit_events`: hand the worker every durable event still owed.

The worker runs it at start (compose.yaml), so deliveries cut short by a crash resume;
the worker's scheduler also runs it periodically, which retries failed handlers.
"""

from django.core.management.base import BaseCommand

from core.events.delivery import resubmit_incomplete


class Command(BaseCommand):
    help = "Resubmit every incomplete durable event publication whose next attempt is due."

    def handle(self, *args: object, **options: object) -> None:
        count = resubmit_incomplete()
        self.stdout.write(f"Resubmitted {count} event publication(s).")
