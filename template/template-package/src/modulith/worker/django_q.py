"""django-q2: the queue lives in the project's database, so there is no broker to run."""

from collections.abc import Sequence

from django_q.models import Schedule
from django_q.tasks import async_task

from modulith.json import JSON


def submit(path: str, args: Sequence[JSON]) -> None:
    """Queue `modulith.worker.run(path, *args)` for the cluster (`manage.py qcluster`)."""
    async_task("modulith.worker.run", path, *args)


def schedule_event_sweep(**kwargs: object) -> None:
    """Every minute, the cluster sweeps durable events (connected to post_migrate)."""
    Schedule.objects.update_or_create(
        name="resubmit-events",
        defaults={
            "func": "modulith.events.delivery.sweep",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
