"""django-q2: the queue lives in the project's database, so there is no broker to run."""

from collections.abc import Sequence

from django.db.models import Q
from django.utils import timezone
from django_q.models import OrmQ, Schedule
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from modulith.json import JSON


def submit(path: str, args: Sequence[JSON]) -> None:
    """Queue `modulith.worker.run(path, *args)` for the cluster (`manage.py qcluster`)."""
    async_task("modulith.worker.run", path, *args)


def waiting(path: str) -> list[list[JSON]]:
    """The arguments of the tasks for `path` in django-q2's table that no worker has taken
    (a taken task is locked until its retry time)."""
    untaken = Q(lock__isnull=True) | Q(lock__lte=timezone.now())
    found: list[list[JSON]] = []
    for payload in OrmQ.objects.filter(untaken).values_list("payload", flat=True).iterator():
        task = SignedPackage.loads(payload)
        args = list(task.get("args") or ())
        if task.get("func") == "modulith.worker.run" and args[:1] == [path]:
            found.append(args[1:])
    return found


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
