"""Celery: `celery -A config worker -B` runs these tasks (config/celery.py imports them)."""

from collections.abc import Sequence

from celery import shared_task

from modulith import worker
from modulith.json import JSON


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run(path: str, *args: JSON) -> None:
    """Celery's side of `enqueue`: run the project's task at `path`, and nothing else."""
    worker.run(path, *args)


@shared_task
def sweep_events() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): queue durable events owed, prune old ones."""
    from modulith.events.delivery import sweep

    return sweep()


def submit(path: str, args: Sequence[JSON]) -> None:
    run.delay(path, *args)
