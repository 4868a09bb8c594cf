"""Celery: `celery -A config worker -B` runs these tasks (config/celery.py imports them)."""

import base64
import json
from collections.abc import Sequence

from billiard import pool
from celery import current_app, shared_task
from celery.signals import worker_init

from modulith import worker
from modulith.json import JSON

# How long a pool process that has run its last task waits, on its way out, for the
# worker to read that task's result (billiard's own wait is 30 s).
POOL_EXIT_WAIT_SECONDS = 2


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run(path: str, *args: JSON) -> None:
    """Celery's side of `enqueue`: run the project's task at `path`, and nothing else."""
    worker.run(path, *args)


@shared_task
def sweep_events() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): queue durable events owed, prune old ones."""
    from modulith.events.delivery import sweep

    return sweep()


@worker_init.connect
def bound_the_pool_exit_wait(**_: object) -> None:
    """Keep a warm shutdown (SIGTERM, `docker compose stop`) within seconds.

    A SIGTERM that comes as a pool process takes a task, before the worker has read
    that it took it, makes the worker drop the task from those it waits for (the
    broker hands it out again); the process still runs it, then waits for the worker
    to read its result, which the worker, waiting for the process to exit, never does:
    billiard's 30 s, compose's whole grace period. Ending the wait early loses nothing:
    the worker reads an exited process's results from its pipe. Set before the pool
    processes fork.
    """
    pool.GUARANTEE_MESSAGE_CONSUMPTION_RETRY_LIMIT = round(
        POOL_EXIT_WAIT_SECONDS / pool.GUARANTEE_MESSAGE_CONSUMPTION_RETRY_INTERVAL
    )


def submit(path: str, args: Sequence[JSON]) -> None:
    run.delay(path, *args)


def waiting(path: str) -> list[list[JSON]] | None:
    """The arguments of the tasks for `path` waiting in the broker's queue (a Redis list);
    None for a broker that is not Redis. A task a worker has taken is not in the list."""
    with current_app.connection_for_read() as connection:
        client = getattr(connection.default_channel, "client", None)
        if client is None or not hasattr(client, "lrange"):
            return None
        messages = client.lrange(current_app.conf.task_default_queue, 0, -1)
    found: list[list[JSON]] = []
    for raw in messages:
        message = json.loads(raw)
        if message.get("headers", {}).get("task") != run.name:
            continue
        args = list(json.loads(base64.b64decode(message["body"]))[0])
        if args[:1] == [path]:
            found.append(args[1:])
    return found
